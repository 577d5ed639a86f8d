"""Leases: an item's reconcile lease (renewed, and the fence every write checks) and tenant
leases (one sweep at a time).

Taking a lease another holder let run out (a worker that crashed, timed out or stalled)
logs ``LEASE_TAKEN_OVER`` once the take is committed (terraform/monitoring.tf counts them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from calsync.logs import get_logger
from calsync.records import now
from calsync.state.firestore_base import FirestoreState, contended

if TYPE_CHECKING:
    from google.cloud import firestore


__all__ = ["LEASE_TAKEN_OVER", "Fence", "LeaseState"]

_LOG = get_logger(__name__)
LEASE_TAKEN_OVER = "an expired lease was taken over from another worker"
"""Logged when a lease is taken from another holder whose time ran out."""


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
        about = {"tenant_id": tenant_id, "item": item_key, "lease": "reconcile"}
        return self._acquire(ref, holder, seconds, about)

    def acquire_tenant_lease(self, tenant_id: str, name: str, holder: str, seconds: float) -> bool:
        """Take a tenant-wide lease (e.g. ``sweep``) unless someone else holds it."""
        about = {"tenant_id": tenant_id, "lease": name}
        return self._acquire(self._tenant_lease(tenant_id, name), holder, seconds, about)

    def release_tenant_lease(self, tenant_id: str, name: str, holder: str) -> None:
        """Give a tenant-wide lease back (only if still ours)."""
        self._release(self._tenant_lease(tenant_id, name), holder)

    def _acquire(
        self,
        ref: firestore.DocumentReference,
        holder: str,
        seconds: float,
        about: dict[str, Any],
    ) -> bool:
        from google.cloud import firestore

        @firestore.transactional
        def take(transaction: firestore.Transaction) -> tuple[bool, bool, datetime | None]:
            """(taken, from another holder, when that holder's lease ran out)."""
            current = ref.get(transaction=transaction).to_dict() or {}
            expires = current.get("expires_at")
            other = current.get("holder") not in (None, holder)
            if other and expires and expires > now():
                return False, True, expires
            transaction.set(
                ref, {"holder": holder, "expires_at": now() + timedelta(seconds=seconds)}
            )
            return True, other, expires

        try:
            taken, other, expired = cast(
                tuple[bool, bool, datetime | None], take(self._db.transaction())
            )
        except ValueError as exc:
            if not contended(exc):
                raise
            return False  # others are taking it this very moment: as good as held
        if taken and other:  # logged once the take is committed (a transaction may rerun)
            overdue = (now() - expired).total_seconds() if isinstance(expired, datetime) else None
            _LOG.warning(LEASE_TAKEN_OVER, extra={"fields": {**about, "expired_seconds": overdue}})
        return taken

    def lease_held(self, tenant_id: str, item_key: str) -> bool:
        """True while someone holds the item's lease (a plain read: no transaction, so asking
        adds no contention to the lease the holder renews)."""
        current = self._lease(tenant_id, item_key).get().to_dict() or {}
        expires = current.get("expires_at")
        return bool(current.get("holder") and expires and expires > now())

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
