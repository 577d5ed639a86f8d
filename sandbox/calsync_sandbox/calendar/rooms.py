"""Rooms (calendar resources): seeding, booking answers and who may read a room's calendar.

    room = seed_room(world, "room-a@resource.calendar.google.com", "Room A", capacity=8)
    book(world, calendar_id, before, after)     # called by every event write, before storing

A room is booked by listing it as an attendee (``{"email": room, "resource": true}``; a seeded
room's address counts as a resource even without the flag). The room answers each invitation:
``declined`` when it already has an accepted, non-cancelled, opaque event overlapping in time,
else ``accepted``; right away (``answer_delay`` 0, Google's "declines straight away") or after
``answer_delay`` seconds on the sandbox clock (``needsAction`` until then). While the strictness
switch ``rooms_answer_async`` is on (default), even ``answer_delay`` 0 answers after the write:
the write's reply says ``needsAction`` and the answer is there from the next call on. A room
with ``auto_accept=False`` never answers by itself, and a room with ``bookers`` declines
invitations from an organizer not listed (no booking rights). A resource attendee that is not a
seeded room never answers: it stays ``needsAction`` whatever the write sends. The room's answer
is the server's: what a write sends as the room's ``responseStatus`` is ignored. Changing the
event's start/end, or restoring a cancelled event, asks every room again (Google releases the
room and tries to rebook it). Removing the room or cancelling the event frees the slot.
"""

from __future__ import annotations

import secrets
from typing import Any

from ..clock import rfc3339
from ..state.calendars import Calendar, Room
from ..state.identities import Principal
from ..state.world import World
from .event_rules import event_bounds

__all__ = [
    "book",
    "can_read_room",
    "room_declined",
    "room_status",
    "seed_room",
]

ROOM_CATEGORIES = ("CONFERENCE_ROOM", "OTHER", "CATEGORY_UNKNOWN")


def seed_room(
    world: World,
    email: str,
    name: str,
    *,
    domain: str | None = None,
    capacity: int | None = None,
    building_id: str | None = None,
    floor_name: str | None = None,
    category: str = "CONFERENCE_ROOM",
    resource_type: str | None = None,
    auto_accept: bool = True,
    answer_delay: float = 0.0,
    resource_id: str | None = None,
) -> Room:
    """Add (or replace) a room and create its calendar (id = the room's email)."""
    key = email.lower()
    if "@" not in key:
        raise ValueError(f"not an email address: {email}")
    if category not in ROOM_CATEGORIES:
        raise ValueError(f"category must be one of {ROOM_CATEGORIES}")
    if answer_delay < 0:
        raise ValueError("answer_delay must not be negative")
    owner_domain = (domain or "").lower() or _default_domain(world, key)
    if owner_domain not in world.domains:
        raise ValueError(f"domain {owner_domain} is not seeded")
    existing = world.rooms.get(key)
    room = Room(
        email=key,
        name=name,
        domain=owner_domain,
        resource_id=resource_id
        or (existing.resource_id if existing else str(10**11 + secrets.randbelow(9 * 10**11))),
        capacity=capacity,
        building_id=building_id,
        floor_name=floor_name,
        category=category,
        resource_type=resource_type,
        auto_accept=auto_accept,
        answer_delay=answer_delay,
    )
    world.rooms[key] = room
    world.ensure_primary_calendar(key).summary = name
    return room


def _default_domain(world: World, email: str) -> str:
    domain = email.rpartition("@")[2]
    if domain in world.domains:
        return domain
    if len(world.domains) == 1:
        return next(iter(world.domains))
    raise ValueError("say which seeded domain the room belongs to (domain)")


def can_read_room(world: World, caller: Principal, calendar: Calendar) -> bool:
    """Users of a room's domain may read its calendar (and its free/busy)."""
    room = world.rooms.get(calendar.id)
    if room is None or caller.service_account:
        return False
    return caller.email.rpartition("@")[2] == room.domain


def room_status(event: dict[str, Any], room_email: str) -> str | None:
    """The room's responseStatus on ``event`` (None when the room is not invited)."""
    for attendee in event.get("attendees") or []:
        if str(attendee.get("email", "")).lower() == room_email:
            return str(attendee.get("responseStatus", "needsAction"))
    return None


def room_declined(event: dict[str, Any], room_email: str) -> bool:
    """True if the room declined this event (it then does not show on the room's calendar)."""
    return room_status(event, room_email) == "declined"


def _decide(world: World, room: Room, calendar_id: str, event: dict[str, Any]) -> str:
    calendar = world.calendars.get(calendar_id)
    if room.bookers is not None and (calendar is None or calendar.owner not in room.bookers):
        return "declined"
    bounds = event_bounds(event)
    if bounds is None:
        return "accepted"
    start, end = bounds
    for other_calendar, other_id in world.attendance.get(room.email, set()):
        if (other_calendar, other_id) == (calendar_id, str(event["id"])):
            continue
        record = world.events.get(other_calendar, {}).get(other_id)
        if record is None or record.cancelled:
            continue
        if record.data.get("transparency") == "transparent":
            continue
        if room_status(record.data, room.email) != "accepted":
            continue
        other = event_bounds(record.data)
        if other is not None and other[0] < end and start < other[1]:
            return "declined"
    return "accepted"


def book(
    world: World, calendar_id: str, before: dict[str, Any] | None, after: dict[str, Any]
) -> None:
    """Set every seeded room's answer on ``after`` (about to be stored on ``calendar_id``)."""
    event_id = str(after["id"])
    previous = {
        str(a.get("email", "")).lower(): str(a.get("responseStatus", "needsAction"))
        for a in (before or {}).get("attendees") or []
    }
    rebook = (
        before is None
        or before.get("status") == "cancelled"
        or event_bounds(before) != event_bounds(after)
    )
    cancelled = after.get("status") == "cancelled"
    present: set[str] = set()
    for attendee in after.get("attendees") or []:
        room = world.rooms.get(str(attendee.get("email", "")).lower())
        if room is None:
            if attendee.get("resource"):
                attendee["responseStatus"] = "needsAction"  # an unknown resource never answers
            continue
        present.add(room.email)
        attendee["resource"] = True
        if room.email in previous and (cancelled or not rebook):
            attendee["responseStatus"] = previous[room.email]
            continue
        if cancelled:
            attendee["responseStatus"] = "needsAction"
            world.room_invites.pop((calendar_id, event_id, room.email), None)
            continue
        _invite(world, room, calendar_id, after, attendee)
    for email in previous:
        if email in world.rooms and email not in present:
            world.room_invites.pop((calendar_id, event_id, email), None)


def _invite(
    world: World,
    room: Room,
    calendar_id: str,
    event: dict[str, Any],
    attendee: dict[str, Any],
) -> None:
    event_id = str(event["id"])
    key = (calendar_id, event_id, room.email)
    number = world.next_seq()
    world.room_invites[key] = number
    if room.auto_accept and room.answer_delay <= 0 and not world.strictness.rooms_answer_async:
        attendee["responseStatus"] = _decide(world, room, calendar_id, event)
        return
    attendee["responseStatus"] = "needsAction"
    if not room.auto_accept:
        return

    def answer(w: World) -> None:
        _answer_later(w, key, number)

    world.pending.add(
        "room",
        f"{room.email} -> {calendar_id}/{event_id}",
        world.clock.time() + room.answer_delay,
        answer,
    )


def _answer_later(world: World, key: tuple[str, str, str], number: int) -> None:
    calendar_id, event_id, email = key
    room = world.rooms.get(email)
    record = world.live_record(calendar_id, event_id)
    if room is None or record is None or record.cancelled:
        return
    if world.room_invites.get((record.calendar_id, event_id, email)) != number:
        return
    for attendee in record.data.get("attendees") or []:
        if str(attendee.get("email", "")).lower() == email:
            if attendee.get("responseStatus", "needsAction") != "needsAction":
                return
            attendee["responseStatus"] = _decide(world, room, record.calendar_id, record.data)
    record.data["etag"] = world.new_etag()
    record.data["updated"] = rfc3339(world.clock.now())
    world.put_event(record)
