"""Admin SDK Directory: ``users.get``/``users.list`` and ``resources.calendars.get``/``list``.

    directory.users().list(customer="my_customer", query="isSuspended=true").execute()
    directory.users().get(userKey="alice@acme.com").execute()      # or the user's id
    directory.resources().calendars().list(customer="my_customer").execute()

- Each seeded domain is one Workspace customer (``customerId`` from ``world.customer_id``);
  ``my_customer`` is the caller's. Callers must be admins of that customer: a token of a seeded
  user with ``admin=True``, or a delegated service account acting as one (``sub``). Others get
  403 ``forbidden`` "Not Authorized to access this resource/api" (what Google answers
  non-admins), also for another customer's users/domain. The exception, as in Google:
  ``users.get``/``users.list`` with ``viewType=domain_public`` work for any active user of the
  domain and return only the public fields (no ``suspended``, ``isAdmin``...).
- Token scopes are checked by the gateway (``admin.directory.user[.readonly]``,
  ``admin.directory.resource.calendar[.readonly]`` -> 403 ``insufficientPermissions``).
- ``users.list`` needs ``customer`` or ``domain`` (neither: 400 ``badRequest``); ``query``, see
  :mod:`calsync_sandbox.directory.query`; ``orderBy`` email/givenName/familyName + ``sortOrder``
  (default: by email); ``maxResults`` (default 100, max 500) and ``pageToken``; ``fields``,
  ``projection`` and ``showDeleted`` are accepted and ignored (full resources, no deleted users).
- An unknown ``userKey`` is 404 ``notFound`` "Resource Not Found: userKey"; an unknown resource
  id 404 ``notFound`` "Resource Not Found: calendarResourceId".
"""

from __future__ import annotations

import functools
from typing import Any

from ..calendar.rooms import resource_json
from ..errors import ApiError
from ..gateway.calls import Call, Handler, Reply
from ..gateway.paging import admin_list
from ..state.identities import User
from ..state.world import World
from .query import resources_filter, users_filter

__all__ = ["HANDLERS", "caller_admin", "find_user", "user_json"]

_NOT_AUTHORIZED = "Not Authorized to access this resource/api"
_EPOCH = "2026-01-05T09:00:00.000Z"


def _forbidden() -> ApiError:
    return ApiError(403, "forbidden", _NOT_AUTHORIZED)


def _domain(email: str) -> str:
    return email.lower().rpartition("@")[2]


def caller_admin(call: Call) -> User:
    """The calling admin user, or 403 like Google."""
    caller = call.caller
    user = call.world.active_user(caller.email)
    if caller.service_account or user is None or not user.admin:
        raise _forbidden()
    if call.world.customer_id(user.email) is None:
        raise _forbidden()
    return user


def _check_customer(world: World, admin: User, customer: str) -> None:
    if customer not in ("my_customer", world.customer_id(admin.email)):
        raise _forbidden()


def find_user(world: World, key: str) -> User | None:
    """A seeded user by primary email or by id."""
    user = world.users.get(key.lower())
    if user is not None:
        return user
    return next((u for u in world.users.values() if u.id == key), None)


def user_json(world: World, user: User, public: bool = False) -> dict[str, Any]:
    """The Directory ``User`` resource (``public``: the domain_public view)."""
    given, _, family = user.display_name.partition(" ")
    body: dict[str, Any] = {
        "kind": "admin#directory#user",
        "id": user.id,
        "etag": f'"{user.id}/{int(user.suspended)}{int(user.admin)}"',
        "primaryEmail": user.email,
        "name": {"givenName": given, "familyName": family, "fullName": user.display_name},
        "emails": [{"address": user.email, "primary": True}],
    }
    if public:
        return body
    body.update(
        isAdmin=user.admin,
        isDelegatedAdmin=False,
        lastLoginTime=_EPOCH,
        creationTime=_EPOCH,
        agreedToTerms=True,
        suspended=user.suspended,
        archived=False,
        changePasswordAtNextLogin=False,
        ipWhitelisted=False,
        customerId=world.customer_id(user.email),
        orgUnitPath="/",
        isMailboxSetup=True,
        isEnrolledIn2Sv=False,
        isEnforcedIn2Sv=False,
        includeInGlobalAddressList=True,
    )
    if user.suspended:
        body["suspensionReason"] = "ADMIN"
    return body


def _public_caller(call: Call) -> User | None:
    """A non-admin allowed the domain_public view (None when the admin view applies)."""
    if call.params.string("viewType") != "domain_public":
        return None
    user = call.world.active_user(call.caller.email)
    if call.caller.service_account or user is None or call.world.customer_id(user.email) is None:
        raise _forbidden()
    return user


def _get_user(call: Call) -> Reply:
    world = call.world
    viewer = _public_caller(call) or caller_admin(call)
    user = find_user(world, call.params.required("userKey"))
    if user is None or world.customer_id(user.email) is None:
        raise ApiError(404, "notFound", "Resource Not Found: userKey")
    if _domain(user.email) != _domain(viewer.email):
        raise _forbidden()
    public = call.params.string("viewType") == "domain_public"
    return Reply(200, user_json(world, user, public=public))


def _list_users(call: Call) -> Reply:
    world, params = call.world, call.params
    public = _public_caller(call)
    viewer = public or caller_admin(call)
    customer, domain = params.string("customer"), params.string("domain")
    if customer is None and domain is None:
        raise ApiError(400, "badRequest", "Bad Request")
    if customer is not None:
        _check_customer(world, viewer, customer)
    if domain is not None and domain.lower() != _domain(viewer.email):
        raise _forbidden()
    matches = users_filter(params.string("query"))
    found = [
        user_json(world, u, public=public is not None)
        for u in world.users.values()
        if _domain(u.email) == _domain(viewer.email)
    ]
    if public is not None:
        found = [u for u in found if world.active_user(u["primaryEmail"])]
    found = [u for u in found if matches(_searchable(world, u))]
    order = params.string("orderBy") or "email"
    sort_key = {
        "email": lambda u: u["primaryEmail"],
        "givenName": lambda u: u["name"]["givenName"].lower(),
        "familyName": lambda u: u["name"]["familyName"].lower(),
    }[order]
    found.sort(key=sort_key, reverse=params.string("sortOrder") == "DESCENDING")
    return Reply(200, admin_list(found, params, "admin#directory#users", "users"))


def _searchable(world: World, resource: dict[str, Any]) -> dict[str, Any]:
    """The admin view of a listed user (so a query can test fields the public view hides)."""
    user = world.users[resource["primaryEmail"]]
    return user_json(world, user)


def _rooms_of(call: Call) -> list[dict[str, Any]]:
    admin = caller_admin(call)
    _check_customer(call.world, admin, call.params.required("customer"))
    return [resource_json(r) for r in call.world.rooms.values() if r.domain == _domain(admin.email)]


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
    "directory.users.get": _get_user,
    "directory.users.list": _list_users,
    "directory.resources.calendars.list": _list_resources,
    "directory.resources.calendars.get": _get_resource,
}
