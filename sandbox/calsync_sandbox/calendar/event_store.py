"""Storing one change of an event, the way every Google write path does it.

    record = store_change(world, calendar, before, after, actor="alice@acme.com",
                          send_updates="all", order=record.order)

Shared by the API writes (:mod:`.events`) and the control API's "a person edits in Google
Calendar" actions (:mod:`.person_edits`): rooms are asked or freed (:mod:`.rooms`), times are
normalised (strictness ``normalise_datetimes``), the event gets a new ``etag`` and ``updated``,
``sequence`` goes up when start, end, location or recurrence change, the attendee-changing
write counts toward the anti-abuse limit (API writes only), the emails ``send_updates`` asks for
are logged (:mod:`.notifications`), and storing it queues the push notifications
(``World.put_event``).
"""

from __future__ import annotations

from typing import Any

from ..clock import rfc3339
from ..state.calendars import Calendar, EventRecord
from ..state.world import World
from .event_rules import SEQUENCE_FIELDS, normalise_times
from .notifications import plan_notifications
from .rooms import book

__all__ = ["store_change"]


def _guests(event: dict[str, Any] | None) -> set[str]:
    return {str(a.get("email", "")).lower() for a in (event or {}).get("attendees") or []}


def store_change(
    world: World,
    calendar: Calendar,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    *,
    actor: str,
    send_updates: str,
    order: int | None = None,
    count_abuse: bool = True,
) -> EventRecord:
    """Stamp server fields on ``after``, store it, log the emails this change sends."""
    now = rfc3339(world.clock.now())
    book(world, calendar.id, before, after)
    if world.strictness.normalise_datetimes:
        normalise_times(after)
    after["etag"] = world.new_etag()
    after["updated"] = now
    if before is not None:
        bump = any(before.get(f) != after.get(f) for f in SEQUENCE_FIELDS)
        after["sequence"] = int(before.get("sequence", 0)) + (1 if bump else 0)
    record = EventRecord(calendar.id, after, order if order is not None else world.next_seq(), 0)
    world.put_event(record)
    if count_abuse and actor and _guests(before) != _guests(after):
        strict = world.strictness
        world.abuse.record(
            actor,
            world.clock.time(),
            limit=strict.abuse_limit_writes,
            window=strict.abuse_limit_window_seconds,
            block=strict.abuse_block_seconds,
        )
    for recipient, kind in plan_notifications(
        before,
        after,
        send_updates,
        owner=calendar.owner,
        is_internal=world.is_internal,
        notify_all_on_attendee_change=world.strictness.notify_all_guests_on_attendee_change,
    ):
        world.notifications.add(
            recipient,
            kind,
            calendar_id=calendar.id,
            event_id=record.id,
            summary=str(after.get("summary", "")),
            actor=actor,
        )
    return record
