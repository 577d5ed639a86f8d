"""Who may do what on a calendar: the caller's effective access role.

The role is the highest of (Google's ACL model, discovery ``AclRule.role``):

- ``owner`` for the calendar's data owner (its creator; a primary calendar's user);
- the calendar's ACL rules (``acl.*``) that match the caller: ``user:<email>``,
  ``domain:<the caller's email domain>`` and ``default`` (public); ``group`` rules are stored but
  match nobody (groups are not modelled);
- a subscription seeded with the control call ``subscribe`` (``reader``/``freeBusyReader``);
- ``reader`` on a room's calendar for users of the room's domain.

``none`` (or no match) is no access: the calendar is hidden (404 ``notFound``)::

    role = access_role(world, caller, calendar)          # "writer", or None
    at_least(role, "reader")                              # may read events
"""

from __future__ import annotations

from ..state.calendars import Calendar
from ..state.identities import Principal
from ..state.world import World
from .rooms import can_read_room

__all__ = ["ROLES", "access_role", "at_least"]

ROLES = ("none", "freeBusyReader", "reader", "writerWithoutPrivateAccess", "writer", "owner")
"""Every ACL role, weakest first (discovery ``AclRule.role``)."""
_RANK = {role: rank for rank, role in enumerate(ROLES)}


def at_least(role: str | None, wanted: str) -> bool:
    """True if ``role`` grants everything ``wanted`` grants."""
    return role is not None and _RANK[role] >= _RANK[wanted]


def access_role(world: World, caller: Principal, calendar: Calendar) -> str | None:
    """The caller's effective role on ``calendar``; None when they have no access at all."""
    if calendar.owner == caller.email:
        return "owner"
    domain = caller.email.rpartition("@")[2]
    granted = []
    for rule in world.acl.get(calendar.id, {}).values():
        if rule.deleted:
            continue
        if (
            (rule.scope_type == "user" and rule.scope_value == caller.email)
            or (rule.scope_type == "domain" and rule.scope_value == domain)
            or rule.scope_type == "default"
        ):
            granted.append(rule.role)
    subscribed = world.subscriptions.get(caller.email, {}).get(calendar.id)
    if subscribed is not None:
        granted.append(subscribed)
    if can_read_room(world, caller, calendar):
        granted.append("reader")
    best = max(granted, key=_RANK.__getitem__, default="none")
    return None if best == "none" else best
