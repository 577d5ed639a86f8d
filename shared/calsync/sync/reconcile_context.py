"""What one reconcile of one item carries from part to part.

``Reconciler`` builds one ``ReconcileContext`` per item after reading it, and hands it to
each part's sync (``calsync.sync.part_sync``) and write (``calsync.sync.part_writer``)::

    context = ReconcileContext(owners, record, enrolled, lease)
    context.tenant           # the tenant, as ``owners`` resolved it
    context.record           # the item as read: its desired state and version
    context.lease            # None only when re-syncing inline, without a lease
    context.written          # the calendars parts were synced into, by id
"""

from __future__ import annotations

from dataclasses import dataclass, field

from calsync.records import ItemRecord, TenantRecord
from calsync.sync.item_lease import ItemLease
from calsync.sync.owners import Owner, Owners

__all__ = ["ReconcileContext"]


@dataclass(frozen=True)
class ReconcileContext:
    """One reconcile of one item: its tenant, desired state and owner resolution."""

    owners: Owners
    record: ItemRecord
    enrolled: list[str]
    lease: ItemLease | None = None
    written: dict[str, Owner] = field(default_factory=dict)
    """Calendar id → owner of every calendar a part was synced into (to watch them)."""

    @property
    def tenant(self) -> TenantRecord:
        return self.owners.tenant
