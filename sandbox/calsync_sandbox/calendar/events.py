"""Calendar v3 events: insert, get, list, patch, update and delete, the way Google behaves.

- Client ids must be base32hex, 5-1024 chars (400 ``invalid``); a reused id is 409 ``duplicate``,
  even when the old event is a cancelled tombstone.
- delete leaves a ``status: cancelled`` tombstone (get still returns it, list only with
  ``showDeleted``); deleting it again is 410 ``deleted``; update/patch with ``status: confirmed``
  restores it.
- Every change makes a new etag; ``If-Match`` with a stale etag is 412 ``conditionNotMet``.
- ``sequence`` goes up when start, end, location or recurrence change.
- A bare service account may not write events with attendees (403 ``forbiddenForServiceAccounts``).
- Writes send the emails ``sendUpdates`` asks for (see
  :mod:`calsync_sandbox.calendar.notifications`).
- Attendee copies (events shown on an invitee's primary calendar) are read-only here: writes to
  them are 403 ``forbiddenForNonOrganizer``; use the control API's ``respond`` instead.
- ``conferenceData`` follows :mod:`calsync_sandbox.calendar.conference` (ignored unless
  ``conferenceDataVersion=1``; Meet links are created asynchronously).
- Seeded rooms answer their invitations (see :mod:`calsync_sandbox.calendar.rooms`).
"""

from __future__ import annotations

import base64
import copy
import uuid
from typing import Any

from ..clock import rfc3339
from ..errors import ApiError
from ..gateway.calls import Call, Handler, Reply
from ..state.calendars import Calendar, EventRecord
from .access import access_role
from .calendars import find_event, resolve_calendar
from .conference import apply_conference
from .event_rules import (
    check_event_id,
    check_times,
    clean_extended_properties,
    merge_patch,
    render,
    writable_fields,
)
from .event_store import store_change
from .events_list import list_events

__all__ = ["HANDLERS"]

_SA_MESSAGE = (
    "Service accounts cannot invite attendees without Domain-Wide Delegation of Authority."
)
# Fields an update keeps from the stored event whatever the body says.
_KEPT_ON_UPDATE = (
    "kind",
    "id",
    "htmlLink",
    "created",
    "creator",
    "organizer",
    "iCalUID",
    "sequence",
    "eventType",
)
_NON_ORGANIZER = "Shared properties can only be changed by the organizer of the event."


def _send_updates(call: Call) -> str:
    mode = call.params.string("sendUpdates")
    if mode is None and call.params.flag("sendNotifications"):
        return "all"
    return mode or "none"


def _check_service_account(call: Call, event: dict[str, Any]) -> None:
    if call.caller.service_account and event.get("attendees"):
        raise ApiError(403, "forbiddenForServiceAccounts", _SA_MESSAGE, domain="calendar")


def _check_if_match(call: Call, record: EventRecord) -> None:
    wanted = call.headers.get("If-Match")
    if wanted and wanted.strip() not in ("*", record.data.get("etag")):
        raise ApiError(
            412,
            "conditionNotMet",
            "Precondition Failed",
            location_type="header",
            location="If-Match",
        )


def _conference(
    call: Call,
    calendar: Calendar,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    full_replace: bool,
) -> None:
    apply_conference(
        call.world,
        call.caller,
        call.params.integer("conferenceDataVersion", 0) or 0,
        sent=call.body,
        before=before,
        after=after,
        full_replace=full_replace,
        calendar_id=calendar.id,
    )


def _normalise_attendees(event: dict[str, Any]) -> None:
    for attendee in event.get("attendees") or []:
        if not isinstance(attendee, dict) or not attendee.get("email"):
            raise ApiError(400, "required", "Missing attendee email.")
        email = str(attendee["email"])
        if "@" not in email or " " in email.strip():
            raise ApiError(400, "invalid", "Invalid attendee email.")
        attendee.setdefault(
            "responseStatus", "accepted" if attendee.get("resource") else "needsAction"
        )


def _organizer(call: Call, calendar: Calendar) -> dict[str, Any]:
    if calendar.primary:
        user = call.world.users.get(calendar.owner)
        organizer: dict[str, Any] = {"email": calendar.owner}
        if user:
            organizer["displayName"] = user.display_name
        return organizer
    return {"email": calendar.id, "displayName": calendar.summary}


def _html_link(calendar_id: str, event_id: str) -> str:
    eid = base64.urlsafe_b64encode(f"{event_id} {calendar_id}".encode()).decode().rstrip("=")
    return f"https://www.google.com/calendar/event?eid={eid}"


def _save(
    call: Call,
    calendar: Calendar,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    order: int | None = None,
) -> EventRecord:
    """Stamp server fields, store, log the emails this change sends (:mod:`.event_store`)."""
    return store_change(
        call.world,
        calendar,
        before,
        after,
        actor=call.caller.email,
        send_updates=_send_updates(call),
        order=order,
    )


def _insert(call: Call) -> Reply:
    world, caller = call.world, call.caller
    calendar = resolve_calendar(world, caller, call.params.required("calendarId"))
    body = writable_fields(call.body)
    event_id = call.body.get("id")
    if event_id is not None:
        check_event_id(str(event_id))
        if str(event_id) in world.events.get(calendar.id, {}):
            raise ApiError(
                409,
                "duplicate",
                "The requested identifier already exists.",
                status="ALREADY_EXISTS",
            )
    else:
        event_id = uuid.uuid4().hex
    _check_service_account(call, body)
    _normalise_attendees(body)
    check_times(body)
    clean_extended_properties(body)
    now = rfc3339(world.clock.now())
    event: dict[str, Any] = {
        "kind": "calendar#event",
        "id": str(event_id),
        "status": "confirmed",
        "htmlLink": _html_link(calendar.id, str(event_id)),
        "created": now,
        "creator": {"email": caller.email},
        "organizer": _organizer(call, calendar),
        "iCalUID": str(call.body.get("iCalUID") or f"{event_id}@google.com"),
        "sequence": int(call.body.get("sequence") or 0),
        "reminders": {"useDefault": True},
        "eventType": "default",
    }
    event.update(body)
    _conference(call, calendar, None, event, full_replace=True)
    record = _save(call, calendar, None, event)
    return Reply(200, render(record.data, caller.email, own_copy=True))


def _writable_record(call: Call) -> tuple[Calendar, EventRecord]:
    calendar = resolve_calendar(call.world, call.caller, call.params.required("calendarId"))
    record, own = find_event(call.world, calendar, call.params.required("eventId"))
    if not own:
        raise ApiError(403, "forbiddenForNonOrganizer", _NON_ORGANIZER, domain="calendar")
    _check_if_match(call, record)
    return calendar, record


def _change(call: Call, full_replace: bool) -> Reply:
    calendar, record = _writable_record(call)
    before = record.data
    body = writable_fields(call.body)
    if full_replace:
        kept = {k: before[k] for k in _KEPT_ON_UPDATE if k in before}
        after: dict[str, Any] = {
            **kept,
            "status": "confirmed",
            "reminders": {"useDefault": True},
            **body,
        }
    else:
        after = merge_patch(before, body)
    if before.get("status") == "cancelled" and "status" not in body:
        after["status"] = "cancelled"
    _check_service_account(call, after)
    _normalise_attendees(after)
    check_times(after)
    clean_extended_properties(after)
    _conference(call, calendar, before, after, full_replace)
    saved = _save(call, calendar, before, after, order=record.order)
    return Reply(200, render(saved.data, call.caller.email, own_copy=True))


def _patch(call: Call) -> Reply:
    return _change(call, full_replace=False)


def _update(call: Call) -> Reply:
    return _change(call, full_replace=True)


def _delete(call: Call) -> Reply:
    calendar, record = _writable_record(call)
    if record.cancelled:
        raise ApiError(410, "deleted", "Resource has been deleted")
    after = copy.deepcopy(record.data)
    after["status"] = "cancelled"
    _save(call, calendar, record.data, after, order=record.order)
    return Reply(204)


def _get(call: Call) -> Reply:
    calendar = resolve_calendar(
        call.world, call.caller, call.params.required("calendarId"), read_only=True
    )
    record, own = find_event(call.world, calendar, call.params.required("eventId"))
    wanted = call.headers.get("If-None-Match")
    if wanted and wanted.strip() == record.data.get("etag"):
        return Reply(304)
    hide = call.world.strictness.hide_guests_in_copies
    return Reply(200, render(record.data, call.caller.email, own_copy=own, hide_other_guests=hide))


def _list(call: Call) -> Reply:
    calendar = resolve_calendar(
        call.world, call.caller, call.params.required("calendarId"), read_only=True
    )
    role = access_role(call.world, call.caller, calendar) or "reader"
    return Reply(200, list_events(call.world, calendar, call.params, call.caller.email, role))


HANDLERS: dict[str, Handler] = {
    "calendar.events.insert": _insert,
    "calendar.events.get": _get,
    "calendar.events.list": _list,
    "calendar.events.patch": _patch,
    "calendar.events.update": _update,
    "calendar.events.delete": _delete,
}
