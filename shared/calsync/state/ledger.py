"""The append-only ledger of what calsync did to Google and why."""

from __future__ import annotations

from typing import TYPE_CHECKING

from calsync.records import LedgerEntry
from calsync.state.firestore_base import FirestoreState, as_document

if TYPE_CHECKING:
    pass


__all__ = ["LedgerState"]


class LedgerState(FirestoreState):
    """Ledger documents."""

    def append_ledger(self, tenant_id: str, entry: LedgerEntry) -> None:
        """Append one entry to the tenant's ledger."""
        self._tenant(tenant_id).collection("ledger").add(as_document(entry))

    def ledger(self, tenant_id: str, item_key: str) -> list[LedgerEntry]:
        """The item's ledger entries, oldest first."""
        from google.cloud.firestore_v1.base_query import FieldFilter

        query = (
            self._tenant(tenant_id)
            .collection("ledger")
            .where(filter=FieldFilter("item", "==", item_key))
        )
        entries = [LedgerEntry.model_validate(s.to_dict()) for s in query.stream()]
        return sorted(entries, key=lambda entry: entry.at)
