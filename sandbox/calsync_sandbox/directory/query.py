"""The ``query`` languages of Directory ``users.list`` and ``resources.calendars.list``.

    users_filter("isSuspended=true email:ops*")        # -> predicate over User resources
    resources_filter("buildingId=HQ AND capacity>=8")  # -> predicate over CalendarResources

Users (Google's "Search for users" guide): space-separated clauses, all ANDed, each
``field op value`` with values optionally quoted (``'...'`` or ``"..."``).
Supported: ``isSuspended``, ``isAdmin``, ``isDelegatedAdmin``, ``isArchived``,
``isEnrolledIn2Sv`` (``=true|false``); ``email`` (``=`` exact, ``:`` exact or ``:prefix*``);
``givenName``, ``familyName``, ``name`` (``=`` exact, ``:`` word prefix, ``:prefix*``);
``orgUnitPath=``; a bare word matches names and emails by prefix. Anything else is 400 ``invalid``
"Invalid Input: <clause>" (Google rejects queries it does not understand).

Resources: clauses joined by ``AND`` (optional), each optionally preceded by ``NOT``; fields
``resourceName``/``name``, ``generatedResourceName``, ``buildingId``, ``floorName``/``floor_name``,
``resourceEmail``, ``resourceCategory`` (``=``, ``!=``, ``:prefix*``) and ``capacity``
(``=``, ``!=``, ``>``, ``>=``, ``<``, ``<=``). ``featureInstances.feature.name`` matches nothing
(rooms have no features here).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from typing import Any

from ..errors import ApiError

__all__ = ["resources_filter", "users_filter"]

Predicate = Callable[[dict[str, Any]], bool]

_CLAUSE = re.compile(r"^([A-Za-z_.0-9]+)\s*(!=|>=|<=|=|:|>|<)\s*(.*)$")
_USER_BOOLEANS = {
    "isSuspended": "suspended",
    "isAdmin": "isAdmin",
    "isDelegatedAdmin": "isDelegatedAdmin",
    "isArchived": "archived",
    "isEnrolledIn2Sv": "isEnrolledIn2Sv",
}
_RESOURCE_FIELDS = {
    "resourceName": "resourceName",
    "name": "resourceName",
    "generatedResourceName": "generatedResourceName",
    "buildingId": "buildingId",
    "floorName": "floorName",
    "floor_name": "floorName",
    "resourceEmail": "resourceEmail",
    "resourceCategory": "resourceCategory",
    "featureInstances.feature.name": "featureInstances.feature.name",
}


def _bad(clause: str) -> ApiError:
    return ApiError(
        400, "invalid", f"Invalid Input: {clause}", location_type="parameter", location="query"
    )


def _split(query: str) -> list[str]:
    try:
        return shlex.split(query)
    except ValueError:
        raise _bad(query) from None


def _text_match(value: str, op: str, wanted: str) -> bool:
    value, wanted = value.lower(), wanted.lower()
    if op == "=":
        return value == wanted
    if op == "!=":
        return value != wanted
    if wanted.endswith("*"):
        return value.startswith(wanted[:-1])
    return value == wanted


def _user_clause(clause: str) -> Predicate:
    found = _CLAUSE.match(clause)
    if found is None:
        word = clause.lower()
        return lambda u: any(
            str(v).lower().startswith(word) for v in (u["primaryEmail"], *u["name"].values()) if v
        )
    field, op, value = found.groups()
    if field in _USER_BOOLEANS:
        if op != "=" or value.lower() not in ("true", "false"):
            raise _bad(clause)
        key, flag = _USER_BOOLEANS[field], value.lower() == "true"
        return lambda u: bool(u.get(key, False)) == flag
    if op not in ("=", ":"):
        raise _bad(clause)
    if field == "email":
        return lambda u: _text_match(u["primaryEmail"], op, value)
    if field == "orgUnitPath" and op == "=":
        return lambda u: str(u.get("orgUnitPath", "/")).lower() == value.lower()
    if field in ("givenName", "familyName", "name"):
        part = {"givenName": "givenName", "familyName": "familyName", "name": "fullName"}[field]

        def match(u: dict[str, Any]) -> bool:
            text = str(u["name"].get(part, ""))
            if op == "=" or value.endswith("*"):
                return _text_match(text, op, value)
            return any(w.lower().startswith(value.lower()) for w in text.split())

        return match
    raise _bad(clause)


def users_filter(query: str | None) -> Predicate:
    """A predicate over Directory User resources for ``users.list``'s ``query``."""
    clauses = [_user_clause(c) for c in _split(query or "")]
    return lambda u: all(c(u) for c in clauses)


def _resource_clause(clause: str) -> Predicate:
    found = _CLAUSE.match(clause)
    if found is None:
        raise _bad(clause)
    field, op, value = found.groups()
    if field == "capacity":
        try:
            number = int(value)
        except ValueError:
            raise _bad(clause) from None
        compare: dict[str, Callable[[int], bool]] = {
            "=": lambda c: c == number,
            "!=": lambda c: c != number,
            ">": lambda c: c > number,
            ">=": lambda c: c >= number,
            "<": lambda c: c < number,
            "<=": lambda c: c <= number,
        }
        if op not in compare:
            raise _bad(clause)
        test = compare[op]
        return lambda r: r.get("capacity") is not None and test(int(r["capacity"]))
    if field not in _RESOURCE_FIELDS or op not in ("=", "!=", ":"):
        raise _bad(clause)
    key = _RESOURCE_FIELDS[field]
    return lambda r: _text_match(str(r.get(key, "")), op, value)


def resources_filter(query: str | None) -> Predicate:
    """A predicate over CalendarResources for ``resources.calendars.list``'s ``query``."""
    tokens = _split(query or "")
    clauses: list[Predicate] = []
    negate = False
    for token in tokens:
        if token == "AND":
            continue
        if token == "NOT":
            negate = not negate
            continue
        test = _resource_clause(token)
        clauses.append((lambda t: lambda r: not t(r))(test) if negate else test)
        negate = False
    return lambda r: all(c(r) for c in clauses)
