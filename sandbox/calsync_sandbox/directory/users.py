"""Admin SDK Directory: ``users.get`` and ``users.list``.

    directory.users().list(customer="my_customer", query="isSuspended=true").execute()
    directory.users().get(userKey="alice@acme.com").execute()      # or the user's id

- Admins of the user's customer only (:mod:`.admins`), with one exception, as in Google:
  ``users.get``/``users.list`` with ``viewType=domain_public`` work for any active user of the
  domain and return only the public fields (no ``suspended``, ``isAdmin``...).
- Token scopes are checked by the gateway (``admin.directory.user[.readonly]`` -> 403
  ``insufficientPermissions``).
- ``users.list`` needs ``customer`` or ``domain`` (neither: 400 ``badRequest``); ``query``, see
  :mod:`.query`; ``orderBy`` email/givenName/familyName + ``sortOrder``
  (default: by email); ``maxResults`` (default 100, max 500) and ``pageToken``; ``fields``,
  ``projection`` and ``showDeleted`` are accepted and ignored (full resources, no deleted users).
- An unknown ``userKey`` is 404 ``notFound`` "Resource Not Found: userKey".
"""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from ..gateway.calls import Call, Handler, Reply
from ..gateway.paging import admin_list
from ..state.identities import User
from ..state.world import World
from .admins import caller_admin, check_customer, domain_of, forbidden
from .query import users_filter

__all__ = ["HANDLERS", "find_user", "user_json"]

_EPOCH = "2026-01-05T09:00:00.000Z"


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
        raise forbidden()
    return user


def _get_user(call: Call) -> Reply:
    world = call.world
    viewer = _public_caller(call) or caller_admin(call)
    user = find_user(world, call.params.required("userKey"))
    if user is None or world.customer_id(user.email) is None:
        raise ApiError(404, "notFound", "Resource Not Found: userKey")
    if domain_of(user.email) != domain_of(viewer.email):
        raise forbidden()
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
        check_customer(world, viewer, customer)
    if domain is not None and domain.lower() != domain_of(viewer.email):
        raise forbidden()
    matches = users_filter(params.string("query"))
    found = [
        user_json(world, u, public=public is not None)
        for u in world.users.values()
        if domain_of(u.email) == domain_of(viewer.email)
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


HANDLERS: dict[str, Handler] = {
    "directory.users.get": _get_user,
    "directory.users.list": _list_users,
}
