"""Calendar v3: calendars and calendarList, calendar access, and the people's view of calendars.

Access rule: only a calendar's owner may read or write it; anyone else gets 404 ``notFound``
(Google hides calendars you cannot see). ``primary`` is the caller's own calendar, whose id is
their email. A primary calendar also shows the events the owner is invited to (attendee copies,
same event id, read-only here).

    HANDLERS["calendar.calendars.insert"](call)          # registered by method id
    calendar_view(world, "bob@acme.com")                  # what Bob's calendar holds (control API)
    respond(world, "bob@acme.com", cal_id, event_id, "accepted")
"""

from __future__ import annotations

from typing import Any

from ..clock import rfc3339, utcnow
from ..errors import ApiError
from ..gateway.calls import Call, Handler, Reply
from ..gateway.paging import page
from ..state.calendars import Calendar, EventRecord
from ..state.identities import Principal
from ..state.world import World
from .event_rules import event_bounds
from .rooms import can_read_room, room_declined

__all__ = [
    "HANDLERS",
    "calendar_view",
    "find_event",
    "invitations_on",
    "resolve_calendar",
    "respond",
]

_NOT_FOUND = "Not Found"
_RESPONSES = ("needsAction", "declined", "tentative", "accepted")


def resolve_calendar(
    world: World, caller: Principal, calendar_id: str, *, read_only: bool = False
) -> Calendar:
    """The calendar named by ``calendar_id`` (``primary`` allowed) if the caller may use it.

    Owners may read and write; users of a room's domain may read the room's calendar (a write
    there is 403 ``requiredAccessLevel``); anything else is 404 ``notFound``.
    """
    key = caller.email if calendar_id == "primary" else calendar_id.lower()
    calendar = world.calendars.get(key)
    if calendar is None:
        raise ApiError(404, "notFound", _NOT_FOUND)
    if calendar.owner == caller.email:
        return calendar
    if can_read_room(world, caller, calendar):
        if read_only:
            return calendar
        raise ApiError(
            403,
            "requiredAccessLevel",
            "You need to have writer access to this calendar.",
            domain="calendar",
        )
    raise ApiError(404, "notFound", _NOT_FOUND)


def invitations_on(world: World, calendar: Calendar) -> list[EventRecord]:
    """Events of other calendars that show on ``calendar`` because its owner is invited
    (a room's calendar leaves out what the room declined)."""
    if not calendar.primary:
        return []
    records = world.invitations_for(calendar.owner)
    if calendar.id in world.rooms:
        records = [r for r in records if not room_declined(r.data, calendar.id)]
    return records


def find_event(world: World, calendar: Calendar, event_id: str) -> tuple[EventRecord, bool]:
    """The event as seen on ``calendar``: ``(record, own_copy)``; attendee copies are not own."""
    own = world.events.get(calendar.id, {}).get(event_id)
    if own is not None:
        return own, True
    for record in invitations_on(world, calendar):
        if record.id == event_id:
            return record, False
    raise ApiError(404, "notFound", _NOT_FOUND)


def calendar_resource(calendar: Calendar, owner_is_service_account: bool) -> dict[str, Any]:
    """The ``calendar#calendar`` resource."""
    body: dict[str, Any] = {
        "kind": "calendar#calendar",
        "etag": calendar.etag,
        "id": calendar.id,
        "summary": calendar.summary,
        "timeZone": calendar.time_zone,
        "conferenceProperties": {
            "allowedConferenceSolutionTypes": [] if owner_is_service_account else ["hangoutsMeet"]
        },
    }
    if calendar.description:
        body["description"] = calendar.description
    if not calendar.primary:
        body["dataOwner"] = calendar.owner
    return body


def _insert_calendar(call: Call) -> Reply:
    caller = call.caller
    world = call.world
    summary = call.body.get("summary")
    if not summary:
        raise ApiError(400, "required", "Missing title.")
    calendar = world.add_secondary_calendar(
        caller.email,
        str(summary),
        time_zone=str(call.body.get("timeZone") or "UTC"),
        description=call.body.get("description"),
    )
    return Reply(200, calendar_resource(calendar, caller.service_account))


def _get_calendar(call: Call) -> Reply:
    calendar = resolve_calendar(
        call.world, call.caller, call.params.required("calendarId"), read_only=True
    )
    return Reply(200, calendar_resource(calendar, call.caller.service_account))


def _delete_calendar(call: Call) -> Reply:
    calendar = resolve_calendar(call.world, call.caller, call.params.required("calendarId"))
    if calendar.primary:
        raise ApiError(
            400,
            "cannotDeletePrimaryCalendar",
            "Primary calendars cannot be deleted; use calendars.clear instead.",
        )
    call.world.drop_calendar(calendar.id)
    return Reply(204)


def _list_calendar_list(call: Call) -> Reply:
    caller = call.caller
    owned = [c for c in call.world.calendars.values() if c.owner == caller.email]
    owned.sort(key=lambda c: (not c.primary, c.summary))
    items, next_token = page(
        owned,
        call.params.string("pageToken"),
        call.params.integer("maxResults"),
        default=100,
        limit=250,
    )
    entries = []
    for calendar in items:
        entry = calendar_resource(calendar, caller.service_account)
        entry.update(
            kind="calendar#calendarListEntry",
            accessRole="owner",
            defaultReminders=[],
            colorId="14",
            backgroundColor="#9fe1e7",
            foregroundColor="#000000",
            selected=True,
        )
        if calendar.primary:
            entry["primary"] = True
        entries.append(entry)
    body: dict[str, Any] = {
        "kind": "calendar#calendarList",
        "etag": call.world.new_etag(),
        "items": entries,
    }
    if next_token:
        body["nextPageToken"] = next_token
    return Reply(200, body)


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


HANDLERS: dict[str, Handler] = {
    "calendar.calendars.insert": _insert_calendar,
    "calendar.calendars.get": _get_calendar,
    "calendar.calendars.delete": _delete_calendar,
    "calendar.calendarList.list": _list_calendar_list,
}
