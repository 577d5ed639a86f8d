"""Admin SDK Directory: ``resources.calendars.get``/``list``, the rooms as CalendarResources.

    directory.resources().calendars().list(customer="my_customer",
                                           query="buildingId=HQ AND capacity>=8").execute()

Admins only (:mod:`.admins`); the token needs ``admin.directory.resource.calendar[.readonly]``
(checked by the gateway). ``query``: see :mod:`.query`; ``orderBy`` is a comma-separated list
of ``resourceId``, ``resourceName``, ``capacity``, ``buildingId``, ``floorName``, each with an
optional ``asc``/``desc``. An unknown resource id is 404 ``notFound``
"Resource Not Found: calendarResourceId".
"""

from __future__ import annotations

import functools
import secrets
from typing import Any

from ..errors import ApiError
from ..gateway.calls import Call, Handler, Reply
from ..gateway.paging import admin_list
from ..state.calendars import Room
from .admins import caller_admin, check_customer, domain_of
from .query import resources_filter

__all__ = ["HANDLERS", "resource_json"]


def resource_json(room: Room) -> dict[str, Any]:
    """The Directory ``CalendarResource``."""
    prefix = "-".join(p for p in (room.building_id, room.floor_name) if p)
    generated = f"{prefix}-{room.name}" if prefix else room.name
    if room.capacity is not None:
        generated += f" ({room.capacity})"
    body: dict[str, Any] = {
        "kind": "admin#directory#resources#calendars#CalendarResource",
        "etags": f'"{secrets.token_hex(8)}"',
        "resourceId": room.resource_id,
        "resourceName": room.name,
        "generatedResourceName": generated,
        "resourceEmail": room.email,
        "resourceCategory": room.category,
    }
    optional = {
        "capacity": room.capacity,
        "buildingId": room.building_id,
        "floorName": room.floor_name,
        "resourceType": room.resource_type,
    }
    body.update({k: v for k, v in optional.items() if v is not None})
    return body


def _rooms_of(call: Call) -> list[dict[str, Any]]:
    admin = caller_admin(call)
    check_customer(call.world, admin, call.params.required("customer"))
    return [
        resource_json(r) for r in call.world.rooms.values() if r.domain == domain_of(admin.email)
    ]


def _order_resources(rooms: list[dict[str, Any]], order_by: str | None) -> None:
    allowed = ("resourceId", "resourceName", "capacity", "buildingId", "floorName")
    terms = [t.split() for t in (order_by or "resourceName").split(",") if t.strip()]
    for term in reversed(terms):
        field, direction = term[0], (term[1].lower() if len(term) > 1 else "asc")
        if field not in allowed or direction not in ("asc", "desc") or len(term) > 2:
            raise ApiError(400, "invalid", f"Invalid Input: orderBy {order_by}")
        rooms.sort(key=functools.partial(_sort_value, field=field), reverse=direction == "desc")


def _sort_value(resource: dict[str, Any], field: str) -> tuple[int, str]:
    value = resource.get(field)
    if field == "capacity":
        return (0, f"{int(value):012d}") if value is not None else (1, "")
    return (0, str(value).lower()) if value is not None else (1, "")


def _list_resources(call: Call) -> Reply:
    params = call.params
    rooms = [r for r in _rooms_of(call) if resources_filter(params.string("query"))(r)]
    _order_resources(rooms, params.string("orderBy"))
    kind = "admin#directory#resources#calendars#calendarResourcesList"
    return Reply(200, admin_list(rooms, params, kind, "items"))


def _get_resource(call: Call) -> Reply:
    wanted = call.params.required("calendarResourceId")
    for room in _rooms_of(call):
        if room["resourceId"] == wanted:
            return Reply(200, room)
    raise ApiError(404, "notFound", "Resource Not Found: calendarResourceId")


HANDLERS: dict[str, Handler] = {
    "directory.resources.calendars.list": _list_resources,
    "directory.resources.calendars.get": _get_resource,
}
