"""Write one part into one owner's calendar: read, plan, apply, save, ledger (DESIGN §5).

``PartWriter.write_part`` is the innermost step of a reconcile. The caller
(``calsync.sync.part_sync``) has chosen the owner and rendered the desired event;
the writer reads Google's event only when the mapping says something may have changed,
lets the pure planner (``calsync.sync.planning``) choose one operation, applies it,
and records the outcome::

    writer = PartWriter(store)
    result = writer.write_part(context, owner, part_key, desired, mapping, generation)

A 409 on insert or a 412 on a write means "someone got there first": read the event
back and plan again (at most ``_MAX_REPLANS`` times, then ``TransientError``). Every
write renews the item lease first (``LeaseLost`` if it is gone) and goes into the
tenant's ledger; the mapping is saved only while the lease's fence holds. Google's
refusals propagate to the caller, which maps them to results.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from calsync.contracts import Result, ResultStatus
from calsync.errors import Duplicate, Gone, PreconditionFailed, TransientError
from calsync.logs import get_logger
from calsync.records import ItemRecord, LedgerEntry, PartMapping
from calsync.state.store import FirestoreStore
from calsync.sync.amenities import observe
from calsync.sync.follow_ups import amenity_fields
from calsync.sync.meet_retries import needs_meet_retry
from calsync.sync.owners import Owner
from calsync.sync.part_results import part_result
from calsync.sync.planning import Delete, Insert, Noop, Operation, Patch, meet_state, plan_part
from calsync.sync.reconcile_context import ReconcileContext
from calsync.sync.rendering import DesiredEvent

__all__ = ["PartWriter"]

_LOG = get_logger(__name__)
_MAX_REPLANS = 5


class PartWriter:
    """Writes single parts to Google and remembers what it wrote."""

    def __init__(self, store: FirestoreStore) -> None:
        self._store = store

    def write_part(
        self,
        context: ReconcileContext,
        owner: Owner,
        part_key: str,
        desired: DesiredEvent | None,
        mapping: PartMapping | None,
        generation: int = 0,
        gone_state: str = "deleted",
    ) -> Result:
        """Bring ``part_key``'s event in ``owner``'s calendar to ``desired`` (None: delete it);
        save the mapping under the lease's fence and return the part's result. A deleted
        part's mapping is saved in ``gone_state``: ``moving`` when the delete is the first
        half of a move, so a part whose new event was never created still hears its end."""
        record = context.record
        if desired is not None:
            context.written.setdefault(owner.calendar_id, owner)
        if (
            desired is not None
            and mapping is not None
            and mapping.state == "synced"
            and mapping.fingerprint == desired.fingerprint()
            and not (desired.wants_meet and needs_meet_retry(mapping))
        ):
            return self._result(record, part_key, mapping, ResultStatus.SYNCED)
        if desired is None and mapping is None:
            return self._result(record, part_key, None, ResultStatus.DELETED)
        target = desired.event_id if desired is not None else mapping.event_id  # type: ignore[union-attr]
        remote = None if mapping is None else owner.gateway.get_event(owner.calendar_id, target)
        response: dict[str, Any] | None = remote
        for _ in range(_MAX_REPLANS):
            operation = plan_part(
                desired,
                remote,
                context.tenant.settings.attendee_notifications,
                meet_nonce=uuid.uuid4().hex[:12],
            )
            try:
                # A no-op keeps what Google just showed (etag, link, Meet, rooms), which
                # after a 409/412 read-back is all calsync knows about the event.
                response = (
                    remote
                    if isinstance(operation, Noop)
                    else self._write(context, owner, operation)
                )
                self._ledger(context, owner, part_key, operation, "ok")
                break
            except (Duplicate, PreconditionFailed):
                self._ledger(context, owner, part_key, operation, "conflict: re-read and re-plan")
                remote = owner.gateway.get_event(owner.calendar_id, target)
            except Gone:
                self._ledger(context, owner, part_key, operation, "already deleted")
                response = None
                break
        else:
            raise TransientError(f"part {part_key} kept changing under calsync; retry later")
        saved = PartMapping(
            part_key=part_key,
            calendar_id=owner.calendar_id,
            event_id=target,
            owner_email=owner.email,
            owner_kind=owner.kind,
            generation=mapping.generation if mapping is not None else generation,
            etag=str((response or {}).get("etag", "")),
            fingerprint=desired.fingerprint() if desired is not None else "",
            synced_version=record.version,
            state="synced" if desired is not None else gone_state,
            html_link=(response or {}).get("htmlLink"),
            ends_at=datetime.fromisoformat(desired.end)
            if desired is not None
            else (mapping.ends_at if mapping is not None else None),
            **amenity_fields(observe(response)),
            meet_retries=_meet_retries(mapping, operation, response),
            via_delegation=owner.delegated
            or (
                mapping is not None
                and mapping.via_delegation
                and mapping.owner_email == owner.email
            ),
        )
        self._save(context, saved)
        status = ResultStatus.SYNCED if desired is not None else ResultStatus.DELETED
        return self._result(record, part_key, saved, status)

    def end_move(self, context: ReconcileContext, part_key: str, mapping: PartMapping) -> Result:
        """A part removed while ``moving``: its old event was cancelled when the move began
        and no new one exists, so nothing is written; the mapping becomes ``deleted``."""
        record = context.record
        saved = mapping.model_copy(update={"state": "deleted", "synced_version": record.version})
        self._save(context, saved)
        return self._result(record, part_key, saved, ResultStatus.DELETED)

    def _save(self, context: ReconcileContext, mapping: PartMapping) -> None:
        """Save ``mapping`` while the lease's fence holds (``LeaseLost`` if it does not)."""
        fence = context.lease.fence if context.lease is not None else None
        record = context.record
        if not self._store.save_mapping(record.tenant_id, record.ref.key, mapping, fence):
            assert context.lease is not None
            context.lease.lost()

    def _write(
        self, context: ReconcileContext, owner: Owner, operation: Operation
    ) -> dict[str, Any] | None:
        """Apply ``operation`` if the reconcile still holds the item (``LeaseLost`` if not)."""
        if context.lease is not None:
            context.lease.hold()
        return self._apply(owner, operation)

    def _apply(self, owner: Owner, operation: Operation) -> dict[str, Any] | None:
        gateway, calendar_id = owner.gateway, owner.calendar_id
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

    def _ledger(
        self,
        context: ReconcileContext,
        owner: Owner,
        part_key: str,
        operation: Operation,
        outcome: str,
    ) -> None:
        if isinstance(operation, Noop):
            return
        entry = LedgerEntry(
            item=context.record.ref.key,
            part_key=part_key,
            operation=type(operation).__name__.lower(),
            event_id=operation.event_id,
            calendar_id=owner.calendar_id,
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
        return part_result(record, part_key, mapping, status)


def _meet_retries(
    mapping: PartMapping | None, operation: Operation, response: dict[str, Any] | None
) -> int:
    """Writes in a row that asked Google again for a Meet link that had failed."""
    if meet_state(response or {}) in ("success", "present"):
        return 0
    before = mapping.meet_retries if mapping is not None else 0
    body = operation.body if isinstance(operation, Insert | Patch) else {}
    asked = "createRequest" in (body.get("conferenceData") or {})
    return (
        before + 1 if asked and mapping is not None and mapping.meet_status == "failure" else before
    )
