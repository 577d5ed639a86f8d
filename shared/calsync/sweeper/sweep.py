"""The orphan sweeper: future events of suspended organizers go to a successor (DESIGN §6).

Per tenant in organizer mode, with the tenant's admin identity (service account with
domain-wide delegation acting as ``admin_email``):

1. **Detect** suspended people with Directory ``users.list(query="isSuspended=true")``
   per domain (cost grows with suspended people, one call per page), intersected with
   the owners of calsync's future parts (a Firestore query, no Google call).
2. **Choose** a successor per item (``choose_successor``, pure): an active host of the
   item, else the tenant's ``fallback_organizer_email``, else the platform account; and
   one **receiver** per suspended person (``choose_receiver``, pure): the person successor
   of most of their parts, a tie going to the fallback.
3. **Transfer**: one Admin Data Transfer per suspended person (Calendar application,
   ``RELEASE_RESOURCES``) to the receiver, followed until it completes; Google moves ALL
   their qualifying events there. Each part's event is found in the receiver's calendars
   by its private extended properties and re-mapped to the receiver. A part whose own
   successor is someone else (or the platform) is then **handed on** by the reconcile:
   cancelled as the receiver, created under the successor (next generation id), so nobody
   ever holds two entries. A part that cannot be found, or whose suspended owner has no
   receiver, is **recreated** under the successor (the original is reported as orphaned:
   attendees keep seeing it until an administrator deletes it). Either way the item is
   then reconciled as the successor, which re-books rooms and re-creates Meet, and a
   ``transferred`` result is published per part.

Safe to run any time: a tenant lease keeps two sweeps apart, transfers are remembered
in Firestore (a crashed sweep resumes them), re-mapped parts no longer belong to the
suspended owner (a second run finds nothing), past parts are never touched, and
``dry_run`` only reports what would happen. A hand-over is remembered
(``tenants/{t}/handovers/{item}``) from before its parts are re-mapped until its results
are published: one whose reconcile fails (a held lease, Google unavailable, a refused
grant) is finished by a named Cloud Task (``finish_handover``) or else by the next sweep.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from calsync.contracts import Result, ResultStatus
from calsync.errors import (
    CalsyncError,
    ConfigurationError,
    InvalidGrant,
    ItemBusy,
    PermanentGoogleError,
    TransientError,
)
from calsync.google.cloud_tasks import task_name
from calsync.google.directory import (
    DirectoryGateway,
    admin_credentials,
    build_directory_gateway,
)
from calsync.logs import get_logger, log_context
from calsync.records import LedgerEntry, PartMapping, TenantRecord, now
from calsync.sweeper.report import SweepReport
from calsync.sweeper.services import SweeperServices
from calsync.sweeper.successors import choose_successor
from calsync.sweeper.transfers import DataTransfers

__all__ = ["Sweeper"]

_LOG = get_logger(__name__)
SWEEP_LEASE_SECONDS = 900.0
HAND_OVER_RETRY_SECONDS = 30.0
REMAP_LEASE_SECONDS = 60.0
"""How long a re-map may hold the item's lease (a few Firestore writes)."""
"""When the task finishing an interrupted hand-over first runs (Cloud Tasks then backs off)."""


class Sweeper:
    """Finds suspended organizers and hands their future events to successors."""

    def __init__(self, services: SweeperServices) -> None:
        self._services = services
        self._store = services.store
        self._settings = services.settings
        self._transfers = DataTransfers(services.store, services.settings)
        """The current tenant's Data Transfers (a fresh one per tenant sweep)."""

    def sweep(
        self, dry_run: bool = False, tenant_id: str | None = None, organizer: str | None = None
    ) -> SweepReport:
        """Sweep every organizer-mode tenant (or one; or one organizer of one tenant)."""
        report = SweepReport(dry_run=dry_run)
        for tenant in self._store.tenants():
            if tenant_id and tenant.tenant_id != tenant_id:
                continue
            if not tenant.settings.use_organizer_accounts:
                continue
            report.tenants += 1
            holder = uuid.uuid4().hex
            if not self._store.acquire_tenant_lease(
                tenant.tenant_id, "sweep", holder, SWEEP_LEASE_SECONDS
            ):
                report.skipped[tenant.tenant_id] = "another sweep is running"
                continue
            try:
                with log_context(tenant_id=tenant.tenant_id):
                    self._sweep_tenant(tenant, report, organizer)
            except ConfigurationError as exc:
                report.skipped[tenant.tenant_id] = str(exc)
            finally:
                self._store.release_tenant_lease(tenant.tenant_id, "sweep", holder)
        _LOG.info(
            "sweep finished",
            extra={"fields": {k: v for k, v in report.as_dict().items() if k != "actions"}},
        )
        return report

    # -- one tenant -------------------------------------------------------------
    def _directory(self, tenant: TenantRecord) -> DirectoryGateway:
        admin = tenant.settings.admin_email or ""
        return build_directory_gateway(
            admin_credentials(self._settings, admin), admin, self._settings
        )

    def _suspended(
        self, tenant: TenantRecord, directory: DirectoryGateway, organizer: str | None
    ) -> dict[str, dict[str, Any]]:
        if organizer:  # the targeted check after an invalid_grant
            user = directory.user(organizer)
            return {organizer: user} if user.get("suspended") else {}
        found: dict[str, dict[str, Any]] = {}
        for domain in tenant.settings.domains:
            for user in directory.suspended_users(domain):
                found[str(user.get("primaryEmail", "")).lower()] = user
        return found

    def _sweep_tenant(
        self, tenant: TenantRecord, report: SweepReport, organizer: str | None
    ) -> None:
        directory = self._directory(tenant)
        self._transfers = DataTransfers(self._store, self._settings)
        suspended = self._suspended(tenant, directory, organizer)
        self._resume_hand_overs(tenant.tenant_id, report, organizer)
        orphans: dict[str, list[PartMapping]] = defaultdict(list)
        for item_key, mapping in self._store.parts_owned_by(tenant.tenant_id, sorted(suspended)):
            if mapping.owner_kind == "organizer" and mapping.ends_at and mapping.ends_at > now():
                orphans[item_key].append(mapping)
        owners = sorted({m.owner_email for parts in orphans.values() for m in parts})
        report.suspended_organizers += [f"{tenant.tenant_id}:{email}" for email in owners]
        plan: list[tuple[str, list[PartMapping], str]] = []
        for item_key, parts in sorted(orphans.items()):
            record = self._store.get_item(tenant.tenant_id, item_key)
            if record is None or record.item is None or record.deleted:
                continue
            successor = choose_successor(
                record.item, set(suspended), tenant.settings.fallback_organizer_email
            )
            plan.append((item_key, parts, successor))
        receivers = self._transfers.receivers(tenant, plan)
        if not report.dry_run:  # every transfer first, so each receiver is searched once
            for old, receiver in sorted(receivers.items()):
                if receiver is not None:
                    self._transfers.start(tenant.tenant_id, directory, suspended[old], receiver)
        for item_key, parts, successor in plan:
            receiver = receivers[parts[0].owner_email]
            action = {
                "tenant_id": tenant.tenant_id,
                "item": item_key,
                "from": parts[0].owner_email,
                "to": successor,
                "parts": [m.part_key for m in parts],
                "method": "recreate" if receiver is None else "transfer",
            }
            if receiver is not None:
                action["via"] = receiver
            report.actions.append(action)
            if report.dry_run:
                continue
            try:
                self._hand_over(
                    tenant, directory, suspended, item_key, parts, successor, action, report
                )
            except (PermanentGoogleError, CalsyncError) as exc:
                _LOG.error(
                    "handing over failed", extra={"fields": {"item": item_key, "error": str(exc)}}
                )
                report.parts_failed += len(parts)
                action["error"] = str(exc)
        if not report.dry_run:
            self._transfers.forget_finished(tenant.tenant_id, report)

    def _hand_over(
        self,
        tenant: TenantRecord,
        directory: DirectoryGateway,
        suspended: dict[str, dict[str, Any]],
        item_key: str,
        parts: list[PartMapping],
        successor: str,
        action: dict[str, Any],
        report: SweepReport,
    ) -> None:
        tenant_id = tenant.tenant_id
        found: dict[str, tuple[str, str]] = {}
        receiver = action.get("via")
        if receiver is not None:
            old = parts[0].owner_email
            if not self._transfers.completed(tenant_id, directory, suspended[old], receiver):
                report.transfers_in_progress += 1
                action["status"] = "transfer in progress; the next sweep continues it"
                return
            found = self._transfers.find_transferred(tenant_id, receiver, item_key)
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
        self._store.save_hand_over(tenant_id, item_key, state)  # before any mapping changes
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
        self._store.set_successor(tenant_id, item_key, successor, organizer=organizer)

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

    def _resume_hand_overs(
        self, tenant_id: str, report: SweepReport, organizer: str | None
    ) -> None:
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
