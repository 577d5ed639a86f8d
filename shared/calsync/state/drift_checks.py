"""Drift checks (two-way sync): drifts already reported, and the verification passes' pages.

    tenants/{tenant}/items/{item}/drift/{part}                        the drift last reported
    tenants/{tenant}/verification_runs/{run}/pages/{page}             one page's counts
    tenants/{tenant}/verification_runs/{run}                          the pass's totals, at its end

A page's counts are written with ``set`` under the page's own id, so a retried page replaces
its counts instead of adding them twice; the totals are summed from the pages at the end.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any, cast

from calsync.records import now
from calsync.state.firestore_base import FirestoreState

if TYPE_CHECKING:
    from google.cloud import firestore


__all__ = ["PAGE_COUNTS", "DriftCheckState"]

PAGE_COUNTS = ("items", "checked", "drifted", "unreachable")
"""What a verification page counts: items walked, parts compared with Google, parts that had
drifted, parts whose owner calsync could not act as."""


class DriftCheckState(FirestoreState):
    """Reported drifts and verification runs."""

    def drift_reported(self, tenant_id: str, item_key: str, part_key: str, key: str) -> bool:
        """True when the part's drift ``key`` is the one last reported."""
        snapshot = self._drift(tenant_id, item_key, part_key).get()
        return bool(snapshot.exists and (snapshot.to_dict() or {}).get("key") == key)

    def save_drift_reported(self, tenant_id: str, item_key: str, part_key: str, key: str) -> None:
        """Remember that the part's drift ``key`` was reported."""
        self._drift(tenant_id, item_key, part_key).set({"key": key, "reported_at": now()})

    def _drift(self, tenant_id: str, item_key: str, part_key: str) -> firestore.DocumentReference:
        return cast(
            "firestore.DocumentReference",
            self._item(tenant_id, item_key).collection("drift").document(part_key),
        )

    # -- verification passes -------------------------------------------------
    def save_verification_page(
        self, tenant_id: str, run_id: str, cursor: str, counts: dict[str, int]
    ) -> None:
        """Record one page's counts (a retried page replaces its own)."""
        page = hashlib.sha256(cursor.encode()).hexdigest()[:32]
        self._run(tenant_id, run_id).collection("pages").document(page).set(
            {**{name: int(counts.get(name, 0)) for name in PAGE_COUNTS}, "at": now()}
        )

    def finish_verification(self, tenant_id: str, run_id: str) -> dict[str, Any]:
        """Sum the run's pages, store the totals with the finishing time, and return them."""
        totals: dict[str, Any] = dict.fromkeys(PAGE_COUNTS, 0)
        pages = 0
        for snapshot in self._run(tenant_id, run_id).collection("pages").stream():
            data = snapshot.to_dict() or {}
            pages += 1
            for name in PAGE_COUNTS:
                totals[name] += int(data.get(name, 0))
        totals |= {"pages": pages, "run": run_id, "finished_at": now()}
        self._run(tenant_id, run_id).set(totals)
        return totals

    def verification_run(self, tenant_id: str, run_id: str) -> dict[str, Any] | None:
        """A finished run's totals (None while it runs, or if it never did)."""
        snapshot = self._run(tenant_id, run_id).get()
        return snapshot.to_dict() if snapshot.exists else None

    def _run(self, tenant_id: str, run_id: str) -> firestore.DocumentReference:
        run = hashlib.sha256(run_id.encode()).hexdigest()[:32]
        return cast(
            "firestore.DocumentReference",
            self._tenant(tenant_id).collection("verification_runs").document(run),
        )
