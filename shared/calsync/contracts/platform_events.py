"""The messages on ``platform-events``: ``item.upserted``, ``item.deleted``,
``settings.updated``; ``PlatformEventMessage`` parses any of them by its ``type``."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from calsync.contracts.fields import TenantId, Version, WireModel
from calsync.contracts.items import Item, ItemRef
from calsync.contracts.tenant_settings import TenantSettings

__all__ = [
    "ItemDeleted",
    "ItemUpserted",
    "PlatformEvent",
    "PlatformEventMessage",
    "SettingsUpdated",
]


class ItemUpserted(WireModel):
    """An item was created or changed; ``version`` grows with every change."""

    type: Literal["item.upserted"]
    tenant_id: TenantId
    version: Version
    item: Item


class ItemDeleted(WireModel):
    """An item was deleted."""

    type: Literal["item.deleted"]
    tenant_id: TenantId
    version: Version
    item: ItemRef


class SettingsUpdated(WireModel):
    """A tenant's settings changed (and, the first time, the tenant became known)."""

    type: Literal["settings.updated"]
    tenant_id: TenantId
    version: Version
    settings: TenantSettings


PlatformEvent = Annotated[ItemUpserted | ItemDeleted | SettingsUpdated, Field(discriminator="type")]
PlatformEventMessage: TypeAdapter[ItemUpserted | ItemDeleted | SettingsUpdated] = TypeAdapter(
    PlatformEvent
)
