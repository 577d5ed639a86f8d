"""Calendar v3 ``acl.*``: a calendar's access control list (sharing).

    POST   calendars/{calendarId}/acl            {"role", "scope": {"type", "value"}}
    GET    calendars/{calendarId}/acl[/{ruleId}]
    PATCH|PUT|DELETE calendars/{calendarId}/acl/{ruleId}

A rule is ``{"kind": "calendar#aclRule", "etag", "id": "<type>:<value>", "scope", "role"}``
(the public scope's id is ``default``). The data owner's rule ``user:<owner>`` (role ``owner``)
is always listed. What the rules grant is decided in :mod:`.access`.

- Reading the list needs ``writer`` access (discovery ``AclRule.role``: writer "Provides read
  access to the calendar's ACLs"), changing it ``owner``; less is 403 ``requiredAccessLevel``,
  no access at all 404 ``notFound``.
- Validation (400): role or scope type outside the discovery lists → ``invalid``; a missing
  ``scope.value`` (other than for ``default``) → ``required``; a user/group value that is not
  an address, a domain with ``@``, or a value on ``default`` → ``invalidScopeValue``; ``writer``
  or ``owner`` for ``default`` → ``illegalAccessRoleForDefault``; patch/update naming another
  scope than the rule's → ``invalid``.
- A caller may not change or delete their own rule (403 ``cannotChangeOwnAcl`` "Cannot change
  your own access level.") nor a co-owner the data owner's (403
  ``cannotModifyAclOfCalendarOwner``). Reasons as Google answers them (GAM handles them).
- ``insert`` of a scope that has a rule changes that rule's role (choice). ``delete`` leaves a
  tombstone (role ``none``) shown by ``list`` with ``showDeleted`` or ``syncToken``; ``get``,
  ``patch`` or ``delete`` of a deleted or unknown rule is 404 ``notFound``.
- ``list`` pages (100 default, 250 max) and ends with ``nextSyncToken``; ``syncToken`` returns
  the rules changed since (410 ``fullSyncRequired`` for a token not made for this ACL).
- ``sendNotifications`` is accepted; no email is logged for sharing.
"""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from ..gateway.calls import Call, Handler, Reply
from ..gateway.paging import page
from ..state.calendars import AclRule, Calendar
from ..state.world import World
from .access import ROLES
from .calendars import resolve_calendar
from .events_list import refuse_hidden_deletions, sync_position, sync_token

__all__ = ["HANDLERS"]

_SCOPE_TYPES = ("default", "user", "group", "domain")
_NOT_FOUND = "Not Found"


def _resource(rule: AclRule) -> dict[str, Any]:
    scope: dict[str, Any] = {"type": rule.scope_type}
    if rule.scope_value is not None:
        scope["value"] = rule.scope_value
    return {
        "kind": "calendar#aclRule",
        "etag": rule.etag,
        "id": rule.id,
        "scope": scope,
        "role": "none" if rule.deleted else rule.role,
    }


def _owner_rule(calendar: Calendar) -> AclRule | None:
    """The data owner's implied rule (None for calendars seeded without an owner)."""
    if not calendar.owner:
        return None
    return AclRule("user", calendar.owner, "owner", etag=calendar.etag)


def _rules(world: World, calendar: Calendar) -> list[AclRule]:
    """Every rule of the calendar, the data owner's first, tombstones included."""
    owner = _owner_rule(calendar)
    stored = [
        r for r in world.acl.get(calendar.id, {}).values() if owner is None or r.id != owner.id
    ]
    return ([owner] if owner else []) + stored


def _find(world: World, calendar: Calendar, rule_id: str) -> AclRule:
    for rule in _rules(world, calendar):
        if rule.id == rule_id and not rule.deleted:
            return rule
    raise ApiError(404, "notFound", _NOT_FOUND)


def _role(body: dict[str, Any], current: str | None) -> str:
    role = body.get("role", current)
    if role is None:
        raise ApiError(400, "required", "Missing role.")
    if role not in ROLES:
        raise ApiError(400, "invalid", f"Invalid role value: {role}")
    return str(role)


def _scope(body: dict[str, Any], current: AclRule | None) -> tuple[str, str | None]:
    """(type, value) of the body's scope, checked; the current rule's when the body has none."""
    scope = body.get("scope")
    if scope is None and current is not None:
        return current.scope_type, current.scope_value
    if not isinstance(scope, dict) or scope.get("type") is None:
        raise ApiError(400, "required", "Missing scope type.")
    kind = str(scope["type"])
    if kind not in _SCOPE_TYPES:
        raise ApiError(400, "invalid", f"Invalid scope type value: {kind}")
    value = scope.get("value")
    if kind == "default":
        if value not in (None, ""):
            raise ApiError(400, "invalidScopeValue", "Invalid scope value.")
        return kind, None
    if value in (None, ""):
        raise ApiError(400, "required", "Missing scope value.")
    text = str(value).strip().lower()
    is_address = text.count("@") == 1 and all(text.partition("@")[::2]) and " " not in text
    if (kind == "domain" and ("@" in text or "." not in text)) or (
        kind != "domain" and not is_address
    ):
        raise ApiError(400, "invalidScopeValue", "Invalid scope value.")
    return kind, text


def _check_rule(call: Call, calendar: Calendar, kind: str, value: str | None, role: str) -> None:
    if kind == "default" and role in ("writerWithoutPrivateAccess", "writer", "owner"):
        raise ApiError(
            400, "illegalAccessRoleForDefault", "Illegal access role for the default scope."
        )
    if kind != "user":
        return
    if value == call.caller.email:
        raise ApiError(403, "cannotChangeOwnAcl", "Cannot change your own access level.")
    if value == calendar.owner:
        raise ApiError(
            403, "cannotModifyAclOfCalendarOwner", "Cannot modify the ACL of the calendar owner."
        )


def _store(world: World, calendar: Calendar, kind: str, value: str | None, role: str) -> AclRule:
    rule = AclRule(kind, value, role, etag=world.new_etag(), change_seq=world.next_seq())
    world.acl.setdefault(calendar.id, {})[rule.id] = rule
    return rule


def _calendar(call: Call, need: str) -> Calendar:
    return resolve_calendar(call.world, call.caller, call.params.required("calendarId"), need=need)


def _insert(call: Call) -> Reply:
    calendar = _calendar(call, "owner")
    kind, value = _scope(call.body, None)
    role = _role(call.body, None)
    _check_rule(call, calendar, kind, value, role)
    return Reply(200, _resource(_store(call.world, calendar, kind, value, role)))


def _get(call: Call) -> Reply:
    calendar = _calendar(call, "writer")
    return Reply(200, _resource(_find(call.world, calendar, call.params.required("ruleId"))))


def _list(call: Call) -> Reply:
    calendar = _calendar(call, "writer")
    params, world = call.params, call.world
    rules = _rules(world, calendar)
    token_key = f"acl:{calendar.id}"
    sync = params.string("syncToken")
    if sync is not None:
        refuse_hidden_deletions(params)
        since = sync_position(world, token_key, sync)
        rules = [r for r in rules if r.change_seq > since]
    elif not params.flag("showDeleted"):
        rules = [r for r in rules if not r.deleted]
    items, next_token = page(
        rules, params.string("pageToken"), params.integer("maxResults"), default=100, limit=250
    )
    body: dict[str, Any] = {
        "kind": "calendar#acl",
        "etag": world.new_etag(),
        "items": [_resource(r) for r in items],
    }
    if next_token:
        body["nextPageToken"] = next_token
    else:
        body["nextSyncToken"] = sync_token(world, token_key, world.next_seq())
    return Reply(200, body)


def _change(call: Call, full_replace: bool) -> Reply:
    calendar = _calendar(call, "owner")
    current = _find(call.world, calendar, call.params.required("ruleId"))
    kind, value = _scope(call.body, None if full_replace else current)
    if (kind, value) != (current.scope_type, current.scope_value):
        raise ApiError(400, "invalid", "The scope of a rule cannot be changed.")
    role = _role(call.body, None if full_replace else current.role)
    _check_rule(call, calendar, kind, value, role)
    return Reply(200, _resource(_store(call.world, calendar, kind, value, role)))


def _patch(call: Call) -> Reply:
    return _change(call, full_replace=False)


def _update(call: Call) -> Reply:
    return _change(call, full_replace=True)


def _delete(call: Call) -> Reply:
    calendar = _calendar(call, "owner")
    rule = _find(call.world, calendar, call.params.required("ruleId"))
    _check_rule(call, calendar, rule.scope_type, rule.scope_value, "none")
    deleted = _store(call.world, calendar, rule.scope_type, rule.scope_value, "none")
    deleted.deleted = True
    return Reply(204)


HANDLERS: dict[str, Handler] = {
    "calendar.acl.insert": _insert,
    "calendar.acl.get": _get,
    "calendar.acl.list": _list,
    "calendar.acl.patch": _patch,
    "calendar.acl.update": _update,
    "calendar.acl.delete": _delete,
}
