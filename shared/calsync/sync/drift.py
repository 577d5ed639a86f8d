"""Drift: someone changed calsync's event in Google Calendar (two-way sync, issue 15).

For each managed change the incremental read hands on (``calsync.sync.calendar_changes``),
``Drift.check`` compares the managed fields (time, title, location, description, attendee
set, status) of Google's event with the part's desired state, rendered as any write would
(``calsync.sync.rendering``). An event whose etag is the one calsync last wrote is its own
write; a change of nothing managed (an attendee's answer, a room's, a Meet link) is no drift.

The tenant's ``drift_policy`` decides:

- ``repair`` (default): the mapping is marked stale, under the item's lease (``ItemBusy``
  while a reconcile holds the item or saved the part meanwhile: the part is checked again
  later), and a named reconcile task scheduled at once, which reads Google's event and puts
  it back with one write. The planner's notification rules
  apply: attendees are told when time or place is put back, cosmetic repairs are silent,
  guests added by hand are removed (as any attendee-only change, per
  ``attendee_notifications``). A deleted event is created again under the part's next
  generation of event id, so it can never be a duplicate of the tombstone;
- ``report``: Google's version is left as it is, and the same drift (same fields, same
  values in Google) is reported once, however often it is seen again.

Either way a ``drifted`` result names the fields (``error_code`` ``repaired`` or ``reported``)
and the decision goes into the ledger (``calsync explain`` shows it). Parts that are past,
items deleted or with a version Google has not seen yet are left to their reconcile::

    drift = Drift(store, results, tasks)
    drift.check(change)
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from calsync.contracts import DriftField, Result, ResultStatus
from calsync.errors import ItemBusy
from calsync.google.cloud_tasks import TaskScheduler, task_name
from calsync.google.results_topic import ResultSink
from calsync.logs import get_logger
from calsync.records import ItemRecord, LedgerEntry, PartMapping, now
from calsync.state.store import Fence, FirestoreStore
from calsync.sync.calendar_changes import ManagedChange
from calsync.sync.event_ids import event_id
from calsync.sync.planning import changed_fields
from calsync.sync.rendering import DesiredEvent, render_part

__all__ = ["Drift", "drifted_fields"]

_LOG = get_logger(__name__)
_MARK_SECONDS = 30.0
"""How long a repair's mark holds the item's lease (two Firestore calls: seconds at most)."""
_REPAIR_DELAY = 1.0
"""The repair reconcile waits this long, so that the read marks the item's other drifted
parts first instead of finding the item busy (one reconcile repairs them all)."""


def drifted_fields(desired: DesiredEvent, event: dict[str, Any]) -> list[DriftField]:
    """The managed fields in which Google's ``event`` differs from ``desired``."""
    if event.get("status") == "cancelled":
        return ["status"]
    want = desired.body()
    fields: list[DriftField] = []
    if "time" in changed_fields(desired, event):
        fields.append("time")
    if want["summary"] != event.get("summary", ""):
        fields.append("title")
    if want["location"] != event.get("location", ""):
        fields.append("location")
    if want["description"] != event.get("description", ""):
        fields.append("description")
    if set(desired.attendees) | set(desired.rooms) != _guests(event):
        fields.append("attendees")
    return fields


def _observed(event: dict[str, Any], field: DriftField) -> Any:
    """What Google's ``event`` holds for a managed ``field`` (to tell one drift from another)."""
    match field:
        case "time":
            return [event.get("start"), event.get("end")]
        case "title":
            return event.get("summary", "")
        case "attendees":
            return sorted(_guests(event))
        case "status":
            return event.get("status")
    return event.get(field, "")


def _written(mapping: PartMapping) -> tuple[str, str, str, str, int]:
    """What a save of the part changes: a mapping that differs was written meanwhile."""
    return (mapping.event_id, mapping.etag, mapping.fingerprint, mapping.state, mapping.generation)


def _guests(event: dict[str, Any]) -> set[str]:
    return {
        str(a.get("email", "")).lower()
        for a in event.get("attendees", [])
        if not a.get("organizer") or not a.get("self")
    }


class Drift:
    """Checks managed changes against the desired state and repairs or reports them."""

    def __init__(self, store: FirestoreStore, results: ResultSink, tasks: TaskScheduler) -> None:
        self._store = store
        self._results = results
        self._tasks = tasks
        self._run = uuid.uuid4().hex
        self._repairing: set[tuple[str, str]] = set()
        """Items this check (one calendar read, one verification page) has a repair task for."""

    def check(self, change: ManagedChange) -> list[DriftField]:
        """Repair or report ``change`` if it drifted; returns the drifted fields."""
        mapping, tenant = change.mapping, change.tenant
        etag = change.event.get("etag")
        if (etag and etag == mapping.etag) or mapping.state != "synced":
            return []  # calsync's own write, or a part on its way out
        record = self._store.get_item(tenant.tenant_id, change.item_key)
        desired = self._desired(change, record)
        if record is None or desired is None:
            return []
        fields = drifted_fields(desired, change.event)
        if not fields:
            return []
        policy = tenant.settings.drift_policy
        if policy == "repair":
            if not self._repair(change, record):
                return []
        elif self._reported_before(change, fields):
            return fields
        self._record(
            change, record, desired, fields, "repaired" if policy == "repair" else "reported"
        )
        return fields

    def _desired(self, change: ManagedChange, record: ItemRecord | None) -> DesiredEvent | None:
        """The part's desired event, or None when drift is not this check's business."""
        if record is None or record.item is None or record.deleted or record.needs_sync:
            return None
        part = next((p for p in record.item.parts if p.key == change.mapping.part_key), None)
        if part is None or part.end < now():
            return None
        return render_part(
            tenant_id=record.tenant_id,
            settings=change.tenant.settings,
            item=record.item,
            part=part,
            event_id=change.mapping.event_id,
            owner_email=change.mapping.owner_email,
            enrolled=self._store.enrolled(record.tenant_id, record.ref.key),
            organizer_mode=change.mapping.owner_kind == "organizer",
            organizer_attends=record.successor is None,
        )

    def _repair(self, change: ManagedChange, record: ItemRecord) -> bool:
        """Mark the mapping stale (a deleted event: the next generation's id) and have the item
        reconciled, which reads Google's event and writes the part back: one reconcile task
        per item per check, however many of its parts drifted. False when there was nothing to
        repair after all.

        The mark is made under the item's own lease, as any mapping save: ``ItemBusy`` while a
        reconcile holds the item, or when a reconcile saved the part since the mapping was read
        (it may already have put the event back); the caller checks the part again later.
        Under the lease, Google's event is read again: a calendar read can report a state
        older than calsync's last write (a delete read while a reconcile restored the event:
        model-based test, seed 100113180, where the repair then created the part again under a
        new id and people held two entries). When Google has what the mapping says calsync
        wrote, there is no drift.
        """
        mapping = change.mapping
        tenant_id, item_key = record.tenant_id, change.item_key
        holder = "drift-" + uuid.uuid4().hex
        if self._store.lease_held(tenant_id, item_key) or not self._store.acquire_lease(
            tenant_id, item_key, holder, _MARK_SECONDS
        ):
            raise ItemBusy(f"{item_key} is being reconciled; its drift is checked again later")
        try:
            current = self._store.mappings(tenant_id, item_key).get(mapping.part_key)
            if current is None or _written(current) != _written(mapping):
                raise ItemBusy(f"{item_key}/{mapping.part_key} was written meanwhile")
            now_in_google = change.owner.gateway.get_event(current.calendar_id, current.event_id)
            if now_in_google is not None and now_in_google.get("etag") == current.etag:
                _LOG.info(
                    "drift read was older than calsync's last write; nothing to repair",
                    extra={"fields": {"item": item_key, "part_key": mapping.part_key}},
                )
                return False
            update: dict[str, Any] = {"fingerprint": "", "updated_at": now()}
            if now_in_google is None or now_in_google.get("status") == "cancelled":
                generation = current.generation + 1
                update |= {
                    "generation": generation,
                    "event_id": event_id(tenant_id, item_key, mapping.part_key, generation),
                    "etag": "",
                }
            fence = Fence(holder, record.successor)
            if not self._store.save_mapping(
                tenant_id, item_key, current.model_copy(update=update), fence
            ):
                raise ItemBusy(f"{item_key} was taken over meanwhile")
        finally:
            self._store.release_lease(tenant_id, item_key, holder)
        if (tenant_id, item_key) in self._repairing:
            return True  # its reconcile has yet to take the lease: it reads this mark too
        self._repairing.add((tenant_id, item_key))
        self._tasks.schedule(
            task_name("repair", tenant_id, item_key, self._run),
            {
                "action": "reconcile",
                "tenant_id": tenant_id,
                "item": record.ref.model_dump(mode="json"),
            },
            _REPAIR_DELAY,
        )
        return True

    def _reported_before(self, change: ManagedChange, fields: list[DriftField]) -> bool:
        """Under ``report``: True when this very drift (same fields, same values in Google, on
        the event as calsync last wrote it) was reported already; remembers it otherwise."""
        mapping = change.mapping
        seen = {name: _observed(change.event, name) for name in fields}
        key = hashlib.sha256(
            json.dumps([mapping.event_id, mapping.etag, seen], sort_keys=True).encode()
        ).hexdigest()
        tenant_id = change.tenant.tenant_id
        if self._store.drift_reported(tenant_id, change.item_key, mapping.part_key, key):
            return True
        self._store.save_drift_reported(tenant_id, change.item_key, mapping.part_key, key)
        return False

    def _record(
        self,
        change: ManagedChange,
        record: ItemRecord,
        desired: DesiredEvent,
        fields: list[DriftField],
        action: str,
    ) -> None:
        mapping = change.mapping
        guests = _guests(change.event)
        wanted = set(desired.attendees) | set(desired.rooms)
        detail = {
            "fields": list(fields),
            "guests_added_in_google": sorted(guests - wanted) if not change.deleted else [],
            "guests_removed_in_google": sorted(wanted - guests) if not change.deleted else [],
        }
        self._store.append_ledger(
            record.tenant_id,
            LedgerEntry(
                item=change.item_key,
                part_key=mapping.part_key,
                operation="drift",
                event_id=mapping.event_id,
                calendar_id=mapping.calendar_id,
                version=record.version,
                reason="changed in Google Calendar: " + ", ".join(fields),
                outcome=action,
                detail=detail,
            ),
        )
        _LOG.info(
            "drift " + action,
            extra={"fields": {"item": change.item_key, "part_key": mapping.part_key, **detail}},
        )
        self._results.publish(
            [
                Result(
                    tenant_id=record.tenant_id,
                    item=record.ref,
                    part_key=mapping.part_key,
                    source_version=record.version,
                    status=ResultStatus.DRIFTED,
                    calendar_id=mapping.calendar_id,
                    event_id=mapping.event_id,
                    error_code=action,
                    error_message=(
                        f"changed in Google Calendar ({', '.join(fields)}); "
                        + (
                            "put back"
                            if action == "repaired"
                            else "left as it is (drift_policy: report)"
                        )
                    ),
                    drifted_fields=fields,
                    at=now(),
                )
            ]
        )
