"""The wire contracts (v1) between the platform and calsync (DESIGN §3).

Inbound messages: ``item.upserted``, ``item.deleted`` and ``settings.updated`` on
``platform-events``; ``enrollment.changed`` on ``platform-enrollments``. Outbound:
``Result`` on ``calsync-results``. JSON Schemas for all of them are generated into
``docs/schemas/`` by ``calsync schemas`` (a test keeps them current).

One module per concept, every name importable from here:

- ``fields``: the checked values (emails, host names, tenant ids, time zones, versions) and
  the same checks on plain strings (``in_domains``, ``path_bound``);
- ``items``: an item and its parts; ``tenant_settings``: a tenant's settings;
- ``platform_events``: the messages on ``platform-events``; ``enrollments``: the message on
  ``platform-enrollments``; ``results``: what calsync publishes;
- ``schemas``: their JSON Schemas.
"""

from __future__ import annotations

from calsync.contracts.enrollments import (
    MAX_ENROLLMENT_CHANGES,
    EnrollmentChange,
    EnrollmentChanged,
    EnrollmentMessage,
    EnrollmentStatus,
)
from calsync.contracts.fields import (
    VERSION_LIMIT,
    Domain,
    Email,
    EmailList,
    ItemId,
    PartKey,
    TenantId,
    TimeZone,
    Version,
    in_domains,
    path_bound,
)
from calsync.contracts.items import MAX_PARTS, Conference, Item, ItemKind, ItemRef, Part
from calsync.contracts.platform_events import (
    ItemDeleted,
    ItemUpserted,
    PlatformEvent,
    PlatformEventMessage,
    SettingsUpdated,
)
from calsync.contracts.results import AttendeeResponse, DriftField, Result, ResultStatus
from calsync.contracts.schemas import json_schemas
from calsync.contracts.tenant_settings import AttendeeNotifications, DriftPolicy, TenantSettings

__all__ = [
    "MAX_ENROLLMENT_CHANGES",
    "MAX_PARTS",
    "VERSION_LIMIT",
    "AttendeeNotifications",
    "AttendeeResponse",
    "Conference",
    "Domain",
    "DriftField",
    "DriftPolicy",
    "Email",
    "EmailList",
    "EnrollmentChange",
    "EnrollmentChanged",
    "EnrollmentMessage",
    "EnrollmentStatus",
    "Item",
    "ItemDeleted",
    "ItemId",
    "ItemKind",
    "ItemRef",
    "ItemUpserted",
    "Part",
    "PartKey",
    "PlatformEvent",
    "PlatformEventMessage",
    "Result",
    "ResultStatus",
    "SettingsUpdated",
    "TenantId",
    "TenantSettings",
    "TimeZone",
    "Version",
    "in_domains",
    "json_schemas",
    "path_bound",
]
