"""Firestore adapter: tenants, desired item state, part mappings and the ledger.

Messages only record desired state, inside transactions with the version
check (DESIGN §5); the reconciler reads it back. The client is created lazily,
once per process, so a function that never touches Firestore never imports it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from calsync.contracts import Item, ItemRef, SettingsUpdated
from calsync.records import ItemRecord, LedgerEntry, PartMapping, TenantRecord, now

if TYPE_CHECKING:
    from google.cloud import firestore

__all__ = ["Decision", "FirestoreStore", "Recorded", "firestore_client"]


class Decision(StrEnum):
    """What recording a versioned message did."""

    RECORDED = "recorded"
    STALE = "stale"


@dataclass(frozen=True)
class Recorded:
    """The outcome of recording a message and the item as it now stands."""

    decision: Decision
    record: ItemRecord | None


@cache
def firestore_client(project: str) -> firestore.Client:
    """One Firestore client per process (honours ``FIRESTORE_EMULATOR_HOST``)."""
    from google.cloud import firestore

    return firestore.Client(project=project)


def _dump(model: Any) -> dict[str, Any]:
    data: dict[str, Any] = model.model_dump(mode="json")
    return data


class FirestoreStore:
    """calsync's state in Firestore (layout in ``calsync.records``)."""

    def __init__(self, client: firestore.Client) -> None:
        self._db = client

    # -- references -------------------------------------------------------
    def _tenant(self, tenant_id: str) -> firestore.DocumentReference:
        return self._db.collection("tenants").document(tenant_id)

    def _item(self, tenant_id: str, item_key: str) -> firestore.DocumentReference:
        items = self._tenant(tenant_id).collection("items")
        return cast("firestore.DocumentReference", items.document(item_key))

    def _parts(self, tenant_id: str, item_key: str) -> firestore.CollectionReference:
        return cast(
            "firestore.CollectionReference", self._item(tenant_id, item_key).collection("parts")
        )

    # -- tenants ----------------------------------------------------------
    def get_tenant(self, tenant_id: str) -> TenantRecord | None:
        """The tenant's record, or None when calsync has never heard of it."""
        snapshot = self._tenant(tenant_id).get()
        return TenantRecord.model_validate(snapshot.to_dict()) if snapshot.exists else None

    def apply_settings(self, message: SettingsUpdated) -> tuple[Decision, TenantRecord | None]:
        """Store newer settings; an older or equal version changes nothing.

        Returns the decision and the tenant as it was before (None for a new tenant).
        """
        from google.cloud import firestore

        ref = self._tenant(message.tenant_id)

        @firestore.transactional
        def apply(transaction: firestore.Transaction) -> tuple[Decision, TenantRecord | None]:
            snapshot = ref.get(transaction=transaction)
            current = TenantRecord.model_validate(snapshot.to_dict()) if snapshot.exists else None
            if current is not None and current.settings_version >= message.version:
                return Decision.STALE, current
            transaction.set(
                ref,
                {
                    "tenant_id": message.tenant_id,
                    "settings": _dump(message.settings),
                    "settings_version": message.version,
                    "updated_at": now(),
                },
                merge=True,
            )
            return Decision.RECORDED, current

        return cast("tuple[Decision, TenantRecord | None]", apply(self._db.transaction()))

    def set_platform_calendar(self, tenant_id: str, calendar_id: str, replacing: str | None) -> str:
        """Record the tenant's platform calendar unless another writer got there first.

        Returns the calendar id now on record; ``replacing`` is the id the caller
        saw (None when there was none, or the id of a calendar that vanished).
        """
        from google.cloud import firestore

        ref = self._tenant(tenant_id)

        @firestore.transactional
        def swap(transaction: firestore.Transaction) -> str:
            current = (ref.get(transaction=transaction).to_dict() or {}).get("platform_calendar_id")
            if current and current != replacing:
                return str(current)
            transaction.update(ref, {"platform_calendar_id": calendar_id})
            return calendar_id

        return cast(str, swap(self._db.transaction()))

    # -- items ------------------------------------------------------------
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
            updated = current.model_copy(
                update={
                    "version": version,
                    "deleted": item is None,
                    "item": item if item is not None else current.item,
                }
            )
            transaction.set(item_ref, {**_dump(updated), "updated_at": now()})
            return Recorded(Decision.RECORDED, updated)

        return cast(Recorded, record(self._db.transaction()))

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

    def item_keys(self, tenant_id: str) -> Iterator[str]:
        """Every item key of a tenant (for re-syncing a tenant)."""
        for snapshot in self._tenant(tenant_id).collection("items").list_documents():
            yield snapshot.id

    # -- part mappings ----------------------------------------------------
    def mappings(self, tenant_id: str, item_key: str) -> dict[str, PartMapping]:
        """Every known part of an item, by part key."""
        return {
            snapshot.id: PartMapping.model_validate(snapshot.to_dict())
            for snapshot in self._parts(tenant_id, item_key).stream()
        }

    def save_mapping(self, tenant_id: str, item_key: str, mapping: PartMapping) -> None:
        """Remember where a part lives and what was written."""
        self._parts(tenant_id, item_key).document(mapping.part_key).set(_dump(mapping))

    def forget_calendar(self, tenant_id: str, calendar_id: str) -> int:
        """Drop every mapping that points at ``calendar_id`` (it vanished); returns the count."""
        dropped = 0
        query = self._db.collection_group("parts").where("calendar_id", "==", calendar_id)
        for snapshot in query.stream():
            if snapshot.reference.path.startswith(f"tenants/{tenant_id}/"):
                snapshot.reference.delete()
                dropped += 1
        return dropped

    # -- ledger -----------------------------------------------------------
    def append_ledger(self, tenant_id: str, entry: LedgerEntry) -> None:
        """Append one entry to the tenant's ledger."""
        self._tenant(tenant_id).collection("ledger").add(_dump(entry))

    def ledger(self, tenant_id: str, item_key: str) -> list[LedgerEntry]:
        """The item's ledger entries, oldest first."""
        query = self._tenant(tenant_id).collection("ledger").where("item", "==", item_key)
        entries = [LedgerEntry.model_validate(s.to_dict()) for s in query.stream()]
        return sorted(entries, key=lambda entry: entry.at)
