"""Calendar v3: calendars and calendarList, and which calendar or event a request may use.

Access rule (:mod:`.access`): the caller's effective role — data owner, ACL rules (``acl.*``),
subscriptions seeded with the control call ``subscribe``, room calendars of the caller's domain —
decides: ``reader`` and up read, ``writer`` (and ``writerWithoutPrivateAccess``) and up write
events, ``owner`` changes ACLs; less than needed is 403 ``requiredAccessLevel``; no access at
all is 404 ``notFound`` (Google hides calendars you cannot see). Only the data owner may delete
a secondary calendar (a co-owner gets 403). calendarList.list lists the caller's own calendars,
the subscribed ones (strict reading, switch ``calendar_list_includes_subscriptions``: Google lists
shared, holiday and resource calendars) and those added with ``calendarList.insert``; an ACL
grant alone does not add a calendar to the grantee's list.
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
from .access import access_role, at_least
from .invitations import invitations_on

__all__ = ["HANDLERS", "calendar_resource", "find_event", "required_access", "resolve_calendar"]

_NOT_FOUND = "Not Found"


def resolve_calendar(
    world: World,
    caller: Principal,
    calendar_id: str,
    *,
    read_only: bool = False,
    need: str | None = None,
) -> Calendar:
    """The calendar named by ``calendar_id`` (``primary`` allowed) if the caller may use it.

    ``need`` is the role the call needs (:mod:`.access`): ``reader`` for reads (``read_only``),
    ``writer`` for writes (the default), ``owner`` for ACL changes. A caller with some access
    but less than that gets 403 ``requiredAccessLevel`` ("You need to have <need> access to this
    calendar."); one without any access 404 ``notFound``.
    """
    key = caller.email if calendar_id == "primary" else calendar_id.lower()
    calendar = world.calendars.get(key)
    if calendar is None:
        raise ApiError(404, "notFound", _NOT_FOUND)
    role = access_role(world, caller, calendar)
    if role is None:
        raise ApiError(404, "notFound", _NOT_FOUND)
    wanted = need or ("reader" if read_only else "writer")
    if not at_least(role, wanted):
        raise required_access(wanted)
    return calendar


def required_access(level: str) -> ApiError:
    """Google's 403 for a caller who can see the calendar but lacks ``level`` access."""
    return ApiError(
        403,
        "requiredAccessLevel",
        f"You need to have {level} access to this calendar.",
        domain="calendar",
    )


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
    kind = "calendars_created"
    world.abuse.record(
        caller.email, world.clock.time(), world.strictness.abuse_limit(kind), kind=kind
    )
    return Reply(200, calendar_resource(calendar, caller.service_account))


def _get_calendar(call: Call) -> Reply:
    calendar = resolve_calendar(
        call.world, call.caller, call.params.required("calendarId"), read_only=True
    )
    return Reply(200, calendar_resource(calendar, call.caller.service_account))


def _delete_calendar(call: Call) -> Reply:
    calendar = resolve_calendar(
        call.world, call.caller, call.params.required("calendarId"), need="owner"
    )
    if calendar.primary:
        raise ApiError(
            400,
            "cannotDeletePrimaryCalendar",
            "Primary calendars cannot be deleted; use calendars.clear instead.",
        )
    if calendar.owner != call.caller.email:
        # Stricter reading: an ACL owner manages the calendar but only its data owner (the
        # creator) may delete it; the reference names no other deleter.
        raise required_access("owner")
    call.world.drop_calendar(calendar.id)
    return Reply(204)


def _listed_calendars(world: World, caller: Principal) -> list[Calendar]:
    """The caller's calendar list: own calendars (primary first, then by summary), the
    subscribed ones (unless the strictness switch says otherwise), then those added with
    ``calendarList.insert``; each once, and only while the caller still has access."""
    owned = [c for c in world.calendars.values() if c.owner == caller.email]
    owned.sort(key=lambda c: (not c.primary, c.summary))
    others = list(world.calendar_list_added.get(caller.email, []))
    if world.strictness.calendar_list_includes_subscriptions:
        others = list(world.subscriptions.get(caller.email, {})) + others
    listed = list(owned)
    for calendar_id in dict.fromkeys(others):
        calendar = world.calendars.get(calendar_id)
        if calendar is None or calendar in listed:
            continue
        if access_role(world, caller, calendar) is not None:
            listed.append(calendar)
    return listed


def _list_entry(world: World, caller: Principal, calendar: Calendar) -> dict[str, Any]:
    entry = calendar_resource(calendar, caller.service_account)
    entry.update(
        kind="calendar#calendarListEntry",
        accessRole=access_role(world, caller, calendar),
        defaultReminders=[],
        colorId="14",
        backgroundColor="#9fe1e7",
        foregroundColor="#000000",
        selected=True,
    )
    if calendar.primary and calendar.owner == caller.email:
        entry["primary"] = True
    return entry


def _list_calendar_list(call: Call) -> Reply:
    caller = call.caller
    items, next_token = page(
        _listed_calendars(call.world, caller),
        call.params.string("pageToken"),
        call.params.integer("maxResults"),
        default=100,
        limit=250,
    )
    body: dict[str, Any] = {
        "kind": "calendar#calendarList",
        "etag": call.world.new_etag(),
        "items": [_list_entry(call.world, caller, calendar) for calendar in items],
    }
    if next_token:
        body["nextPageToken"] = next_token
    return Reply(200, body)


def _insert_calendar_list(call: Call) -> Reply:
    """Add a calendar the caller can see (at least ``freeBusyReader``) to their list; adding
    one that is already listed answers its entry (choice: idempotent)."""
    world, caller = call.world, call.caller
    calendar = world.calendars.get(str(call.body.get("id") or "").lower())
    if calendar is None or access_role(world, caller, calendar) is None:
        raise ApiError(404, "notFound", _NOT_FOUND)
    if calendar not in _listed_calendars(world, caller):
        world.calendar_list_added.setdefault(caller.email, []).append(calendar.id)
    return Reply(200, _list_entry(world, caller, calendar))


HANDLERS: dict[str, Handler] = {
    "calendar.calendars.insert": _insert_calendar,
    "calendar.calendars.get": _get_calendar,
    "calendar.calendars.delete": _delete_calendar,
    "calendar.calendarList.list": _list_calendar_list,
    "calendar.calendarList.insert": _insert_calendar_list,
}
