"""The emails Google would send for an event change (``sendUpdates``), and their log.

    kinds = plan_notifications(before, after, "all", owner="alice@acme.com", is_internal=...)
    # [("bob@acme.com", "invitation"), ...]

Rules (per recipient):

- ``none`` or absent sends nothing; ``externalOnly`` keeps only attendees outside the seeded
  domains; ``all`` keeps everyone. The organizer, the calendar owner and resources (rooms) never
  get mail.
- Insert: ``invitation`` to each attendee.
- Change of a live event: newly added attendees get ``invitation``, removed ones ``cancellation``,
  the others ``update`` only if summary, description, location, start, end, recurrence or
  conferenceData changed.
- Delete (or a change to ``status: cancelled``): ``cancellation`` to every attendee.
- Restoring a tombstone (cancelled -> confirmed): ``invitation`` to every attendee.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from ..clock import rfc3339, utcnow

__all__ = ["NOTIFYING_FIELDS", "Notification", "NotificationLog", "plan_notifications"]

# Changes to these fields send "update" mail to attendees who stay on the event.
NOTIFYING_FIELDS = (
    "summary",
    "description",
    "location",
    "start",
    "end",
    "recurrence",
    "conferenceData",
)


@dataclass(frozen=True)
class Notification:
    """One email Google would have sent."""

    seq: int
    time: str
    recipient: str
    kind: str
    calendar_id: str
    event_id: str
    summary: str
    actor: str


class NotificationLog:
    """Append-only log of would-be emails."""

    def __init__(self) -> None:
        self.entries: list[Notification] = []

    def add(
        self,
        recipient: str,
        kind: str,
        *,
        calendar_id: str,
        event_id: str,
        summary: str,
        actor: str,
    ) -> None:
        """Record one email."""
        self.entries.append(
            Notification(
                len(self.entries) + 1,
                rfc3339(utcnow()),
                recipient,
                kind,
                calendar_id,
                event_id,
                summary,
                actor,
            )
        )

    def as_dicts(self, recipient: str | None = None) -> list[dict[str, Any]]:
        """All entries (optionally for one recipient) as JSON-ready dicts."""
        who = recipient.lower() if recipient else None
        return [asdict(n) for n in self.entries if who is None or n.recipient == who]

    def counts(self) -> dict[str, dict[str, int]]:
        """``{recipient: {kind: count}}``."""
        out: dict[str, dict[str, int]] = {}
        for n in self.entries:
            per = out.setdefault(n.recipient, {})
            per[n.kind] = per.get(n.kind, 0) + 1
        return out


def _recipients(
    event: dict[str, Any] | None,
    send_updates: str,
    owner: str,
    is_internal: Callable[[str], bool],
) -> list[str]:
    if event is None or send_updates not in ("all", "externalOnly"):
        return []
    skip = {owner.lower(), str(event.get("organizer", {}).get("email", "")).lower()}
    out = []
    for attendee in event.get("attendees") or []:
        email = str(attendee.get("email", "")).lower()
        if not email or email in skip or attendee.get("resource"):
            continue
        if send_updates == "externalOnly" and is_internal(email):
            continue
        if email not in out:
            out.append(email)
    return out


def plan_notifications(
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    send_updates: str | None,
    *,
    owner: str,
    is_internal: Callable[[str], bool],
) -> list[tuple[str, str]]:
    """The ``(recipient, kind)`` emails that turning ``before`` into ``after`` sends."""
    mode = send_updates or "none"
    live_before = before is not None and before.get("status") != "cancelled"
    live_after = after is not None and after.get("status") != "cancelled"
    old = _recipients(before, mode, owner, is_internal) if live_before else []
    new = _recipients(after, mode, owner, is_internal) if live_after else []
    if not live_before and not live_after:
        return []
    if not live_after:
        return [(r, "cancellation") for r in old]
    if not live_before:
        return [(r, "invitation") for r in new]
    assert before is not None
    assert after is not None
    changed = any(before.get(f) != after.get(f) for f in NOTIFYING_FIELDS)
    out = [(r, "invitation") for r in new if r not in old]
    out += [(r, "update") for r in new if r in old and changed]
    out += [(r, "cancellation") for r in old if r not in new]
    return out
