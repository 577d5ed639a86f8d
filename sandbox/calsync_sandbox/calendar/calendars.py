"""Calendar v3: calendars and calendarList, and which calendar or event a request may use.

Access rule: only a calendar's owner may read or write it; anyone else gets 404 ``notFound``
(Google hides calendars you cannot see), except a calendar the caller subscribed to (control
``subscribe``): ``reader`` reads it, ``freeBusyReader`` gets 403 ``requiredAccessLevel`` for its
events. calendarList.list also lists the subscribed calendars (strict reading, switch
``calendar_list_includes_subscriptions``: Google lists shared, holiday and resource calendars).
``primary`` is the caller's own calendar, whose id is their email. A primary calendar also shows
the events the owner is invited to (attendee copies, same event id, read-only here; see
:mod:`.invitations`).

    HANDLERS["calendar.calendars.insert"](call)          # registered by method id
    calendar = resolve_calendar(world, caller, "primary", read_only=True)
    record, own_copy = find_event(world, calendar, event_id)
"""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from ..gateway.calls import Call, Handler, Reply
from ..gateway.paging import page
from ..state.calendars import Calendar, EventRecord
from ..state.identities import Principal
from ..state.world import World
from .invitations import invitations_on
from .rooms import can_read_room

__all__ = ["HANDLERS", "calendar_resource", "find_event", "resolve_calendar"]

_NOT_FOUND = "Not Found"


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
    role = world.subscriptions.get(caller.email, {}).get(calendar.id)
    if role == "reader" and read_only:
        return calendar
    if role is not None:
        raise ApiError(
            403,
            "requiredAccessLevel",
            "You need to have reader access to this calendar."
            if role == "freeBusyReader"
            else "You need to have writer access to this calendar.",
            domain="calendar",
        )
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
    strict = world.strictness
    world.abuse.record(
        caller.email,
        world.clock.time(),
        limit=strict.abuse_calendars_created,
        window=strict.abuse_calendars_window_seconds,
        block=strict.abuse_volume_block_seconds,
        kind="calendars_created",
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
    roles = call.world.subscriptions.get(caller.email, {})
    if call.world.strictness.calendar_list_includes_subscriptions:
        owned += [call.world.calendars[i] for i in roles if i in call.world.calendars]
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
            accessRole=roles.get(calendar.id, "owner"),
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


HANDLERS: dict[str, Handler] = {
    "calendar.calendars.insert": _insert_calendar,
    "calendar.calendars.get": _get_calendar,
    "calendar.calendars.delete": _delete_calendar,
    "calendar.calendarList.list": _list_calendar_list,
}
