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

``Sweeper(services).sweep(dry_run, tenant_id, organizer)`` runs the steps in this order and
returns the ``SweepReport`` (``report``). The steps live beside it: detecting in
``suspended``, choosing in ``successors``, Data Transfer in ``transfers`` (``DataTransfers``),
and re-mapping, finishing and resuming hand-overs in ``hand_over`` (``HandOvers``, whose
``finish_hand_over`` the ``finish_handover`` task calls).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from calsync.errors import CalsyncError, ConfigurationError, PermanentGoogleError
from calsync.google.directory import DirectoryGateway
from calsync.logs import get_logger, log_context
from calsync.records import PartMapping, TenantRecord, now
from calsync.sweeper.hand_over import HandOvers
from calsync.sweeper.report import SweepReport
from calsync.sweeper.services import SweeperServices
from calsync.sweeper.successors import choose_successor
from calsync.sweeper.suspended import suspended_people, tenant_directory
from calsync.sweeper.transfers import DataTransfers

__all__ = ["Sweeper"]

_LOG = get_logger(__name__)
SWEEP_LEASE_SECONDS = 900.0
SWEEP_BUSY = "another sweep is running"
"""``SweepReport.skipped``'s reason for a tenant whose sweep lease another sweep holds."""


class Sweeper:
    """Finds suspended organizers and hands their future events to successors."""

    def __init__(self, services: SweeperServices) -> None:
        self._services = services
        self._store = services.store
        self._settings = services.settings
        self._transfers = DataTransfers(services.store, services.settings)
        """The current tenant's Data Transfers (a fresh one per tenant sweep)."""
        self._hand_overs = HandOvers(services)

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
                report.skipped[tenant.tenant_id] = SWEEP_BUSY
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
    def _sweep_tenant(
        self, tenant: TenantRecord, report: SweepReport, organizer: str | None
    ) -> None:
        directory = tenant_directory(self._settings, tenant)
        self._transfers = DataTransfers(self._store, self._settings)
        suspended = suspended_people(tenant, directory, organizer)
        self._hand_overs.resume(tenant.tenant_id, report, organizer)
        orphans: dict[str, list[PartMapping]] = defaultdict(list)
        for item_key, mapping in self._store.parts_owned_by(tenant.tenant_id, sorted(suspended)):
            if mapping.owner_kind == "organizer" and mapping.ends_at and mapping.ends_at > now():
                orphans[item_key].append(mapping)
        owners = sorted({m.owner_email for parts in orphans.values() for m in parts})
        report.suspended_organizers += [f"{tenant.tenant_id}:{email}" for email in owners]
        plan: list[tuple[str, list[PartMapping], str]] = []
        for item_key, parts in sorted(orphans.items()):
            record = self._store.get_item(tenant.tenant_id, item_key)
            # A deleted item's parts are still handed over: its deletion came when calsync
            # could no longer act as the suspended person, and the Data Transfer moves them
            # anyway; once re-mapped to the receiver, the reconcile deletes them there. Without
            # a receiver nothing is recreated: the hand-over reports them deleted, naming the
            # originals left with the suspended account.
            if record is None or record.item is None:
                continue
            successor = choose_successor(
                record.item,
                set(suspended),
                tenant.settings.fallback_organizer_email,
                tenant.settings.domains,
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
        self._reassign_held_elsewhere(tenant, suspended, set(orphans), report)
        if not report.dry_run:
            self._transfers.forget_finished(tenant.tenant_id, report)

    def _reassign_held_elsewhere(
        self,
        tenant: TenantRecord,
        suspended: dict[str, dict[str, Any]],
        handed_over: set[str],
        report: SweepReport,
    ) -> None:
        """Items a suspended person organizes whose future parts calsync holds elsewhere (in
        the platform calendar, while they were not connected) get a successor too: nothing to
        transfer, the reconcile moves the parts to the successor."""
        for organizer in sorted(suspended):
            for item_key in self._store.item_keys_organized_by(tenant.tenant_id, organizer):
                record = self._store.get_item(tenant.tenant_id, item_key)
                if (
                    item_key in handed_over
                    or record is None
                    or record.item is None
                    or record.deleted
                    or record.successor is not None
                    or not any(part.end > now() for part in record.item.parts)
                ):
                    continue
                successor = choose_successor(
                    record.item,
                    set(suspended),
                    tenant.settings.fallback_organizer_email,
                    tenant.settings.domains,
                )
                action: dict[str, Any] = {
                    "tenant_id": tenant.tenant_id,
                    "item": item_key,
                    "from": organizer,
                    "to": successor,
                    "parts": [],
                    "method": "reassign",
                }
                report.actions.append(action)
                if f"{tenant.tenant_id}:{organizer}" not in report.suspended_organizers:
                    report.suspended_organizers.append(f"{tenant.tenant_id}:{organizer}")
                if report.dry_run:
                    continue
                try:
                    self._hand_overs.reassign(
                        tenant.tenant_id, item_key, organizer, successor, action, report
                    )
                except (PermanentGoogleError, CalsyncError) as exc:
                    _LOG.error(
                        "handing over failed",
                        extra={"fields": {"item": item_key, "error": str(exc)}},
                    )
                    action["error"] = str(exc)

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
        """Follow the item's Data Transfer and find its events (if it has one), then start
        its hand-over (``HandOvers.start``); a transfer still running waits for the next sweep."""
        tenant_id = tenant.tenant_id
        found: dict[str, tuple[str, str]] = {}
        receiver = action.get("via")
        if receiver is not None:
            old = parts[0].owner_email
            if not self._transfers.completed(tenant_id, directory, suspended[old], receiver):
                report.transfers_in_progress += 1
                action["status"] = "transfer in progress; the next sweep continues it"
                return
            found = self._transfers.find_transferred(tenant_id, receiver, item_key, parts)
        self._hand_overs.start(
            tenant_id, item_key, parts, successor, receiver, found, action, report
        )
