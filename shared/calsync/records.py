"""The documents calsync keeps in Firestore, as typed models (DESIGN §4).

Layout::

    tenants/{tenant}                              TenantRecord
    tenants/{tenant}/items/{kind:id}              ItemRecord
    tenants/{tenant}/items/{kind:id}/parts/{key}  PartMapping
    tenants/{tenant}/ledger/{auto id}             LedgerEntry
    tenants/{tenant}/watched/{calendar hash}      WatchedCalendar
    watch_channels/{channel id}                   WatchChannel
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from calsync.contracts import Item, ItemRef, TenantSettings

__all__ = [
    "ItemRecord",
    "LedgerEntry",
    "PartMapping",
    "TenantRecord",
    "WatchChannel",
    "WatchedCalendar",
    "now",
]


def now() -> datetime:
    """The current time in UTC (one place for tests to freeze)."""
    return datetime.now(UTC)


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore")


class TenantRecord(_Record):
    """A tenant known from ``settings.updated``; holds its platform calendar id."""

    tenant_id: str
    settings: TenantSettings
    settings_version: int
    platform_calendar_id: str | None = None
    platform_identity: str | None = None
    """The platform identity (pool member) whose account holds the tenant's calendar and
    writes its events; None: the primary (``CALSYNC_PLATFORM_SUBJECT``), as for tenants from
    before the pool (``state.identity_pool``)."""
    platform_writers: list[str] = Field(default_factory=list)
    """Other pool identities the calendar is shared with as writers: a tenant's items are
    written as the holder or one of them (spread by item), so a large tenant's import is paced
    at the pool's combined rate, not one identity's."""
    settings_nonce: str = ""
    """Random, written with each recorded settings version: with the version it names that
    version's re-sync tasks, unique even for a tenant re-created with the same versions."""
    resync_settings: TenantSettings | None = None
    """The settings the tenant's events were last re-synced to (``tenant_resync``); None
    when never, or when sync was turned off since (Google may lag behind in any way)."""
    resync_version: int = -1
    """The settings version of the latest re-sync started (older ones stop early)."""


class ItemRecord(_Record):
    """The desired state of one item, newest version wins."""

    tenant_id: str
    ref: ItemRef
    version: int = -1
    deleted: bool = False
    item: Item | None = None
    synced_version: int = -1
    successor: str | None = None
    """Set by the orphan sweeper: who looks after the item while its organizer is suspended
    (an email, or ``platform``); cleared when the platform names a new organizer."""

    @property
    def needs_sync(self) -> bool:
        """True while Google has not yet been brought to ``version``."""
        return self.version > self.synced_version


class PartMapping(_Record):
    """Where one part lives in Google and what calsync last wrote there."""

    part_key: str
    calendar_id: str
    event_id: str
    owner_email: str
    owner_kind: str = "platform"
    generation: int = 0
    etag: str = ""
    fingerprint: str = ""
    synced_version: int = -1
    state: str = "synced"
    """``synced`` (the event is live), ``deleted`` (cancelled) or ``moving`` (cancelled in its
    old owner's calendar, its new owner's event not created yet)."""
    html_link: str | None = None
    ends_at: datetime | None = None
    meet_url: str | None = None
    meet_status: str = ""
    meet_retries: int = 0
    """Writes in a row that asked Google again for a Meet link that had failed
    (``calsync.sync.meet_retries``); 0 once a link exists."""
    room_responses: dict[str, str] = Field(default_factory=dict)
    via_delegation: bool = False
    """The event got into its owner's calendar through the admin identity (a Data Transfer, or
    a write through domain-wide delegation): calsync may keep acting as that owner for it."""
    updated_at: datetime = Field(default_factory=now)


class LedgerEntry(_Record):
    """One thing calsync did (or tried) in Google, and why."""

    at: datetime = Field(default_factory=now)
    item: str
    part_key: str
    operation: str
    event_id: str
    calendar_id: str
    version: int
    reason: str
    outcome: str
    send_updates: str = "none"
    detail: dict[str, Any] = Field(default_factory=dict)


class WatchChannel(_Record):
    """A Calendar push channel calsync opened (``events.watch``), found by its id when Google
    posts to ``on_calendar_change``. The channel's token is never stored: only its SHA-256
    (``token_sha256``), compared in constant time with the hash of the token Google echoes."""

    id: str
    tenant_id: str
    calendar_id: str
    owner_email: str
    """Who opened it: ``channels.stop`` needs the same identity (and OAuth client)."""
    owner_kind: str = "platform"
    via_delegation: bool = False
    resource_id: str = ""
    token_sha256: str
    expires_at: datetime
    state: str = "live"
    """``live``, ``replaced`` (a renewal opened its successor) or ``stopped``."""
    created_at: datetime = Field(default_factory=now)


class WatchedCalendar(_Record):
    """A calendar calsync writes to and watches: its current channel and incremental sync."""

    calendar_id: str
    owner_email: str
    owner_kind: str = "platform"
    via_delegation: bool = False
    channel_id: str = ""
    expires_at: datetime | None = None
    sync_token: str = ""
    """``nextSyncToken`` of the last read of the calendar's changes (empty: list in full)."""
    updated_at: datetime = Field(default_factory=now)
