"""The item lease one reconcile holds (DESIGN §5): renewed as it goes, fencing every write.

``Reconciler.reconcile`` takes the lease (``FirestoreStore.acquire_lease``) and gives it
back when done; in between, an ``ItemLease`` keeps it::

    lease = ItemLease(store, tenant_id, item_key, holder, seconds)
    lease.planned_with(record)   # the item as read: a hand-over since then fences us out
    lease.keep()                 # between parts: renews once a third of it has passed
    lease.hold()                 # before every Google write: renews now
    if not store.save_mapping(tenant_id, item_key, mapping, lease.fence):
        lease.lost()             # raises LeaseLost

Once lost (another worker took the item, or the sweeper handed it to a successor), the
reconcile stops with ``LeaseLost`` before its next write and the work is retried from fresh
state.
"""

from __future__ import annotations

import time

from calsync.errors import LeaseLost
from calsync.logs import get_logger
from calsync.records import ItemRecord
from calsync.state.store import Fence, FirestoreStore

__all__ = ["LEASE_SECONDS", "ItemLease"]

_LOG = get_logger(__name__)
LEASE_SECONDS = 300.0
"""How long a reconcile may hold an item before others may assume it crashed (the default;
``CALSYNC_LEASE_SECONDS`` or the ``lease_seconds`` argument change it)."""


class ItemLease:
    """The item lease one reconcile holds: renewed as it goes, checked before every write.

    Renewed between parts once a third of it has passed, and before every Google write
    (so each write starts with a whole lease ahead of it); mapping saves are conditional
    on it (``FirestoreStore.save_mapping`` with the fence). Once lost, ``LeaseLost``.
    """

    def __init__(
        self, store: FirestoreStore, tenant_id: str, item_key: str, holder: str, seconds: float
    ) -> None:
        self._store = store
        self._tenant_id = tenant_id
        self._item_key = item_key
        self._seconds = seconds
        self._renewed = time.monotonic()
        self.fence = Fence(holder, None)

    def planned_with(self, record: ItemRecord) -> None:
        """The reconcile read ``record``: its writes count only while its successor stands."""
        self.fence = Fence(self.fence.holder, record.successor)

    def hold(self) -> None:
        """Renew the lease, or raise ``LeaseLost`` if it is no longer ours."""
        if not self._store.renew_lease(self._tenant_id, self._item_key, self.fence, self._seconds):
            self.lost()
        self._renewed = time.monotonic()

    def keep(self) -> None:
        """Between parts: renew once a third of the lease has passed."""
        if time.monotonic() - self._renewed > self._seconds / 3:
            self.hold()

    def lost(self) -> None:
        """Stop: another worker has the item (or it was handed over) since it was read."""
        _LOG.warning(
            "item lease lost mid-reconcile; stopping before the next write",
            extra={"fields": {"tenant_id": self._tenant_id, "item": self._item_key}},
        )
        raise LeaseLost(
            f"{self._item_key}: the lease ran out and another worker took the item, or it was "
            "handed to a successor; the work is retried from fresh state"
        )
