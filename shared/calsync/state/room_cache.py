"""The tenant's room catalog, cached from the Directory."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from calsync.records import now
from calsync.state.firestore_base import FirestoreState

if TYPE_CHECKING:
    pass


__all__ = ["RoomCatalogState"]


class RoomCatalogState(FirestoreState):
    """Room documents."""

    def save_rooms(self, tenant_id: str, rooms: list[dict[str, Any]]) -> None:
        """Replace the tenant's room catalog (one document per room)."""
        collection = self._tenant(tenant_id).collection("rooms")
        keep = {room["email"] for room in rooms}
        batch = self._db.batch()
        for snapshot in collection.list_documents():
            if snapshot.id not in keep:
                batch.delete(snapshot)
        for room in rooms:
            batch.set(collection.document(room["email"]), room)
        batch.set(self._tenant(tenant_id), {"rooms_refreshed_at": now()}, merge=True)
        batch.commit()

    def rooms(self, tenant_id: str) -> tuple[list[dict[str, Any]], datetime | None]:
        """The cached room catalog and when it was refreshed (None: never)."""
        tenant = self._tenant(tenant_id).get(field_paths=["rooms_refreshed_at"])
        refreshed = (tenant.to_dict() or {}).get("rooms_refreshed_at") if tenant.exists else None
        rooms = [s.to_dict() or {} for s in self._tenant(tenant_id).collection("rooms").stream()]
        return rooms, refreshed
