"""The orphan sweeper's records: Data Transfers, hand-overs in progress, scheduled runs."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from calsync.records import now
from calsync.state.firestore_base import FirestoreState

if TYPE_CHECKING:
    from google.cloud import firestore


__all__ = ["SweeperState"]


class SweeperState(FirestoreState):
    """Sweeper documents."""

    def transfer_state(self, tenant_id: str, key: str) -> dict[str, Any]:
        """What the sweeper remembers of one Data Transfer (``{}`` if none)."""
        snapshot = self._tenant(tenant_id).collection("transfers").document(key).get()
        return snapshot.to_dict() or {} if snapshot.exists else {}

    def save_transfer_state(self, tenant_id: str, key: str, state: dict[str, Any]) -> None:
        """Remember a Data Transfer (so a crashed sweep resumes it instead of starting over)."""
        self._tenant(tenant_id).collection("transfers").document(key).set(
            {**state, "updated_at": now()}
        )

    def delete_transfer_state(self, tenant_id: str, key: str) -> None:
        """Forget a Data Transfer whose items are all handed over."""
        self._tenant(tenant_id).collection("transfers").document(key).delete()

    def hand_over(self, tenant_id: str, item_key: str) -> dict[str, Any] | None:
        """An item's unfinished hand-over to a successor (None: none)."""
        snapshot = self._hand_over(tenant_id, item_key).get()
        return snapshot.to_dict() if snapshot.exists else None

    def hand_overs(self, tenant_id: str) -> list[tuple[str, dict[str, Any]]]:
        """(item key, state) of every unfinished hand-over of the tenant."""
        collection = self._tenant(tenant_id).collection("handovers")
        return [(s.id, s.to_dict() or {}) for s in collection.stream()]

    def save_hand_over(self, tenant_id: str, item_key: str, state: dict[str, Any]) -> None:
        """Remember a hand-over until its results are published (it survives a crash)."""
        self._hand_over(tenant_id, item_key).set({**state, "updated_at": now()})

    def delete_hand_over(self, tenant_id: str, item_key: str, hand_over_id: str) -> None:
        """Forget a finished hand-over (only that one: a newer one for the item stays)."""
        from google.cloud import firestore

        ref = self._hand_over(tenant_id, item_key)

        @firestore.transactional
        def forget(transaction: firestore.Transaction) -> None:
            if (ref.get(transaction=transaction).to_dict() or {}).get("id") == hand_over_id:
                transaction.delete(ref)

        forget(self._db.transaction())

    def sweep_run(self, job: str, scheduled: str) -> dict[str, Any] | None:
        """The report of a scheduled sweep that already ran (None: it did not)."""
        key = hashlib.sha256(f"{job}|{scheduled}".encode()).hexdigest()
        snapshot = self._db.collection("sweep_runs").document(key).get()
        return snapshot.to_dict() if snapshot.exists else None

    def save_sweep_run(self, job: str, scheduled: str, report: dict[str, Any]) -> None:
        """Remember a scheduled sweep's report (repeated deliveries answer it)."""
        key = hashlib.sha256(f"{job}|{scheduled}".encode()).hexdigest()
        self._db.collection("sweep_runs").document(key).set(
            {**report, "job": job, "schedule_time": scheduled, "at": now()}
        )
