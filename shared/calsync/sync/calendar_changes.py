"""Read a watched calendar's changes back (incremental sync, facts §8.4).

The ``calendar_changed`` task (one per calendar per coalescing window) lists the calendar's
events with its stored ``syncToken``, every page, and stores the new token. A sync token
cannot be combined with filters (``privateExtendedProperty``, ``timeMin``...), so the read
covers the whole calendar and calsync keeps only its own events:

- a live event is calsync's when its private properties name this tenant, an item and a part
  whose mapping points at this very event id (an older generation is not);
- a deleted one (Google guarantees only its id) when a mapping of the tenant points at it.

A token Google no longer accepts (410 ``fullSyncRequired``) is dropped and the calendar listed
in full for a new one; so is the first read of a calendar (no token yet). Each managed change
is handed on (``on_change``: drift, ``calsync.sync.drift``)::

    changes = CalendarChanges(store, keeper, on_change)
    found = changes.read("acme", calendar_id)        # [ManagedChange, ...]
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from calsync.errors import Gone
from calsync.logs import get_logger
from calsync.records import PartMapping, TenantRecord
from calsync.state.store import FirestoreStore
from calsync.sync.owners import Owner
from calsync.sync.rendering import ITEM_PROPERTY, PART_PROPERTY, TENANT_PROPERTY
from calsync.sync.watch_channels import ChannelKeeper

__all__ = ["CalendarChanges", "ManagedChange"]

_LOG = get_logger(__name__)
_CALSYNC_ID = re.compile(r"[a-v0-9]{32}")
"""What ``calsync.sync.event_ids.event_id`` makes: other ids are never looked up."""


@dataclass(frozen=True)
class ManagedChange:
    """A change Google reports on one of calsync's events."""

    tenant: TenantRecord
    owner: Owner
    item_key: str
    mapping: PartMapping
    event: dict[str, Any]
    """The event as Google has it now (a deletion: ``status: cancelled``, maybe only an id)."""

    @property
    def deleted(self) -> bool:
        return self.event.get("status") == "cancelled"


class CalendarChanges:
    """Reads watched calendars' changes and hands calsync's own on."""

    def __init__(
        self,
        store: FirestoreStore,
        keeper: ChannelKeeper,
        on_change: Callable[[ManagedChange], object] | None = None,
    ) -> None:
        self._store = store
        self._keeper = keeper
        self._on_change = on_change

    def read(self, tenant_id: str, calendar_id: str) -> list[ManagedChange]:
        """Read what changed in ``calendar_id`` since the last read; hand calsync's events on."""
        tenant = self._store.get_tenant(tenant_id)
        watched = self._store.watched(tenant_id, calendar_id)
        if tenant is None or watched is None or not self._keeper.wanted(tenant):
            return []
        owner = self._keeper.owner_of(tenant, watched)
        if owner is None:
            _LOG.warning(
                "a watched calendar's owner is out of reach; its changes are not read",
                extra={"fields": {"calendar_id": calendar_id, "owner": watched.owner_email}},
            )
            return []
        try:
            events, token = owner.gateway.changed_events(calendar_id, watched.sync_token)
            full = not watched.sync_token
        except Gone:
            _LOG.info(
                "sync token no longer valid; listing the calendar in full",
                extra={"fields": {"calendar_id": calendar_id}},
            )
            events, token = owner.gateway.changed_events(calendar_id, "")
            full = True
        found = [
            change
            for change in (self._managed(tenant, owner, event) for event in events)
            if change is not None
        ]
        _LOG.info(
            "calendar changes read",
            extra={
                "fields": {
                    "calendar_id": calendar_id,
                    "full": full,
                    "events": len(events),
                    "managed": len(found),
                }
            },
        )
        for change in found:
            if self._on_change is not None:
                self._on_change(change)
        self._store.save_sync_token(tenant_id, calendar_id, token)
        return found

    def _managed(
        self, tenant: TenantRecord, owner: Owner, event: dict[str, Any]
    ) -> ManagedChange | None:
        event_id = str(event.get("id", ""))
        if not _CALSYNC_ID.fullmatch(event_id):
            return None
        private = (event.get("extendedProperties") or {}).get("private") or {}
        tenant_id = tenant.tenant_id
        if private.get(TENANT_PROPERTY):
            if private.get(TENANT_PROPERTY) != tenant_id:
                return None
            item_key = str(private.get(ITEM_PROPERTY, ""))
            mapping = (
                self._store.mappings(tenant_id, item_key).get(str(private.get(PART_PROPERTY)))
                if item_key and "/" not in item_key and len(item_key) < 300
                else None
            )
        elif event.get("status") == "cancelled":
            found = self._store.mapping_of_event(tenant_id, event_id)
            item_key, mapping = found if found is not None else ("", None)
        else:
            return None
        if (
            mapping is None
            or mapping.event_id != event_id
            or mapping.calendar_id != owner.calendar_id
        ):
            return None
        return ManagedChange(tenant, owner, item_key, mapping, event)
