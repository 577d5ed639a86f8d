"""One tenant's health from calsync's records in Firestore, for ``calsync status``.

What it reads, and from where:

- **items**: every item of the tenant, a page at a time; ``waiting`` counts those whose
  desired version Google does not reflect yet (``ItemRecord.needs_sync``). Items refused by
  Google's usage limiter (quota deferrals) are among them: calsync keeps no separate record
  of a deferral (only its delayed Cloud Task and a log line), so the waiting items *are* the
  deferrals still to run, together with items whose reconcile has not finished yet;
- **parts by state**: the part mappings of each item (``synced`` or ``deleted``);
- **failures by reason**: the tenant's ledger entries whose outcome is not ``ok``, counted by
  outcome. Results published as ``failed`` on ``calsync-results`` are not stored in
  Firestore; the log-based metrics (docs/operations.md) count those;
- **broken grants**: :mod:`calsync_dev.operator_grants`, from the grants database;
- **last sweep**: the newest report in ``sweep_runs`` (the sweeper's runs are not per tenant);
- **last verification**: the tenant's newest finished ``verification_runs`` totals.

::

    status = tenant_status(db, grants_db, "acme", progress=print)
    print(status.as_json())
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from calsync.state.store import FirestoreStore
from calsync_dev.operator_grants import OrganizerGrant, organizer_grants

if TYPE_CHECKING:
    from google.cloud import firestore

__all__ = ["PAGE_SIZE", "TenantStatus", "tenant_status"]

PAGE_SIZE = 200
"""Items read per Firestore query; one progress line per page."""


@dataclass
class TenantStatus:
    """What ``calsync status`` shows for one tenant."""

    tenant_id: str
    known: bool
    items: int = 0
    waiting: list[str] = field(default_factory=list)
    parts_by_state: dict[str, int] = field(default_factory=dict)
    failures_by_reason: dict[str, int] = field(default_factory=dict)
    grants: list[OrganizerGrant] = field(default_factory=list)
    last_sweep: dict[str, Any] | None = None
    last_verification: dict[str, Any] | None = None

    @property
    def broken_grants(self) -> list[OrganizerGrant]:
        """Organizers who must reconnect before calsync can write as them."""
        return [grant for grant in self.grants if grant.broken]

    def as_json(self) -> dict[str, Any]:
        """Everything, JSON-able (for ``--json``)."""
        return {
            "tenant_id": self.tenant_id,
            "known": self.known,
            "items": self.items,
            "waiting": {"count": len(self.waiting), "items": self.waiting},
            "parts_by_state": self.parts_by_state,
            "failures_by_reason": self.failures_by_reason,
            "broken_grants": [grant.as_json() for grant in self.broken_grants],
            "grants_by_health": dict(Counter(grant.health for grant in self.grants)),
            "last_sweep": _jsonable(self.last_sweep),
            "last_verification": _jsonable(self.last_verification),
        }


def tenant_status(
    db: firestore.Client,
    grants_db: firestore.Client,
    tenant_id: str,
    progress: Callable[[str], None] = lambda line: None,
) -> TenantStatus:
    """Read one tenant's status; ``progress`` hears one line per page of items."""
    store = FirestoreStore(db)
    status = TenantStatus(tenant_id=tenant_id, known=store.get_tenant(tenant_id) is not None)
    parts: Counter[str] = Counter()
    cursor = ""
    while True:
        page = store.item_page(tenant_id, cursor, PAGE_SIZE)
        for key, record in page:
            status.items += 1
            if record is None or record.needs_sync:
                status.waiting.append(key)
            for mapping in store.mappings(tenant_id, key).values():
                parts[mapping.state] += 1
        if page:
            progress(f"read {status.items} items")
        if len(page) < PAGE_SIZE:
            break
        cursor = page[-1][0]
    status.parts_by_state = dict(sorted(parts.items()))
    status.failures_by_reason = _failures(db, tenant_id)
    status.grants = organizer_grants(grants_db, tenant_id)
    status.last_sweep = _newest(db.collection("sweep_runs"), "at")
    status.last_verification = _newest(
        db.collection("tenants").document(tenant_id).collection("verification_runs"),
        "finished_at",
    )
    return status


def _failures(db: firestore.Client, tenant_id: str) -> dict[str, int]:
    ledger = db.collection("tenants").document(tenant_id).collection("ledger")
    outcomes: Counter[str] = Counter()
    for snapshot in ledger.select(["outcome"]).stream():
        outcome = str((snapshot.to_dict() or {}).get("outcome", ""))
        if outcome != "ok":
            outcomes[outcome or "unknown"] += 1
    return dict(sorted(outcomes.items()))


def _newest(collection: firestore.CollectionReference, at: str) -> dict[str, Any] | None:
    from google.cloud import firestore

    query = collection.order_by(at, direction=firestore.Query.DESCENDING).limit(1)
    for snapshot in query.stream():
        return snapshot.to_dict() or {}
    return None


def _jsonable(document: dict[str, Any] | None) -> dict[str, Any] | None:
    if document is None:
        return None
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in document.items()}
