"""Firestore adapter: tenants, desired item state, part mappings and the ledger.

Messages only record desired state, inside transactions with the version
check (DESIGN §5); the reconciler reads it back. The client is created lazily,
once per process, so a function that never touches Firestore never imports it.
"""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote

from calsync.contracts import EnrollmentChange, EnrollmentStatus, Item, ItemRef, SettingsUpdated
from calsync.records import ItemRecord, LedgerEntry, PartMapping, TenantRecord, now

if TYPE_CHECKING:
    from google.cloud import firestore

__all__ = [
    "ATTENDANCE_BATCH",
    "AttendanceTally",
    "Decision",
    "Fence",
    "FirestoreStore",
    "Recorded",
    "firestore_client",
]

ATTENDANCE_BATCH = 200
"""Attendance changes per Firestore transaction (Firestore allows 500 writes per commit)."""


class Decision(StrEnum):
    """What recording a versioned message did."""

    RECORDED = "recorded"
    STALE = "stale"


@dataclass(frozen=True)
class Recorded:
    """The outcome of recording a message and the item as it now stands."""

    decision: Decision
    record: ItemRecord | None


@dataclass(frozen=True)
class AttendanceTally:
    """What recording a batch of enrollment changes did, and the item they are for as read
    after the changes were committed, at ``as_of`` (Firestore's clock)."""

    applied: int
    stale: int
    item: ItemRecord
    as_of: datetime


@dataclass(frozen=True)
class Fence:
    """What a reconcile's writes rely on: it still holds the item's lease (``holder``), and
    the item still has the successor the reconcile planned with (the orphan sweeper may
    hand the item over while a reconcile is in flight)."""

    holder: str
    successor: str | None


def _attendance_id(email: str) -> str:
    """A Firestore document id for an email address (``/`` is not allowed in ids)."""
    return quote(email, safe="@.+-_")


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
            fields: dict[str, Any] = {
                "tenant_id": message.tenant_id,
                "settings": _dump(message.settings),
                "settings_version": message.version,
                "settings_nonce": uuid.uuid4().hex,
                "updated_at": now(),
            }
            if not message.settings.sync_enabled:
                fields["resync_settings"] = None  # Google may now fall behind in any way
            transaction.set(ref, fields, merge=True)
            return Decision.RECORDED, current

        return cast("tuple[Decision, TenantRecord | None]", apply(self._db.transaction()))

    def mark_resync(self, tenant_id: str, version: int) -> bool:
        """Record that a re-sync to settings ``version`` has started (``tenant_resync``).

        Only while ``version`` is still the tenant's current one: a newer version decides
        for itself whether it needs a re-sync. Returns whether it was recorded.
        """
        from google.cloud import firestore

        ref = self._tenant(tenant_id)

        @firestore.transactional
        def mark(transaction: firestore.Transaction) -> bool:
            snapshot = ref.get(transaction=transaction)
            if not snapshot.exists:
                return False
            current = TenantRecord.model_validate(snapshot.to_dict())
            if current.settings_version != version or current.resync_version > version:
                return False
            transaction.update(
                ref, {"resync_settings": _dump(current.settings), "resync_version": version}
            )
            return True

        return cast(bool, mark(self._db.transaction()))

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
            transaction.set(item_ref, {**_dump(updated), "updated_at": now()})
            return Recorded(Decision.RECORDED, updated)

        return cast(Recorded, record(self._db.transaction()))

    def set_successor(
        self, tenant_id: str, item_key: str, successor: str, organizer: str | None = None
    ) -> bool:
        """Record who looks after an item whose organizer was suspended.

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

    def tenants(self) -> list[TenantRecord]:
        """Every tenant calsync knows."""
        return [
            TenantRecord.model_validate(s.to_dict())
            for s in self._db.collection("tenants").stream()
            if (s.to_dict() or {}).get("settings") is not None
        ]

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

    # -- part mappings ----------------------------------------------------
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
            document.set(_dump(mapping))
            return True
        from google.cloud import firestore

        @firestore.transactional
        def save(transaction: firestore.Transaction) -> bool:
            if not self._fence_holds(transaction, tenant_id, item_key, fence):
                return False
            transaction.set(document, _dump(mapping))
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

    # -- attendance -------------------------------------------------------
    def _attendance(self, tenant_id: str, item_key: str) -> firestore.CollectionReference:
        return cast(
            "firestore.CollectionReference",
            self._item(tenant_id, item_key).collection("attendance"),
        )

    def record_attendance(
        self, tenant_id: str, ref: ItemRef, changes: list[EnrollmentChange]
    ) -> AttendanceTally:
        """Record each person's status if its version is newer (latest version wins).

        One document per person keeps every document small; changes are written in
        transactions of ``ATTENDANCE_BATCH``. The item's document is created if the
        enrollment arrives before the item does. The item is read again after the last
        commit: a re-creation or deletion committed meanwhile is seen, and the read's
        server time bounds every commit of this call from above.
        """
        from google.cloud import firestore

        latest: dict[str, EnrollmentChange] = {}
        for change in changes:
            if change.email not in latest or change.version > latest[change.email].version:
                latest[change.email] = change
        item = self._ensure_item(tenant_id, ref)
        collection = self._attendance(tenant_id, ref.key)
        applied = 0
        batch = list(latest.values())

        @firestore.transactional
        def record(transaction: firestore.Transaction, chunk: list[EnrollmentChange]) -> int:
            refs = [collection.document(_attendance_id(c.email)) for c in chunk]
            stored = {
                snap.id: (snap.to_dict() or {}).get("version", -1)
                for snap in transaction.get_all(refs)
                if snap.exists
            }
            written = 0
            for doc, change in zip(refs, chunk, strict=True):
                if stored.get(doc.id, -1) >= change.version:
                    continue
                transaction.set(
                    doc,
                    {
                        "email": change.email,
                        "status": change.status.value,
                        "version": change.version,
                        "updated_at": now(),
                    },
                )
                written += 1
            return written

        for start in range(0, len(batch), ATTENDANCE_BATCH):
            applied += cast(
                int, record(self._db.transaction(), batch[start : start + ATTENDANCE_BATCH])
            )
        snapshot = self._item(tenant_id, ref.key).get()
        if snapshot.exists:
            item = ItemRecord.model_validate(snapshot.to_dict())
        as_of = snapshot.read_time or now()
        return AttendanceTally(
            applied=applied, stale=len(changes) - applied, item=item, as_of=as_of
        )

    def _ensure_item(self, tenant_id: str, ref: ItemRef) -> ItemRecord:
        """The item as stored, creating an empty one if the enrollment came first."""
        from google.api_core import exceptions

        existing = self.get_item(tenant_id, ref.key)
        if existing is not None:
            return existing
        placeholder = ItemRecord(tenant_id=tenant_id, ref=ref)
        with contextlib.suppress(exceptions.AlreadyExists):
            self._item(tenant_id, ref.key).create({**_dump(placeholder), "updated_at": now()})
        return placeholder

    def enrolled(self, tenant_id: str, item_key: str) -> list[str]:
        """Everyone currently enrolled in the item, sorted."""
        from google.cloud.firestore_v1.base_query import FieldFilter

        query = self._attendance(tenant_id, item_key).where(
            filter=FieldFilter("status", "==", EnrollmentStatus.ENROLLED.value)
        )
        return sorted(str(s.get("email")) for s in query.select(["email"]).stream())

    def attendance(self, tenant_id: str, item_key: str, email: str) -> dict[str, Any] | None:
        """One person's stored enrollment status and version."""
        snapshot = self._attendance(tenant_id, item_key).document(_attendance_id(email)).get()
        return snapshot.to_dict() if snapshot.exists else None

    # -- leases -----------------------------------------------------------
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

    def _tenant_lease(self, tenant_id: str, name: str) -> firestore.DocumentReference:
        return cast(
            "firestore.DocumentReference",
            self._tenant(tenant_id).collection("leases").document(name),
        )

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

        return cast(bool, take(self._db.transaction()))

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

    def _lease(self, tenant_id: str, item_key: str) -> firestore.DocumentReference:
        return cast(
            "firestore.DocumentReference",
            self._item(tenant_id, item_key).collection("leases").document("reconcile"),
        )

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

    # -- room catalog -----------------------------------------------------
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

    # -- sweeper state ----------------------------------------------------
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

    def _hand_over(self, tenant_id: str, item_key: str) -> firestore.DocumentReference:
        return cast(
            "firestore.DocumentReference",
            self._tenant(tenant_id).collection("handovers").document(item_key),
        )

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

    # -- ledger -----------------------------------------------------------
    def append_ledger(self, tenant_id: str, entry: LedgerEntry) -> None:
        """Append one entry to the tenant's ledger."""
        self._tenant(tenant_id).collection("ledger").add(_dump(entry))

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
