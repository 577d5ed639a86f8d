"""Hand-overs: a suspended organizer's item passes to its successor (DESIGN §6).

A hand-over is remembered in Firestore (``tenants/{t}/handovers/{item}``) from before its
parts are re-mapped until its results are published, so it is never left half done::

    hand_overs = HandOvers(services)
    hand_overs.start(tenant_id, item_key, parts, successor, receiver, found, action, report)
    hand_overs.finish_hand_over(tenant_id, item_key)   # the ``finish_handover`` Cloud Task
    hand_overs.resume(tenant_id, report, organizer)    # the next sweep, first thing

``start`` records the hand-over, then **re-maps** each part under the item's lease: a part
found in the receiver's calendars (``found``, from Data Transfer) points there, any other
is marked ``orphaned`` to be recreated, and the item names its successor. It then
**finishes**: reconciles the item as the successor (rooms re-booked, Meet re-created) and
publishes one ``transferred`` result per part. A held lease or a failed reconcile leaves
the rest to a named Cloud Task (``finish_handover``), or else to the next sweep.
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
from calsync.records import LedgerEntry, PartMapping, now
from calsync.sweeper.report import SweepReport
from calsync.sweeper.services import SweeperServices
from calsync.sweeper.successors import outside_domains

__all__ = ["HandOvers"]

_LOG = get_logger(__name__)
HAND_OVER_RETRY_SECONDS = 30.0
"""When the task finishing an interrupted hand-over first runs (Cloud Tasks then backs off)."""
REMAP_LEASE_SECONDS = 60.0
"""How long a re-map may hold the item's lease (a few Firestore writes)."""


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
            self._remap(tenant_id, item_key, state, report)
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
    def _remap(
        self,
        tenant_id: str,
        item_key: str,
        state: dict[str, Any],
        report: SweepReport | None = None,
    ) -> None:
        """Point each part still mapped to the suspended owner at where it is now (or mark it
        to be recreated), and name the successor. Idempotent: a resumed hand-over re-maps only
        what a stopped sweep left.

        Holds the item's lease meanwhile, so no reconcile can save a mapping planned before the
        re-map (it would undo it); a held lease raises ``ItemBusy`` and the hand-over's task
        (or the next sweep) re-maps later."""
        holder = uuid.uuid4().hex
        if not self._store.acquire_lease(tenant_id, item_key, holder, REMAP_LEASE_SECONDS):
            raise ItemBusy(f"{item_key} is being reconciled; the hand-over re-maps it later")
        try:
            self._remap_parts(tenant_id, item_key, state, report)
        finally:
            self._store.release_lease(tenant_id, item_key, holder)

    def _remap_parts(
        self,
        tenant_id: str,
        item_key: str,
        state: dict[str, Any],
        report: SweepReport | None,
    ) -> None:
        old, successor = str(state["from"]), str(state["to"])
        receiver = str(state.get("via") or successor)
        current = self._store.mappings(tenant_id, item_key)
        for part_key in state["parts"]:
            mapping = current.get(part_key)
            if mapping is None or mapping.owner_email != old or mapping.state != "synced":
                continue  # re-mapped already (or gone)
            where = state["found"].get(part_key)
            if where is not None:
                calendar_id, event_id = where
                moved = mapping.model_copy(
                    update={
                        "owner_email": receiver,
                        "owner_kind": "organizer",
                        "calendar_id": calendar_id,
                        "event_id": event_id,
                        "fingerprint": "",
                        "state": "synced",
                        "via_delegation": True,  # moved there by the admin's Data Transfer
                    }
                )
                if receiver == successor:
                    note = "moved by Data Transfer"
                else:  # the reconcile hands it on: cancelled as the receiver, created anew
                    note = (
                        f"moved by Data Transfer to {receiver}; handed on to the successor: "
                        "cancelled there and created under the successor"
                    )
                if report is not None and receiver == successor:
                    report.parts_transferred += 1
                elif report is not None:
                    report.parts_handed_on += 1
            else:
                moved = mapping.model_copy(update={"state": "orphaned", "fingerprint": ""})
                note = (
                    "recreated under the successor; the original stays in attendees' "
                    "calendars, owned by the suspended account, until an admin deletes it"
                )
                if report is not None:
                    report.parts_recreated += 1
            self._store.save_mapping(tenant_id, item_key, moved)
            self._store.append_ledger(
                tenant_id,
                LedgerEntry(
                    item=item_key,
                    part_key=mapping.part_key,
                    operation="transfer",
                    event_id=mapping.event_id,
                    calendar_id=mapping.calendar_id,
                    version=-1,
                    reason=f"{mapping.owner_email} is suspended; successor {successor}",
                    outcome=note,
                ),
            )
        organizer = state.get("organizer")
        # an item whose own organizer is active goes back to them: no successor to remember
        looked_after_by = None if organizer and successor == organizer.lower() else successor
        self._store.set_successor(tenant_id, item_key, looked_after_by, organizer=organizer)

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
        self._remap(tenant_id, item_key, state)  # a stopped sweep may have left some parts
        record = self._store.get_item(tenant_id, item_key)
        if record is None:
            self._store.delete_hand_over(tenant_id, item_key, str(state["id"]))
            return
        synced = {
            r.part_key: r
            for r in self._services.reconciler.reconcile(tenant_id, record.ref)
            if r.status in (ResultStatus.SYNCED, ResultStatus.ROOM_DECLINED)
        }
        old, successor = state["from"], state["to"]
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
        ]
        self._services.results.publish(results)
        self._store.delete_hand_over(tenant_id, item_key, str(state["id"]))

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
