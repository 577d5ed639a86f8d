"""Part mappings: which Google event holds each part, saved under the lease's fence."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from calsync.records import PartMapping
from calsync.state.firestore_base import as_document
from calsync.state.leases import Fence, LeaseState

if TYPE_CHECKING:
    from google.cloud import firestore


__all__ = ["MappingState"]


class MappingState(LeaseState):
    """Part mapping documents."""

    def parts_owned_by(self, tenant_id: str, owners: list[str]) -> list[tuple[str, PartMapping]]:
        """(item key, mapping) of every synced part owned by one of ``owners``."""
        from google.cloud.firestore_v1.base_query import FieldFilter

        found: list[tuple[str, PartMapping]] = []
        for start in range(0, len(owners), 30):  # Firestore's "in" takes 30 values
            query = self._db.collection_group("parts").where(
                filter=FieldFilter("owner_email", "in", owners[start : start + 30])
            )
            for snapshot in query.stream():
                path = snapshot.reference.path.split("/")
                if path[1] != tenant_id:
                    continue
                mapping = PartMapping.model_validate(snapshot.to_dict())
                if mapping.state == "synced":
                    found.append((path[3], mapping))
        return found

    def mapping_of_event(self, tenant_id: str, event_id: str) -> tuple[str, PartMapping] | None:
        """(item key, mapping) of the part whose current event is ``event_id``, if any (a
        deleted event in Google's incremental results carries nothing but its id)."""
        from google.cloud.firestore_v1.base_query import FieldFilter

        query = self._db.collection_group("parts").where(
            filter=FieldFilter("event_id", "==", event_id)
        )
        for snapshot in query.stream():
            path = snapshot.reference.path.split("/")
            if path[1] == tenant_id:
                return path[3], PartMapping.model_validate(snapshot.to_dict())
        return None

    def mappings(self, tenant_id: str, item_key: str) -> dict[str, PartMapping]:
        """Every known part of an item, by part key."""
        return {
            snapshot.id: PartMapping.model_validate(snapshot.to_dict())
            for snapshot in self._parts(tenant_id, item_key).stream()
        }

    def save_mapping(
        self, tenant_id: str, item_key: str, mapping: PartMapping, fence: Fence | None = None
    ) -> bool:
        """Remember where a part lives and what was written.

        With ``fence`` only while it holds (one transaction reads the lease and the item):
        False, and nothing saved, when the caller lost the item meanwhile.
        """
        document = self._parts(tenant_id, item_key).document(mapping.part_key)
        if fence is None:
            document.set(as_document(mapping))
            return True
        from google.cloud import firestore

        @firestore.transactional
        def save(transaction: firestore.Transaction) -> bool:
            if not self._fence_holds(transaction, tenant_id, item_key, fence):
                return False
            transaction.set(document, as_document(mapping))
            return True

        return cast(bool, save(self._db.transaction()))

    def forget_calendar(self, tenant_id: str, calendar_id: str) -> int:
        """Drop every mapping that points at ``calendar_id`` (it vanished); returns the count."""
        dropped = 0
        from google.cloud.firestore_v1.base_query import FieldFilter

        query = self._db.collection_group("parts").where(
            filter=FieldFilter("calendar_id", "==", calendar_id)
        )
        for snapshot in query.stream():
            if snapshot.reference.path.startswith(f"tenants/{tenant_id}/"):
                snapshot.reference.delete()
                dropped += 1
        return dropped
