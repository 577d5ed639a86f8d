"""Who takes over a suspended organizer's events: pure choices, no I/O (DESIGN §6).

``choose_successor(item, suspended, fallback, domains)`` names who looks after one item from
now on: its organizer if they are active, else an active host of the item inside the
tenant's ``domains``, else the tenant's ``fallback_organizer_email``, else the platform
account (``PLATFORM_SUCCESSOR``); calsync acts as the successor through delegation, so
nobody outside the tenant's domains is ever chosen. ``choose_receiver(parts_per_successor,
fallback)`` names who receives a suspended person's one Data Transfer: the person successor
of most of their parts, a tie going to the fallback; ``None`` when every part goes to the
platform account. The sweeper (``calsync.sweeper.sweep``) calls both.
``outside_domains(people, domains)`` names those of ``people`` calsync must not act as
(``HandOvers.start`` checks before impersonating).
"""

from __future__ import annotations

from collections.abc import Iterable

from calsync.contracts import Item, in_domains
from calsync.sync.owners import PLATFORM_SUCCESSOR

__all__ = ["choose_receiver", "choose_successor", "outside_domains"]


def choose_successor(
    item: Item, suspended: set[str], fallback: str | None, domains: list[str]
) -> str:
    """Who looks after ``item``: its own organizer when they are not suspended (the suspended
    person held its parts only because they could not be moved, e.g. after a revoked grant),
    else an active host inside ``domains``, else the fallback organizer (inside them too),
    else the platform."""
    organizer = item.organizer_email.lower()
    if organizer not in suspended and in_domains(organizer, domains):
        return organizer
    hosts = [*item.host_emails]
    for part in item.parts:
        hosts += part.host_emails or []
    for candidate in [*hosts, fallback]:
        if (
            candidate
            and candidate != item.organizer_email
            and candidate not in suspended
            and in_domains(candidate, domains)
        ):
            return candidate
    return PLATFORM_SUCCESSOR


def outside_domains(people: Iterable[str | None], domains: list[str]) -> list[str]:
    """Those of ``people`` (the platform account aside) outside the tenant's ``domains``."""
    return sorted(
        {p for p in people if p and p != PLATFORM_SUCCESSOR and not in_domains(p, domains)}
    )


def choose_receiver(parts_per_successor: dict[str, int], fallback: str | None) -> str | None:
    """Who receives a suspended person's one Data Transfer: the person successor of most of
    their parts (a tie goes to the fallback, then alphabetically); None when every part goes
    to the platform account (Data Transfer moves events only between Workspace users)."""
    people = {s: n for s, n in parts_per_successor.items() if s != PLATFORM_SUCCESSOR}
    if not people:
        return None
    return min(people, key=lambda s: (-people[s], s != fallback, s))
