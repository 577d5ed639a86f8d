"""Reconcile one item: desired state → plan → apply, part by part (DESIGN §5).

The reconciler reads the item's desired state and its part mappings, asks
Google for the current event only when something may have changed, lets the
pure planner (``calsync.planning``) choose one operation per part, applies it,
and records the outcome (mapping, ledger, result). A 409 on insert or a 412 on
a write means "someone got there first": read the event back and plan again.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from calsync.contracts import ItemRef, Result, ResultStatus
from calsync.errors import (
    Duplicate,
    Gone,
    ItemBusy,
    NotFound,
    PermanentGoogleError,
    PreconditionFailed,
    QuotaExceeded,
    TransientError,
)
from calsync.eventids import event_id
from calsync.google_calendar import CalendarGateway
from calsync.logs import get_logger
from calsync.planning import Delete, Insert, Noop, Operation, Patch, plan_part
from calsync.records import ItemRecord, LedgerEntry, PartMapping, TenantRecord, now
from calsync.rendering import DesiredEvent, render_part
from calsync.results import ResultSink
from calsync.store import FirestoreStore
from calsync.tasks import TaskScheduler, task_name

__all__ = ["LEASE_SECONDS", "QUOTA_RETRY_SECONDS", "Reconciler"]

_LOG = get_logger(__name__)
_MAX_REPLANS = 5
LEASE_SECONDS = 300.0
"""How long a reconcile may hold an item before others may assume it crashed."""
QUOTA_RETRY_SECONDS = 15 * 60
"""How long to wait after Google's anti-abuse limiter (``quotaExceeded``) says no."""


@dataclass(frozen=True)
class _Context:
    tenant: TenantRecord
    record: ItemRecord
    calendar_id: str
    gateway: CalendarGateway


class Reconciler:
    """Brings Google in line with the desired state of items."""

    def __init__(
        self,
        store: FirestoreStore,
        platform_gateway: Callable[[], CalendarGateway],
        results: ResultSink,
        tasks: TaskScheduler | None = None,
    ) -> None:
        self._store = store
        self._platform_gateway = platform_gateway
        self._results = results
        self._tasks = tasks

    def reconcile(self, tenant_id: str, ref: ItemRef) -> list[Result]:
        """Reconcile every part of one item, publish the results, mark the version synced.

        Holds the item's lease meanwhile: two reconciles of one item never overlap, so a
        slower one can never write an attendee list older than a faster one's. A held
        lease raises ``ItemBusy`` (transient: the message or task comes back later).
        """
        holder = uuid.uuid4().hex
        if not self._store.acquire_lease(tenant_id, ref.key, holder, LEASE_SECONDS):
            raise ItemBusy(f"{ref.key} is being reconciled by another worker")
        try:
            return self._reconcile_item(tenant_id, ref)
        finally:
            self._store.release_lease(tenant_id, ref.key, holder)

    def _reconcile_item(self, tenant_id: str, ref: ItemRef) -> list[Result]:
        tenant = self._store.get_tenant(tenant_id)
        record = self._store.get_item(tenant_id, ref.key)
        if tenant is None or record is None:
            return []
        if not tenant.settings.sync_enabled:
            # Not marked synced: turning sync on later brings this version to Google.
            results = [self._skipped(record, "sync is disabled for this tenant")]
            self._results.publish(results)
            return results
        try:
            results = self._reconcile_parts(tenant, record)
        except QuotaExceeded as exc:
            results = [self._defer(record, exc)]
        self._results.publish(results)
        self._store.mark_synced(tenant_id, ref.key, record.version)
        return results

    # -- item level -------------------------------------------------------
    def _reconcile_parts(self, tenant: TenantRecord, record: ItemRecord) -> list[Result]:
        gateway = self._platform_gateway()
        calendar_id = self._platform_calendar(tenant, gateway)
        context = _Context(tenant, record, calendar_id, gateway)
        desired = self._desired_parts(context)
        mappings = self._store.mappings(tenant.tenant_id, record.ref.key)
        keys = list(desired) + [
            k for k in mappings if k not in desired and mappings[k].state != "deleted"
        ]
        results: list[Result] = []
        for key in keys:
            try:
                results.append(self._sync_part(context, key, desired.get(key), mappings.get(key)))
            except NotFound as exc:
                if gateway.calendar_exists(calendar_id):
                    results.append(self._failed(record, key, exc))
                    continue
                return self._calendar_vanished(tenant, record, calendar_id)
            except PermanentGoogleError as exc:
                results.append(self._failed(record, key, exc))
        return results

    def _desired_parts(self, context: _Context) -> dict[str, DesiredEvent]:
        record = context.record
        if record.deleted or record.item is None:
            return {}
        item = record.item
        enrolled = self._store.enrolled(record.tenant_id, record.ref.key)
        return {
            part.key: render_part(
                tenant_id=record.tenant_id,
                settings=context.tenant.settings,
                item=item,
                part=part,
                event_id=event_id(record.tenant_id, record.ref.key, part.key, record.generation),
                owner_email=context.gateway.identity,
                enrolled=enrolled,
            )
            for part in item.parts
        }

    def _platform_calendar(self, tenant: TenantRecord, gateway: CalendarGateway) -> str:
        """The tenant's calendar in the platform account, created on first use."""
        if tenant.platform_calendar_id:
            return tenant.platform_calendar_id
        return self._create_platform_calendar(tenant, gateway, replacing=None)

    def _create_platform_calendar(
        self, tenant: TenantRecord, gateway: CalendarGateway, replacing: str | None
    ) -> str:
        created = gateway.insert_calendar(f"{tenant.tenant_id} learning events", "UTC")
        kept = self._store.set_platform_calendar(tenant.tenant_id, created, replacing)
        if kept != created:  # a concurrent reconcile won the race: keep one calendar only
            gateway.delete_calendar(created)
        _LOG.info(
            "platform calendar created",
            extra={
                "fields": {
                    "tenant_id": tenant.tenant_id,
                    "calendar_id": kept,
                    "replacing": replacing,
                    "raced": kept != created,
                }
            },
        )
        return kept

    def _calendar_vanished(
        self, tenant: TenantRecord, record: ItemRecord, calendar_id: str
    ) -> list[Result]:
        """The tenant's calendar was deleted behind calsync's back: recreate and re-sync."""
        _LOG.warning(
            "platform calendar is gone; recreating it and re-syncing the tenant",
            extra={"fields": {"tenant_id": tenant.tenant_id, "calendar_id": calendar_id}},
        )
        gateway = self._platform_gateway()
        self._store.forget_calendar(tenant.tenant_id, calendar_id)
        new_id = self._create_platform_calendar(tenant, gateway, replacing=calendar_id)
        fresh = tenant.model_copy(update={"platform_calendar_id": new_id})
        for key in self._store.item_keys(tenant.tenant_id):
            other = self._store.get_item(tenant.tenant_id, key)
            if other is not None and key != record.ref.key:
                self._results.publish(self._reconcile_parts(fresh, other))
        return self._reconcile_parts(fresh, record)

    # -- part level -------------------------------------------------------
    def _sync_part(
        self,
        context: _Context,
        part_key: str,
        desired: DesiredEvent | None,
        mapping: PartMapping | None,
    ) -> Result:
        record = context.record
        if mapping is not None and mapping.calendar_id != context.calendar_id:
            mapping = None  # lives elsewhere (an older calendar): start from the id
        if (
            desired is not None
            and mapping is not None
            and mapping.state == "synced"
            and (mapping.fingerprint == desired.fingerprint())
        ):
            return self._result(record, part_key, mapping, ResultStatus.SYNCED)
        if desired is None and mapping is None:
            return self._result(record, part_key, None, ResultStatus.DELETED)
        target = desired.event_id if desired is not None else mapping.event_id  # type: ignore[union-attr]
        remote = None if mapping is None else context.gateway.get_event(context.calendar_id, target)
        response: dict[str, Any] | None = remote
        for _ in range(_MAX_REPLANS):
            operation = plan_part(desired, remote)
            try:
                response = self._apply(context, operation)
                self._ledger(context, part_key, operation, "ok")
                break
            except (Duplicate, PreconditionFailed):
                self._ledger(context, part_key, operation, "conflict: re-read and re-plan")
                remote = context.gateway.get_event(context.calendar_id, target)
            except Gone:
                self._ledger(context, part_key, operation, "already deleted")
                response = None
                break
        else:
            raise TransientError(f"part {part_key} kept changing under calsync; retry later")
        saved = PartMapping(
            part_key=part_key,
            calendar_id=context.calendar_id,
            event_id=target,
            owner_email=context.gateway.identity,
            etag=str((response or {}).get("etag", "")),
            fingerprint=desired.fingerprint() if desired is not None else "",
            synced_version=record.version,
            state="synced" if desired is not None else "deleted",
            html_link=(response or {}).get("htmlLink"),
        )
        self._store.save_mapping(record.tenant_id, record.ref.key, saved)
        status = ResultStatus.SYNCED if desired is not None else ResultStatus.DELETED
        return self._result(record, part_key, saved, status)

    def _apply(self, context: _Context, operation: Operation) -> dict[str, Any] | None:
        gateway, calendar_id = context.gateway, context.calendar_id
        match operation:
            case Insert(event_id=eid, body=body, send_updates=send):
                return gateway.insert_event(calendar_id, eid, body, send)
            case Patch(event_id=eid, body=body, etag=etag, send_updates=send):
                return gateway.patch_event(calendar_id, eid, body, etag, send)
            case Delete(event_id=eid, etag=etag, send_updates=send):
                gateway.delete_event(calendar_id, eid, etag, send)
                return None
            case Noop():
                return None
        raise AssertionError(f"unknown operation {operation!r}")

    # -- outcomes ---------------------------------------------------------
    def _ledger(self, context: _Context, part_key: str, operation: Operation, outcome: str) -> None:
        if isinstance(operation, Noop):
            return
        entry = LedgerEntry(
            item=context.record.ref.key,
            part_key=part_key,
            operation=type(operation).__name__.lower(),
            event_id=operation.event_id,
            calendar_id=context.calendar_id,
            version=context.record.version,
            reason=operation.reason,
            outcome=outcome,
            send_updates=operation.send_updates,
            detail={
                "attendees": [
                    a["email"] for a in getattr(operation, "body", {}).get("attendees", [])
                ]
            },
        )
        self._store.append_ledger(context.record.tenant_id, entry)
        _LOG.info(
            "google write",
            extra={
                "fields": {
                    "tenant_id": context.record.tenant_id,
                    **entry.model_dump(mode="json", exclude={"detail"}),
                }
            },
        )

    def _result(
        self, record: ItemRecord, part_key: str, mapping: PartMapping | None, status: ResultStatus
    ) -> Result:
        return Result(
            tenant_id=record.tenant_id,
            item=record.ref,
            part_key=part_key,
            source_version=record.version,
            status=status,
            calendar_id=mapping.calendar_id if mapping else None,
            event_id=mapping.event_id if mapping else None,
            html_link=mapping.html_link if mapping else None,
            at=now(),
        )

    def _failed(self, record: ItemRecord, part_key: str, exc: PermanentGoogleError) -> Result:
        _LOG.error(
            "Google refused a write; reported as failed",
            extra={
                "fields": {
                    "tenant_id": record.tenant_id,
                    "item": record.ref.key,
                    "part_key": part_key,
                    "status_code": exc.status,
                    "reason": exc.reason,
                }
            },
        )
        return Result(
            tenant_id=record.tenant_id,
            item=record.ref,
            part_key=part_key,
            source_version=record.version,
            status=ResultStatus.FAILED,
            error_code=exc.reason,
            error_message=exc.message,
            at=now(),
        )

    def _skipped(self, record: ItemRecord, why: str) -> Result:
        return Result(
            tenant_id=record.tenant_id,
            item=record.ref,
            source_version=record.version,
            status=ResultStatus.SKIPPED,
            error_code="sync_disabled",
            error_message=why,
            at=now(),
        )

    def _defer(self, record: ItemRecord, exc: QuotaExceeded) -> Result:
        """Google's anti-abuse limiter said no: try the whole item again much later."""
        if self._tasks is None:
            raise TransientError(f"quotaExceeded and no task queue to defer to: {exc}")
        name = task_name("quota", record.tenant_id, record.ref.key, str(record.version))
        payload = {
            "action": "reconcile",
            "tenant_id": record.tenant_id,
            "item": record.ref.model_dump(mode="json"),
        }
        self._tasks.schedule(name, payload, QUOTA_RETRY_SECONDS)
        return Result(
            tenant_id=record.tenant_id,
            item=record.ref,
            source_version=record.version,
            status=ResultStatus.FAILED,
            error_code="quotaExceeded",
            error_message=(
                f"Google's usage limiter refused; retrying in {QUOTA_RETRY_SECONDS // 60} minutes"
            ),
            at=now(),
        )
