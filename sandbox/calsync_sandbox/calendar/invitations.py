"""Invitations: attendee copies, what each person sees, and answering an invitation.

An event lives on its organizer's calendar; an invitee's primary calendar shows it too (same
event id, read-only there), and a room's calendar leaves out what the room declined::

    invitations_on(world, calendar)                       # events shown there by invitation
    calendar_view(world, "bob@acme.com")                  # what Bob's calendar holds (control API)
    respond(world, "bob@acme.com", cal_id, event_id, "accepted")
"""

from __future__ import annotations

from typing import Any

from ..clock import rfc3339, utcnow
from ..state.calendars import Calendar, EventRecord
from ..state.world import World
from .event_rules import event_bounds
from .rooms import room_declined

__all__ = ["calendar_view", "invitations_on", "respond"]

_RESPONSES = ("needsAction", "declined", "tentative", "accepted")


def invitations_on(world: World, calendar: Calendar) -> list[EventRecord]:
    """Events of other calendars that show on ``calendar`` because its owner is invited
    (a room's calendar leaves out what the room declined)."""
    if not calendar.primary:
        return []
    records = world.invitations_for(calendar.owner)
    if calendar.id in world.rooms:
        records = [r for r in records if not room_declined(r.data, calendar.id)]
    return records


def _response_of(record: EventRecord, email: str) -> str:
    for attendee in record.data.get("attendees") or []:
        if str(attendee.get("email", "")).lower() == email:
            return str(attendee.get("responseStatus", "needsAction"))
    return "accepted"


def calendar_view(world: World, email: str) -> list[dict[str, Any]]:
    """What ``email`` sees in Google Calendar: events of their primary calendar (own and
    invited) and of the secondary calendars they own (e.g. "Transferred from …"), not
    cancelled, each event once."""
    key = email.lower()
    calendar = world.calendars.get(key)
    invited = invitations_on(world, calendar) if calendar else world.invitations_for(key)
    owned = [
        record
        for other in world.calendars.values()
        if other.owner == key and other.id != key
        for record in world.events.get(other.id, {}).values()
    ]
    records = owned + list(world.events.get(key, {}).values()) + invited
    view = []
    seen: set[str] = set()
    for record in records:
        if record.cancelled or record.id in seen:
            continue
        seen.add(record.id)
        data = record.data
        view.append(
            {
                "event_id": record.id,
                "calendar_id": record.calendar_id,
                "summary": data.get("summary"),
                "start": data.get("start"),
                "end": data.get("end"),
                "location": data.get("location"),
                "response_status": _response_of(record, key),
                "organizer": (data.get("organizer") or {}).get("email"),
                "attendees": record.attendee_emails(),
            }
        )
    bounds = {id(v): event_bounds(v) for v in view}
    view.sort(key=lambda v: (bounds[id(v)] or (utcnow(), utcnow()))[0].timestamp())
    return view


def respond(
    world: World, email: str, calendar_id: str, event_id: str, status: str
) -> dict[str, Any]:
    """Set an attendee's responseStatus on the event (as if they answered the invitation)."""
    if status not in _RESPONSES:
        raise ValueError(f"status must be one of {_RESPONSES}")
    key = email.lower()
    record = world.events.get(calendar_id.lower(), {}).get(event_id)
    if record is None:
        matches = [r for r in world.invitations_for(key) if r.id == event_id]
        record = matches[0] if matches else None
    if record is None or key not in record.attendee_emails():
        raise LookupError(f"{email} is not an attendee of {calendar_id}/{event_id}")
    for attendee in record.data.get("attendees") or []:
        if str(attendee.get("email", "")).lower() == key:
            attendee["responseStatus"] = status
    record.data["etag"] = world.new_etag()
    record.data["updated"] = rfc3339(world.clock.now())
    world.put_event(record)
    return {
        "calendar_id": record.calendar_id,
        "event_id": record.id,
        "email": key,
        "response_status": status,
    }
