"""Who may call the Admin SDK (Directory and Data Transfer): admins of the caller's customer.

    admin = caller_admin(call)                  # the calling admin user, or 403 ``forbidden``
    check_customer(world, admin, "my_customer") # 403 for another customer

Each seeded domain is one Workspace customer (``customerId`` from ``world.customer_id``);
``my_customer`` is the caller's. Callers must be admins of that customer: a token of a seeded
user with ``admin=True``, or a delegated service account acting as one (``sub``). Others get
403 ``forbidden`` "Not Authorized to access this resource/api" (what Google answers non-admins),
also for another customer's users/domain.
"""

from __future__ import annotations

from ..errors import ApiError
from ..gateway.calls import Call
from ..state.identities import User
from ..state.world import World

__all__ = ["caller_admin", "check_customer", "domain_of", "forbidden"]

_NOT_AUTHORIZED = "Not Authorized to access this resource/api"


def forbidden() -> ApiError:
    """Google's answer to a caller who is not an admin of the customer."""
    return ApiError(403, "forbidden", _NOT_AUTHORIZED)


def domain_of(email: str) -> str:
    """The domain part of an email address, lower-cased."""
    return email.lower().rpartition("@")[2]


def caller_admin(call: Call) -> User:
    """The calling admin user, or 403 like Google."""
    caller = call.caller
    user = call.world.active_user(caller.email)
    if caller.service_account or user is None or not user.admin:
        raise forbidden()
    if call.world.customer_id(user.email) is None:
        raise forbidden()
    return user


def check_customer(world: World, admin: User, customer: str) -> None:
    """403 unless ``customer`` is ``my_customer`` or the admin's own customer id."""
    if customer not in ("my_customer", world.customer_id(admin.email)):
        raise forbidden()
