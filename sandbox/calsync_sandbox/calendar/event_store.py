"""Storing one change of an event, the way every Google write path does it.

    record = store_change(world, calendar, before, after, actor="alice@acme.com",
                          send_updates="all", order=record.order)

Shared by the API writes (:mod:`.events`) and the control API's "a person edits in Google
Calendar" actions (:mod:`.person_edits`): rooms are asked or freed (:mod:`.rooms`), times are
normalised (strictness ``normalise_datetimes``), the event gets a new ``etag`` and ``updated``,
``sequence`` goes up when start, end, location or recurrence change, the attendee-changing
write counts toward the anti-abuse limits (API writes only: attendee changes, events created,
invitations to guests who are not Workspace users), the emails ``send_updates`` asks for
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


def _count_abuse(
    world: World, actor: str, before: dict[str, Any] | None, after: dict[str, Any]
) -> None:
    """What this write adds to the acting user's anti-abuse counts (:mod:`..state.abuse`)."""
    now, actor = world.clock.time(), actor.lower()

    def count(kind: str, amount: int = 1) -> None:
        world.abuse.record(actor, now, world.strictness.abuse_limit(kind), kind=kind, amount=amount)

    if _guests(before) != _guests(after):
        count("attendee_writes")
    if before is None:
        count("events_created")
    rooms = {
        str(a.get("email", "")).lower() for a in after.get("attendees") or [] if a.get("resource")
    }
    # a guest in the domain who is not a Workspace user counts as external (Google's help)
    external = [
        g
        for g in _guests(after) - _guests(before) - rooms
        if g and g not in world.users and g not in world.rooms and g != actor
    ]
    count("external_invitations", len(external))


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
    if count_abuse and actor:
        _count_abuse(world, actor, before, after)
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
