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
    strict, now, actor = world.strictness, world.clock.time(), actor.lower()
    volume = strict.abuse_volume_block_seconds
    rooms = {
        str(a.get("email", "")).lower() for a in after.get("attendees") or [] if a.get("resource")
    }
    added = _guests(after) - _guests(before) - rooms
    if _guests(before) != _guests(after):
        world.abuse.record(
            actor,
            now,
            limit=strict.abuse_limit_writes,
            window=strict.abuse_limit_window_seconds,
            block=strict.abuse_block_seconds,
        )
    if before is None:
        world.abuse.record(
            actor,
            now,
            limit=strict.abuse_events_created,
            window=strict.abuse_events_window_seconds,
            block=volume,
            kind="events_created",
        )
    # a guest in the domain who is not a Workspace user counts as external (Google's help)
    external = [
        g for g in added if g and g not in world.users and g not in world.rooms and g != actor
    ]
    world.abuse.record(
        actor,
        now,
        limit=strict.abuse_external_invitations,
        window=strict.abuse_external_window_seconds,
        block=volume,
        kind="external_invitations",
        amount=len(external),
    )


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
