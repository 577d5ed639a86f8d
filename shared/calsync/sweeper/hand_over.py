"""Hand-overs: a suspended organizer's item passes to its successor (DESIGN §6).

A hand-over is remembered in Firestore (``tenants/{t}/handovers/{item}``) from before its
parts are re-mapped until its results are published, so it is never left half done::

    hand_overs = HandOvers(services)
    hand_overs.start(tenant_id, item_key, parts, successor, receiver, found, action, report)
    hand_overs.finish_hand_over(tenant_id, item_key)   # the ``finish_handover`` Cloud Task
    hand_overs.resume(tenant_id, report, organizer)    # the next sweep, first thing

``start`` records the hand-over, then **re-maps** each part under the item's lease
(``calsync.sweeper.remapping``): a part found in the receiver's calendars (``found``, from
Data Transfer) points there, any other is marked ``orphaned`` to be recreated, and the item
names its successor. It then **finishes**: reconciles the item as the successor (rooms
re-booked, Meet re-created) and publishes one ``transferred`` result per part. A held lease
or a failed reconcile leaves the rest to a named Cloud Task (``finish_handover``), or else
to the next sweep.
"""

from __future__ import annotations

import uuid
from typing import Any

from calsync.contracts import Result, ResultStatus
from calsync.errors import (
    CalsyncError,
    InvalidGrant,
    ItemBusy,
    OutsideDomains,
    PermanentGoogleError,
    TransientError,
)
from calsync.google.cloud_tasks import task_name
from calsync.logs import get_logger
from calsync.records import ItemRecord, PartMapping, now
from calsync.sweeper.remapping import remap
from calsync.sweeper.report import SweepReport
from calsync.sweeper.services import SweeperServices
from calsync.sweeper.successors import outside_domains

__all__ = ["HandOvers"]

_LOG = get_logger(__name__)
HAND_OVER_RETRY_SECONDS = 30.0
"""When the task finishing an interrupted hand-over first runs (Cloud Tasks then backs off)."""


class HandOvers:
    """Records, re-maps, finishes and resumes items' hand-overs to their successors."""

    def __init__(self, services: SweeperServices) -> None:
        self._services = services
        self._store = services.store

    def start(
        self,
        tenant_id: str,
        item_key: str,
        parts: list[PartMapping],
        successor: str,
        receiver: str | None,
        found: dict[str, tuple[str, str]],
        action: dict[str, Any],
        report: SweepReport,
    ) -> None:
        """Record the item's hand-over, re-map its parts, then finish it (or leave it to a
        named task and the next sweep). ``OutsideDomains`` (nothing recorded) when the
        successor or the receiver lies outside the tenant's domains."""
        self.check_inside_domains(tenant_id, successor, receiver)
        record = self._store.get_item(tenant_id, item_key)
        state = {
            "id": uuid.uuid4().hex,
            "from": parts[0].owner_email,
            "to": successor,
            "via": receiver,
            # the successor holds only while the platform keeps this organizer
            "organizer": record.item.organizer_email if record and record.item else None,
            "method": action["method"],
            "parts": [m.part_key for m in parts],
            "found": {key: list(where) for key, where in found.items()},
            "attempt": 0,
        }
        self._record_and_finish(tenant_id, item_key, state, action, report)

    def reassign(
        self,
        tenant_id: str,
        item_key: str,
        organizer: str,
        successor: str,
        action: dict[str, Any],
        report: SweepReport,
    ) -> None:
        """Hand over an item a suspended ``organizer`` organizes but whose parts calsync holds
        elsewhere (the platform calendar, while they were not connected): nothing to transfer
        or re-map; the item names its successor and the reconcile moves its parts there (the
        suspended organizer no longer attends)."""
        self.check_inside_domains(tenant_id, successor)
        state = {
            "id": uuid.uuid4().hex,
            "from": organizer,
            "to": successor,
            "via": None,
            "organizer": organizer,
            "method": action["method"],
            "parts": [],
            "found": {},
            "attempt": 0,
        }
        self._record_and_finish(tenant_id, item_key, state, action, report)

    def _record_and_finish(
        self,
        tenant_id: str,
        item_key: str,
        state: dict[str, Any],
        action: dict[str, Any],
        report: SweepReport,
    ) -> None:
        """Record the hand-over (before any mapping changes), re-map, then finish it; a held
        lease leaves the rest to a named task and the next sweep."""
        self._store.save_hand_over(tenant_id, item_key, state)
        try:
            remap(self._store, tenant_id, item_key, state, report)
        except ItemBusy as exc:
            report.hand_overs_retrying += 1
            action["status"] = "item busy; a task (or the next sweep) re-maps and finishes it"
            action["error"] = str(exc)
            self._schedule_finish(tenant_id, item_key, state)
            return
        action["remapped"] = True
        self._finish_or_retry(tenant_id, item_key, state, action, report)

    def check_inside_domains(self, tenant_id: str, *people: str | None) -> None:
        """Refuse (``OutsideDomains``) before calsync acts as anyone outside the tenant's
        domains: the successor and the receiver are impersonated through delegation."""
        tenant = self._store.get_tenant(tenant_id)
        outside = outside_domains(people, tenant.settings.domains if tenant else [])
        if outside:
            raise OutsideDomains(
                f"{', '.join(outside)} outside tenant {tenant_id}'s domains; not handed over"
            )

    # -- hand-over: re-map, then reconcile and report ----------------------------
    def _finish_or_retry(
        self,
        tenant_id: str,
        item_key: str,
        state: dict[str, Any],
        action: dict[str, Any],
        report: SweepReport,
    ) -> None:
        """Finish the hand-over now; if that fails, leave it to a named task (and the next
        sweep), never half done."""
        try:
            self._finish(tenant_id, item_key, state)
        except CalsyncError as exc:
            _LOG.warning(
                "hand-over interrupted; a task finishes it",
                extra={"fields": {"item": item_key, "error": str(exc)}},
            )
            report.hand_overs_retrying += 1
            action["status"] = "re-mapped; a task (or the next sweep) finishes the hand-over"
            action["error"] = str(exc)
            self._schedule_finish(tenant_id, item_key, state)
            return
        action["status"] = "done"

    def _schedule_finish(self, tenant_id: str, item_key: str, state: dict[str, Any]) -> None:
        state["attempt"] = int(state.get("attempt", 0)) + 1
        self._store.save_hand_over(tenant_id, item_key, state)
        record = self._store.get_item(tenant_id, item_key)
        if record is None:
            return
        name = task_name("handover", tenant_id, item_key, str(state["id"]), str(state["attempt"]))
        payload = {
            "action": "finish_handover",
            "tenant_id": tenant_id,
            "item": record.ref.model_dump(mode="json"),
        }
        try:
            self._services.tasks.schedule(name, payload, HAND_OVER_RETRY_SECONDS)
        except CalsyncError as exc:  # the next sweep resumes it
            _LOG.error(
                "could not schedule the end of a hand-over; the next sweep finishes it",
                extra={"fields": {"item": item_key, "error": str(exc)}},
            )

    def _finish(self, tenant_id: str, item_key: str, state: dict[str, Any]) -> None:
        """Reconcile the item as its successor (rooms re-booked, Meet requested), publish one
        ``transferred`` result per part, then forget the hand-over."""
        remap(self._store, tenant_id, item_key, state)  # a stopped sweep may have left some parts
        record = self._store.get_item(tenant_id, item_key)
        if record is None:
            self._store.delete_hand_over(tenant_id, item_key, str(state["id"]))
            return
        reconciled = self._services.reconciler.reconcile(tenant_id, record.ref)
        synced = {
            r.part_key: r
            for r in reconciled
            if r.status in (ResultStatus.SYNCED, ResultStatus.ROOM_DECLINED)
        }
        # A part the reconcile deleted (the item was deleted, or the part removed) is gone:
        # its ``deleted`` result is its last word, not a ``transferred`` one published after it.
        gone = {r.part_key or "" for r in reconciled if r.status is ResultStatus.DELETED}
        old, successor = state["from"], state["to"]
        if record.deleted:
            results = self._deleted_originals(record, state, gone)
        else:
            results = [
                Result(
                    tenant_id=tenant_id,
                    item=record.ref,
                    part_key=key,
                    source_version=record.version,
                    status=ResultStatus.TRANSFERRED,
                    calendar_id=synced[key].calendar_id if key in synced else None,
                    event_id=synced[key].event_id if key in synced else None,
                    error_message=f"from {old} (suspended) to {successor}",
                    at=now(),
                )
                for key in state["parts"]
                if key not in gone
            ]
        self._services.results.publish(results)
        self._store.delete_hand_over(tenant_id, item_key, str(state["id"]))

    def _deleted_originals(
        self, record: ItemRecord, state: dict[str, Any], gone: set[str]
    ) -> list[Result]:
        """The item was deleted before its hand-over finished: a part its reconcile could not
        delete (no Data Transfer reached it, so it was marked to be recreated) is not recreated
        and gets a ``deleted`` result naming the original, which stays with the suspended
        account until an administrator deletes it. Never ``transferred``: nothing lives on."""
        mappings = self._store.mappings(record.tenant_id, record.ref.key)
        results = []
        for key in state["parts"]:
            if key in gone:
                continue
            original = mappings.get(key)
            results.append(
                Result(
                    tenant_id=record.tenant_id,
                    item=record.ref,
                    part_key=key,
                    source_version=record.version,
                    status=ResultStatus.DELETED,
                    calendar_id=original.calendar_id if original else None,
                    event_id=original.event_id if original else None,
                    error_message=(
                        f"deleted; its event stays in attendees' calendars, owned by the "
                        f"suspended {state['from']}, until an administrator deletes it"
                    ),
                    at=now(),
                )
            )
        return results

    def finish_hand_over(self, tenant_id: str, item_key: str) -> None:
        """The ``finish_handover`` task: finish the item's interrupted hand-over, if any.

        Raises ``TransientError`` while it still cannot (Cloud Tasks retries with backoff).
        """
        state = self._store.hand_over(tenant_id, item_key)
        if state is None:
            return
        try:
            self._finish(tenant_id, item_key, state)
        except (InvalidGrant, PermanentGoogleError) as exc:
            raise TransientError(f"hand-over of {item_key} not finished: {exc}") from exc

    def resume(self, tenant_id: str, report: SweepReport, organizer: str | None) -> None:
        """Finish hand-overs an earlier sweep re-mapped but could not finish."""
        for item_key, state in sorted(self._store.hand_overs(tenant_id)):
            if organizer and state.get("from") != organizer:
                continue
            action = {
                "tenant_id": tenant_id,
                "item": item_key,
                "from": state.get("from"),
                "to": state.get("to"),
                "parts": state.get("parts", []),
                "method": state.get("method", "transfer"),
                "remapped": True,
                "resumed": True,
            }
            report.actions.append(action)
            if report.dry_run:
                action["status"] = "re-mapped; the hand-over is not finished yet"
                continue
            self._finish_or_retry(tenant_id, item_key, state, action, report)
