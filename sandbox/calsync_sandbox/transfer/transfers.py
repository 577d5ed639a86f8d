"""Admin SDK Data Transfer: ``applications.list/get`` and ``transfers.insert/get/list``.

    transfers.insert(body={"oldOwnerUserId": old_id, "newOwnerUserId": new_id,
        "applicationDataTransfers": [{"applicationId": "435070579839",
            "applicationTransferParams": [{"key": "RELEASE_RESOURCES", "value": ["TRUE"]}]}]})

Callers must be admins of the users' customer (403 ``forbidden`` otherwise; scopes
``admin.datatransfer`` for insert, ``.readonly`` also for reads). User ids are Directory ids
(``users.get``'s ``id``; an email is not accepted); unknown ids, an inactive new owner, the
same user twice, unknown applications or parameters are 400 ``invalid``.

A transfer is ``inProgress`` until ``transfer_delay`` seconds (sandbox clock, control API) have
passed, then the Calendar part runs and the transfer is ``completed``. What moves (Google's
parameters page and Admin Help): from the old owner's **primary** calendar, every event that is
not cancelled, starts at or after the transfer's completion time (sandbox clock), is not
``visibility: private`` or ``confidential``, is a ``default`` event and has at least one attendee
other than the old owner (a guest or a room). Each moves, with the same id, into a new secondary
calendar of the new owner named "Transferred from <old owner email>" (always created, even when
nothing moves; every transfer creates its own). The moved copy keeps attendees (and their
answers), shared extendedProperties, conferenceData, ``iCalUID`` and ``sequence``; its
``organizer`` becomes the new owner, it gets a new ``etag``, ``updated`` and ``htmlLink``. With
``RELEASE_RESOURCES=TRUE`` room attendees are removed from the moved events (the rooms are free
again). Google does not document what happens to private extended properties or ids, so the
strict reading drops the private properties (switch ``transfer_keeps_private_properties``) and,
with ``transfer_changes_event_ids``, gives moved events new ids (the old id then reads as the
tombstone only, it is not followed to the new calendar). The old calendar keeps a ``status:
cancelled`` tombstone with only ``id`` (like ``events.move``), so sync clients see a deletion.
No email is sent. Drive's application is listed and accepted, and its part does nothing.
"""

from __future__ import annotations

import base64
import copy
import secrets
from typing import Any

from ..calendar.event_rules import event_bounds
from ..clock import rfc3339
from ..directory.admins import caller_admin
from ..directory.users import find_user
from ..errors import ApiError
from ..gateway.calls import Call, Handler, Reply
from ..gateway.paging import admin_list
from ..state.calendars import Calendar, EventRecord
from ..state.identities import User
from ..state.world import World

__all__ = ["APPLICATIONS", "CALENDAR_APP_ID", "HANDLERS"]

CALENDAR_APP_ID = "435070579839"
DRIVE_APP_ID = "55656082996"
APPLICATIONS: dict[str, dict[str, Any]] = {
    CALENDAR_APP_ID: {
        "kind": "admin#datatransfer#ApplicationResource",
        "id": CALENDAR_APP_ID,
        "etag": '"calendar-app"',
        "name": "Calendar",
        "transferParams": [{"key": "RELEASE_RESOURCES", "value": ["TRUE"]}],
    },
    DRIVE_APP_ID: {
        "kind": "admin#datatransfer#ApplicationResource",
        "id": DRIVE_APP_ID,
        "etag": '"drive-app"',
        "name": "Drive and Docs",
        "transferParams": [{"key": "PRIVACY_LEVEL", "value": ["PRIVATE", "SHARED"]}],
    },
}


def _invalid(message: str) -> ApiError:
    return ApiError(400, "invalid", message)


def _list_applications(call: Call) -> Reply:
    caller_admin(call)
    applications = copy.deepcopy(list(APPLICATIONS.values()))
    kind = "admin#datatransfer#applicationsList"
    return Reply(200, admin_list(applications, call.params, kind, "applications"))


def _get_application(call: Call) -> Reply:
    caller_admin(call)
    app = APPLICATIONS.get(call.params.required("applicationId"))
    if app is None:
        raise ApiError(404, "notFound", "Resource Not Found: applicationId")
    return Reply(200, copy.deepcopy(app))


def _user(call: Call, admin: User, field: str) -> User:
    wanted = str(call.body.get(field) or "")
    user = next((u for u in call.world.users.values() if u.id == wanted), None)
    if user is None or user.email.rpartition("@")[2] != admin.email.rpartition("@")[2]:
        raise _invalid(f"Invalid value for {field}.")
    return user


def _check_params(apps: list[dict[str, Any]]) -> None:
    if not apps:
        raise _invalid("At least one applicationDataTransfer is required.")
    for app in apps:
        known = APPLICATIONS.get(str(app.get("applicationId")))
        if known is None:
            raise _invalid(f"Invalid application id: {app.get('applicationId')}.")
        allowed = {p["key"]: p["value"] for p in known["transferParams"]}
        for param in app.get("applicationTransferParams") or []:
            key, values = param.get("key"), param.get("value") or []
            if key not in allowed or any(v not in allowed[key] for v in values):
                raise _invalid(f"Invalid transfer parameter: {key}={values}.")


def _insert(call: Call) -> Reply:
    world = call.world
    admin = caller_admin(call)
    old, new = _user(call, admin, "oldOwnerUserId"), _user(call, admin, "newOwnerUserId")
    if old.email == new.email:
        raise _invalid("The old and new owners must be different users.")
    if new.suspended:
        raise _invalid("The new owner must be an active user.")
    apps = copy.deepcopy(call.body.get("applicationDataTransfers") or [])
    _check_params(apps)
    for app in apps:
        app["applicationTransferStatus"] = "inProgress"
    transfer_id = "AKrEtI" + secrets.token_urlsafe(24).replace("-", "x").replace("_", "y")
    transfer: dict[str, Any] = {
        "kind": "admin#datatransfer#DataTransfer",
        "etag": f'"{secrets.token_hex(8)}"',
        "id": transfer_id,
        "oldOwnerUserId": old.id,
        "newOwnerUserId": new.id,
        "applicationDataTransfers": apps,
        "overallTransferStatusCode": "inProgress",
        "requestTime": rfc3339(world.clock.now()),
    }
    world.transfers[transfer_id] = transfer
    world.pending.add(
        "transfer",
        transfer_id,
        world.clock.time() + world.settings.transfer_delay,
        lambda w: _complete(w, transfer_id),
    )
    return Reply(200, copy.deepcopy(transfer))


def _visible_transfer(call: Call, transfer: dict[str, Any]) -> bool:
    admin = caller_admin(call)
    old = find_user(call.world, transfer["oldOwnerUserId"])
    return old is not None and old.email.rpartition("@")[2] == admin.email.rpartition("@")[2]


def _get(call: Call) -> Reply:
    transfer = call.world.transfers.get(call.params.required("dataTransferId"))
    if transfer is None or not _visible_transfer(call, transfer):
        raise ApiError(404, "notFound", "Resource Not Found: dataTransferId")
    return Reply(200, copy.deepcopy(transfer))


def _list(call: Call) -> Reply:
    caller_admin(call)
    params = call.params
    filters = {
        "oldOwnerUserId": params.string("oldOwnerUserId"),
        "newOwnerUserId": params.string("newOwnerUserId"),
        "overallTransferStatusCode": params.string("status"),
    }
    found = [
        copy.deepcopy(t)
        for t in call.world.transfers.values()
        if _visible_transfer(call, t) and all(v is None or t[k] == v for k, v in filters.items())
    ]
    kind = "admin#datatransfer#dataTransfersList"
    return Reply(200, admin_list(found, params, kind, "dataTransfers"))


def _complete(world: World, transfer_id: str) -> None:
    transfer = world.transfers.get(transfer_id)
    if transfer is None or transfer["overallTransferStatusCode"] != "inProgress":
        return
    old = find_user(world, transfer["oldOwnerUserId"])
    new = find_user(world, transfer["newOwnerUserId"])
    for app in transfer["applicationDataTransfers"]:
        if app["applicationId"] == CALENDAR_APP_ID and old is not None and new is not None:
            release = any(
                p.get("key") == "RELEASE_RESOURCES" and "TRUE" in (p.get("value") or [])
                for p in app.get("applicationTransferParams") or []
            )
            move_calendar_data(world, old, new, release)
        app["applicationTransferStatus"] = "completed"
    transfer["overallTransferStatusCode"] = "completed"
    transfer["etag"] = f'"{secrets.token_hex(8)}"'


def _movable(world: World, record: EventRecord, owner: str) -> bool:
    data = record.data
    if record.cancelled or data.get("eventType", "default") != "default":
        return False
    if data.get("visibility") in ("private", "confidential"):
        return False
    bounds = event_bounds(data)
    if bounds is None or bounds[0] < world.clock.now():
        return False
    return any(e != owner for e in record.attendee_emails())


def move_calendar_data(world: World, old: User, new: User, release_resources: bool) -> Calendar:
    """Move the old owner's transferable events into a new "Transferred from" calendar."""
    target = world.add_secondary_calendar(new.email, f"Transferred from {old.email}")
    now = rfc3339(world.clock.now())
    for record in list(world.events.get(old.email, {}).values()):
        if not _movable(world, record, old.email):
            continue
        moved = copy.deepcopy(record.data)
        moved["organizer"] = {"email": new.email, "displayName": new.display_name}
        _apply_strict_readings(world, moved)
        new_id = str(moved["id"])
        if release_resources:
            moved["attendees"] = [a for a in moved.get("attendees") or [] if not a.get("resource")]
            if not moved["attendees"]:
                moved.pop("attendees")
        eid = base64.urlsafe_b64encode(f"{new_id} {target.id}".encode()).decode().rstrip("=")
        moved["htmlLink"] = f"https://www.google.com/calendar/event?eid={eid}"
        moved["etag"] = world.new_etag()
        moved["updated"] = now
        world.put_event(EventRecord(target.id, moved, world.next_seq(), 0))
        tombstone = {
            "kind": "calendar#event",
            "etag": world.new_etag(),
            "id": record.id,
            "status": "cancelled",
            "updated": now,
        }
        world.put_event(EventRecord(old.email, tombstone, record.order, 0))
        if new_id == record.id:
            world.relocated[(old.email, record.id)] = target.id
        for cal, event_id, room in list(world.room_invites):
            if (cal, event_id) == (old.email, record.id):
                number = world.room_invites.pop((cal, event_id, room))
                if not release_resources:
                    world.room_invites[(target.id, new_id, room)] = number
    return target


def _apply_strict_readings(world: World, moved: dict[str, Any]) -> None:
    """Drop private extended properties and change the id, as the strictness switches say."""
    strict = world.strictness
    properties = moved.get("extendedProperties")
    if not strict.transfer_keeps_private_properties and isinstance(properties, dict):
        properties.pop("private", None)
        if not properties:
            moved.pop("extendedProperties")
    if strict.transfer_changes_event_ids:
        moved["id"] = base64.b32hexencode(secrets.token_bytes(15)).decode().lower()


HANDLERS: dict[str, Handler] = {
    "datatransfer.applications.list": _list_applications,
    "datatransfer.applications.get": _get_application,
    "datatransfer.transfers.insert": _insert,
    "datatransfer.transfers.get": _get,
    "datatransfer.transfers.list": _list,
}
