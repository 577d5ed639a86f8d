"""Items: the desired state under the version check, the successor, and versions synced."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from calsync.contracts import Item, ItemRef
from calsync.records import ItemRecord, now
from calsync.state.firestore_base import Decision, FirestoreState, as_document

if TYPE_CHECKING:
    from google.cloud import firestore


__all__ = ["ItemState", "Recorded"]


@dataclass(frozen=True)
class Recorded:
    """The outcome of recording a message and the item as it now stands."""

    decision: Decision
    record: ItemRecord | None


class ItemState(FirestoreState):
    """Item documents."""

    def record_item(
        self, tenant_id: str, ref: ItemRef, version: int, item: Item | None
    ) -> Recorded:
        """Record an upsert (``item``) or a delete (``item is None``) if it is newer."""
        from google.cloud import firestore

        item_ref = self._item(tenant_id, ref.key)

        @firestore.transactional
        def record(transaction: firestore.Transaction) -> Recorded:
            snapshot = item_ref.get(transaction=transaction)
            current = (
                ItemRecord.model_validate(snapshot.to_dict())
                if snapshot.exists
                else ItemRecord(tenant_id=tenant_id, ref=ref)
            )
            if version <= current.version:
                return Recorded(Decision.STALE, current)
            organizer_changed = (
                item is not None
                and current.item is not None
                and item.organizer_email != current.item.organizer_email
            )
            updated = current.model_copy(
                update={
                    "version": version,
                    "deleted": item is None,
                    "item": item if item is not None else current.item,
                    # the platform named a new organizer: the sweeper's successor is moot
                    "successor": None if organizer_changed else current.successor,
                }
            )
            transaction.set(item_ref, {**as_document(updated), "updated_at": now()})
            return Recorded(Decision.RECORDED, updated)

        return cast(Recorded, record(self._db.transaction()))

    def set_successor(
        self, tenant_id: str, item_key: str, successor: str | None, organizer: str | None = None
    ) -> bool:
        """Record who looks after an item whose organizer was suspended (None: its organizer).

        With ``organizer``, only while the item is still organized by them: once the platform
        names someone else, the successor is moot (as in ``record_item``). True when set.
        """
        from google.cloud import firestore

        ref = self._item(tenant_id, item_key)

        @firestore.transactional
        def put(transaction: firestore.Transaction) -> bool:
            current = (ref.get(transaction=transaction).to_dict() or {}).get("item") or {}
            if organizer is not None and current.get("organizer_email") != organizer:
                return False
            transaction.update(ref, {"successor": successor})
            return True

        return cast(bool, put(self._db.transaction()))

    def get_item(self, tenant_id: str, item_key: str) -> ItemRecord | None:
        """The item's desired state."""
        snapshot = self._item(tenant_id, item_key).get()
        return ItemRecord.model_validate(snapshot.to_dict()) if snapshot.exists else None

    def mark_synced(self, tenant_id: str, item_key: str, version: int) -> None:
        """Note that Google reflects ``version`` (never moves backwards)."""
        from google.cloud import firestore

        ref = self._item(tenant_id, item_key)

        @firestore.transactional
        def mark(transaction: firestore.Transaction) -> None:
            current = (ref.get(transaction=transaction).to_dict() or {}).get("synced_version", -1)
            if version > current:
                transaction.update(ref, {"synced_version": version})

        mark(self._db.transaction())

    def item_keys_organized_by(self, tenant_id: str, email: str) -> list[str]:
        """Keys of the items whose organizer is ``email``."""
        from google.cloud.firestore_v1.base_query import FieldFilter

        query = (
            self._tenant(tenant_id)
            .collection("items")
            .where(filter=FieldFilter("item.organizer_email", "==", email))
        )
        return [snapshot.id for snapshot in query.select(["version"]).stream()]

    def item_page(
        self, tenant_id: str, after: str, limit: int
    ) -> list[tuple[str, ItemRecord | None]]:
        """Up to ``limit`` items of a tenant, by key, starting after the key ``after``
        (``""``: from the first); a document that is not a valid record comes as None."""
        from pydantic import ValidationError

        query = self._tenant(tenant_id).collection("items").order_by("__name__").limit(limit)
        if after:
            query = query.start_after({"__name__": after})
        page: list[tuple[str, ItemRecord | None]] = []
        for snapshot in query.stream():
            try:
                page.append((snapshot.id, ItemRecord.model_validate(snapshot.to_dict())))
            except ValidationError:
                page.append((snapshot.id, None))
        return page

    def has_items(self, tenant_id: str) -> bool:
        """True when the tenant has at least one item (or enrollments waiting for one)."""
        query = self._tenant(tenant_id).collection("items").limit(1).select([])
        return any(True for _ in query.stream())

    def item_keys(self, tenant_id: str) -> Iterator[str]:
        """Every item key of a tenant (for re-syncing a tenant)."""
        for snapshot in self._tenant(tenant_id).collection("items").list_documents():
            yield snapshot.id
