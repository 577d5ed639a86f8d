"""The checked values the wire contracts are built from, and the checks on their own.

Emails and host names (normalised to lower case), tenant, item and part ids, IANA time zones
and versions, as pydantic field types; ``in_domains`` and ``path_bound`` apply the same rules
to plain strings (the HTTP functions' parameters, the domains people must lie inside).
``WireModel`` is the base of every inbound message: unknown fields are errors.
"""

from __future__ import annotations

import re
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

__all__ = [
    "VERSION_LIMIT",
    "Domain",
    "Email",
    "EmailList",
    "ItemId",
    "PartKey",
    "TenantId",
    "TimeZone",
    "Version",
    "WireModel",
    "in_domains",
    "path_bound",
    "unique",
]

VERSION_LIMIT = 2**63
"""Every integer calsync stores is below this: Firestore keeps signed 64-bit integers, and a
larger one would pass validation and then fail in Firestore's encoder."""

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


def _email(value: str) -> str:
    value = value.strip().lower()
    if len(value) > 254 or not _EMAIL.match(value):
        raise ValueError(f"not a valid email address: {value!r}")
    return value


_HOST = re.compile(
    r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$"
)


def _domain(value: str) -> str:
    value = value.strip().lower()
    if not _HOST.match(value):
        raise ValueError(f"not a valid host name: {value!r}")
    return value


def in_domains(email: str, domains: list[str]) -> bool:
    """True when ``email``'s domain is exactly one of ``domains`` (case-insensitive)."""
    _, at, domain = email.lower().rpartition("@")
    return bool(at) and domain in {d.lower() for d in domains if d}


def path_bound(tenant_id: object, email: object = None) -> str | None:
    """What is wrong with a tenant id (and an email) about to name a Firestore path or a
    person, or None when both are well formed (HTTP functions check every parameter)."""
    if not isinstance(tenant_id, str) or not re.match(_TENANT_ID, tenant_id):
        return "tenant must match " + _TENANT_ID
    if email is not None and (not isinstance(email, str) or not _EMAIL.match(email)):
        return "organizer must be an email address"
    return None


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA time zone: {value!r}") from exc
    return value


def unique(values: list[str]) -> list[str]:
    """``values`` without repeats, in their first order (a validator of lists)."""
    seen: dict[str, None] = dict.fromkeys(values)
    return list(seen)


Email = Annotated[str, AfterValidator(_email)]
"""An email address, normalised to lower case."""
Domain = Annotated[str, AfterValidator(_domain)]
"""A host name (``acme.com``), normalised to lower case; never empty."""
_TENANT_ID = r"^[a-z0-9][a-z0-9_-]{0,62}$"
TenantId = Annotated[str, Field(pattern=_TENANT_ID)]
ItemId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:-]{1,128}$")]
PartKey = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
TimeZone = Annotated[str, AfterValidator(_timezone)]
Version = Annotated[int, Field(ge=0, lt=VERSION_LIMIT)]
"""A version: 0 ≤ version < 2**63 (what Firestore stores as an integer)."""
EmailList = Annotated[list[Email], Field(max_length=1000), AfterValidator(unique)]


class WireModel(BaseModel):
    """Base of every wire model: unknown fields are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)
