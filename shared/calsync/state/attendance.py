"""Attendance: one document per (item, person) with its version, written in batches."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote

from calsync.contracts import EnrollmentChange, EnrollmentStatus, ItemRef
from calsync.records import ItemRecord, now
from calsync.state.firestore_base import as_document
from calsync.state.items import ItemState

if TYPE_CHECKING:
    from google.cloud import firestore


__all__ = ["ATTENDANCE_BATCH", "AttendanceState", "AttendanceTally"]


ATTENDANCE_BATCH = 200
"""Attendance changes per Firestore transaction (Firestore allows 500 writes per commit)."""


@dataclass(frozen=True)
class AttendanceTally:
    """What recording a batch of enrollment changes did, and the item they are for as read
    after the changes were committed, at ``as_of`` (Firestore's clock)."""

    applied: int
    stale: int
    item: ItemRecord
    as_of: datetime


def _attendance_id(email: str) -> str:
    """A Firestore document id for an email address (``/`` is not allowed in ids)."""
    return quote(email, safe="@.+-_")


class AttendanceState(ItemState):
    """Attendance documents."""

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
            self._item(tenant_id, ref.key).create({**as_document(placeholder), "updated_at": now()})
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
