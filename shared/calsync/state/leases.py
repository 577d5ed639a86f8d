"""Leases: an item's reconcile lease (renewed, and the fence every write checks) and tenant
leases (one sweep at a time)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, cast

from calsync.records import now
from calsync.state.firestore_base import FirestoreState, contended

if TYPE_CHECKING:
    from google.cloud import firestore


__all__ = ["Fence", "LeaseState"]


@dataclass(frozen=True)
class Fence:
    """What a reconcile's writes rely on: it still holds the item's lease (``holder``), and
    the item still has the successor the reconcile planned with (the orphan sweeper may
    hand the item over while a reconcile is in flight)."""

    holder: str
    successor: str | None


class LeaseState(FirestoreState):
    """Lease documents."""

    def acquire_lease(self, tenant_id: str, item_key: str, holder: str, seconds: float) -> bool:
        """Take the item's reconcile lease unless someone else holds an unexpired one."""
        ref = self._item(tenant_id, item_key).collection("leases").document("reconcile")
        return self._acquire(ref, holder, seconds)

    def acquire_tenant_lease(self, tenant_id: str, name: str, holder: str, seconds: float) -> bool:
        """Take a tenant-wide lease (e.g. ``sweep``) unless someone else holds it."""
        return self._acquire(self._tenant_lease(tenant_id, name), holder, seconds)

    def release_tenant_lease(self, tenant_id: str, name: str, holder: str) -> None:
        """Give a tenant-wide lease back (only if still ours)."""
        self._release(self._tenant_lease(tenant_id, name), holder)

    def _acquire(self, ref: firestore.DocumentReference, holder: str, seconds: float) -> bool:
        from google.cloud import firestore

        @firestore.transactional
        def take(transaction: firestore.Transaction) -> bool:
            current = ref.get(transaction=transaction).to_dict() or {}
            expires = current.get("expires_at")
            if current.get("holder") not in (None, holder) and expires and expires > now():
                return False
            transaction.set(
                ref, {"holder": holder, "expires_at": now() + timedelta(seconds=seconds)}
            )
            return True

        try:
            return cast(bool, take(self._db.transaction()))
        except ValueError as exc:
            if not contended(exc):
                raise
            return False  # others are taking it this very moment: as good as held

    def renew_lease(self, tenant_id: str, item_key: str, fence: Fence, seconds: float) -> bool:
        """Extend the item's lease by ``seconds`` from now if ``fence`` still holds.

        A lease that ran out while nobody else took it is still the holder's (nobody wrote
        meanwhile); one another worker took, or gave back, is lost.
        """
        from google.cloud import firestore

        @firestore.transactional
        def renew(transaction: firestore.Transaction) -> bool:
            if not self._fence_holds(transaction, tenant_id, item_key, fence):
                return False
            transaction.set(
                self._lease(tenant_id, item_key),
                {"holder": fence.holder, "expires_at": now() + timedelta(seconds=seconds)},
            )
            return True

        return cast(bool, renew(self._db.transaction()))

    def _fence_holds(
        self, transaction: firestore.Transaction, tenant_id: str, item_key: str, fence: Fence
    ) -> bool:
        lease = self._lease(tenant_id, item_key).get(transaction=transaction).to_dict() or {}
        item = self._item(tenant_id, item_key).get(transaction=transaction).to_dict() or {}
        return lease.get("holder") == fence.holder and item.get("successor") == fence.successor

    def release_lease(self, tenant_id: str, item_key: str, holder: str) -> None:
        """Give the lease back (only if still ours)."""
        self._release(
            self._item(tenant_id, item_key).collection("leases").document("reconcile"), holder
        )

    def _release(self, ref: firestore.DocumentReference, holder: str) -> None:
        from google.cloud import firestore

        @firestore.transactional
        def give(transaction: firestore.Transaction) -> None:
            if (ref.get(transaction=transaction).to_dict() or {}).get("holder") == holder:
                transaction.delete(ref)

        give(self._db.transaction())
