"""The emails Google would send for an event change (``sendUpdates``).

    kinds = plan_notifications(before, after, "all", owner="alice@acme.com", is_internal=...)
    # [("bob@acme.com", "invitation"), ...]

Rules (per recipient):

- ``none`` or absent sends nothing; ``externalOnly`` keeps only attendees outside the seeded
  domains; ``all`` keeps everyone. The organizer, the calendar owner and resources (rooms) never
  get mail.
- Insert: ``invitation`` to each attendee.
- Change of a live event: newly added attendees get ``invitation``, removed ones ``cancellation``,
  the others ``update`` if summary, description, location, start, end, recurrence or
  conferenceData changed, and (strict reading, ``notify_all_on_attendee_change``) also when the
  attendee list changed: users report that adding one guest with ``all`` mails every guest.
- Delete (or a change to ``status: cancelled``): ``cancellation`` to every attendee.
- Restoring a tombstone (cancelled -> confirmed): ``invitation`` to every attendee.

The events API records what it sends in the world's
:class:`~calsync_sandbox.state.notification_log.NotificationLog`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["NOTIFYING_FIELDS", "plan_notifications"]

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
    notify_all_on_attendee_change: bool = True,
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
    if notify_all_on_attendee_change and _guests(before) != _guests(after):
        changed = True
    out = [(r, "invitation") for r in new if r not in old]
    out += [(r, "update") for r in new if r in old and changed]
    out += [(r, "cancellation") for r in old if r not in new]
    return out


def _guests(event: dict[str, Any]) -> set[str]:
    return {str(a.get("email", "")).lower() for a in event.get("attendees") or []}
