"""Reconcile one item: desired state → plan → apply, part by part (DESIGN §5).

``Reconciler.reconcile`` is the item-level orchestration; the work is done by

- ``calsync.sync.item_lease``: the item's lease, held for the whole reconcile and fencing
  every write;
- ``calsync.sync.part_sync``: each part's owner, moves between owners, Google's refusals;
- ``calsync.sync.part_writer``: one part's read, plan, apply, mapping save and ledger entry;
- ``calsync.sync.quota_deferral``: the retry task when Google's limiter refuses the item;
- ``calsync.sync.follow_ups``: the re-checks of rooms and Meet links still pending;
- ``calsync.sync.watch_channels``: a push channel on each calendar written to (two-way sync).

Here: the item is read, each part synced (``ReconcileContext`` carries what they share),
the results published and the version marked synced. An organizer's grant that breaks
mid-way is marked and the item planned again without them (and the sweeper asked whether
the account was suspended); a platform calendar deleted behind calsync's back is recreated
and the tenant's other items re-synced::

    reconciler = Reconciler(store, platform_gateway, results, tasks, organizers)
    results = reconciler.reconcile(tenant_id, ref)          # ItemBusy if another holds it
    results = reconciler.follow_up(tenant_id, ref, attempt, chain)
"""

from __future__ import annotations

import uuid

from calsync.contracts import ItemRef, Result, ResultStatus
from calsync.errors import InvalidGrant, ItemBusy, QuotaExceeded, TransientError
from calsync.google.cloud_tasks import TaskScheduler, task_name
from calsync.google.results_topic import ResultSink
from calsync.logs import get_logger
from calsync.records import ItemRecord, TenantRecord, now
from calsync.state.store import FirestoreStore
from calsync.sync.follow_ups import FollowUps
from calsync.sync.item_lease import LEASE_SECONDS, ItemLease
from calsync.sync.meet_retries import schedule_meet_retries
from calsync.sync.owners import OrganizerAccess, Owner, Owners, PlatformGateways
from calsync.sync.part_results import pending, skipped
from calsync.sync.part_sync import CalendarVanished, PartSync
from calsync.sync.part_writer import PartWriter
from calsync.sync.quota_deferral import defer_item
from calsync.sync.reconcile_context import ReconcileContext
from calsync.sync.watch_channels import ChannelKeeper

__all__ = ["Reconciler"]

_LOG = get_logger(__name__)


class Reconciler:
    """Brings Google in line with the desired state of items."""

    def __init__(
        self,
        store: FirestoreStore,
        platform_gateway: PlatformGateways,
        results: ResultSink,
        tasks: TaskScheduler | None = None,
        organizers: OrganizerAccess | None = None,
        lease_seconds: float = LEASE_SECONDS,
        channels: ChannelKeeper | None = None,
    ) -> None:
        self._store = store
        self._channels = channels
        self._lease_seconds = lease_seconds
        self._platform_gateway = platform_gateway
        self._results = results
        self._tasks = tasks
        self._organizers = organizers
        self._parts = PartSync(PartWriter(store))

    def reconcile(
        self, tenant_id: str, ref: ItemRef, deferrals: int = 0, even_when_paused: bool = False
    ) -> list[Result]:
        """Reconcile every part of one item, publish the results, mark the version synced.

        Holds the item's lease meanwhile: two reconciles of one item never overlap, so a
        slower one can never write an attendee list older than a faster one's. A held
        lease raises ``ItemBusy`` (transient: the message or task comes back later).
        ``deferrals`` counts how often Google's limiter already refused this item in a row
        (set by the retry task), so each further refusal waits longer. ``even_when_paused``
        reconciles while the tenant's sync is off (a disconnecting organizer's events must
        leave their calendar before the grant is revoked, or they are stranded there).
        """
        holder = uuid.uuid4().hex
        if not self._store.acquire_lease(tenant_id, ref.key, holder, self._lease_seconds):
            raise ItemBusy(f"{ref.key} is being reconciled by another worker")
        lease = ItemLease(self._store, tenant_id, ref.key, holder, self._lease_seconds)
        try:
            return self._reconcile_item(tenant_id, ref, deferrals, lease, even_when_paused)
        finally:
            self._store.release_lease(tenant_id, ref.key, holder)

    def _reconcile_item(
        self,
        tenant_id: str,
        ref: ItemRef,
        deferrals: int,
        lease: ItemLease,
        even_when_paused: bool = False,
    ) -> list[Result]:
        tenant = self._store.get_tenant(tenant_id)
        record = self._store.get_item(tenant_id, ref.key)
        if tenant is None or record is None:
            return []
        lease.planned_with(record)
        if not tenant.settings.sync_enabled and not even_when_paused:
            # Not marked synced: turning sync on later brings this version to Google.
            results = [skipped(record, "sync is disabled for this tenant")]
            self._results.publish(results)
            return results
        asked: set[str] = set()
        try:
            results = self._reconcile_parts(tenant, record, lease, asked)
        except QuotaExceeded as exc:
            # Not marked synced: Google does not reflect this version; the task will.
            results = [defer_item(self._tasks, record, exc, deferrals)]
            self._results.publish(results)
            return results
        self._results.publish(results)
        self._store.mark_synced(tenant_id, ref.key, record.version)
        self._ask_about_refused_organizer(tenant, record, results, asked)
        return results

    def _ask_about_refused_organizer(
        self, tenant: TenantRecord, record: ItemRecord, results: list[Result], asked: set[str]
    ) -> None:
        """An item left in the platform calendar because Google refused its organizer's grant:
        the sweeper is asked whether they are suspended, once per version. The refusal itself
        asked already, but only for the items reconciled then; an item named to them later
        (a late or held-back message) would otherwise wait for the next scheduled sweep
        (model-based test, seed 1642185029)."""
        if (
            self._organizers is None
            or record.item is None
            or record.deleted
            or record.successor is not None
            or not any(r.error_code == "organizer_not_connected" for r in results)
        ):
            return
        email = record.item.organizer_email
        if email not in asked and self._organizers.grant_refused(tenant.tenant_id, email):
            self._check_suspension(tenant.tenant_id, email, record.ref.key, str(record.version))

    # -- item level -------------------------------------------------------
    def _owners(self, tenant: TenantRecord, record: ItemRecord) -> Owners:
        """Owner resolution for one reconcile of ``record`` (its successor included)."""
        return Owners(
            self._store,
            tenant,
            self._platform_gateway,
            self._organizers,
            record.successor,
            item_key=record.ref.key,
        )

    def _reconcile_parts(
        self,
        tenant: TenantRecord,
        record: ItemRecord,
        lease: ItemLease | None = None,
        asked: set[str] | None = None,
    ) -> list[Result]:
        """Sync every part; ``asked`` gathers the organizers the sweeper was asked about."""
        owners = self._owners(tenant, record)
        live = record.item is not None and not record.deleted
        enrolled = self._store.enrolled(record.tenant_id, record.ref.key) if live else []
        context = ReconcileContext(owners, record, enrolled, lease)
        parts = {p.key: p for p in record.item.parts} if live and record.item else {}
        mappings = self._store.mappings(tenant.tenant_id, record.ref.key)
        # a part cancelled for a move whose new event was never created is still the
        # platform's to hear about: it is reported ``deleted`` once it is gone for good
        keys = list(parts) + [
            k for k in mappings if k not in parts and mappings[k].state in ("synced", "moving")
        ]
        if not live and record.needs_sync and record.item is not None:
            # A deletion: every part the platform last named hears its final state, also one
            # Google never held (its write was deferred or refused before the delete came).
            keys += [p.key for p in record.item.parts if p.key not in mappings]
        for attempt in range(3):
            try:
                results: list[Result] = []
                for key in keys:
                    if lease is not None:
                        lease.keep()
                    results += self._parts.sync_part(
                        context, key, parts.get(key), mappings.get(key)
                    )
                if any(r.status is ResultStatus.SYNCED and pending(r) for r in results):
                    self._schedule_follow_up(record, attempt=0)
                schedule_meet_retries(self._store, self._tasks, record)
                if self._channels is not None:
                    for owner in context.written.values():
                        self._channels.ensure(owners.tenant, owner)
                return results
            except InvalidGrant as exc:
                # an organizer's grant broke mid-way: mark them, then plan again without them
                if attempt == 2 or not isinstance(exc.owner, Owner):
                    raise TransientError(f"grant failed again: {exc}") from exc
                owners.grant_broke(exc.owner, "invalid_grant")
                self._check_suspension(tenant.tenant_id, exc.owner.email)
                if asked is not None:
                    asked.add(exc.owner.email)
            except CalendarVanished as gone:
                if attempt == 2:
                    raise TransientError(f"calendar {gone.calendar_id} vanished again") from gone
                self._recover_calendar(owners, record, gone.calendar_id)
            mappings = self._store.mappings(tenant.tenant_id, record.ref.key)
        raise AssertionError("unreachable")

    def _recover_calendar(self, owners: Owners, record: ItemRecord, calendar_id: str) -> None:
        """The tenant's calendar was deleted behind calsync's back: recreate, re-sync all."""
        tenant_id = owners.tenant.tenant_id
        _LOG.warning(
            "platform calendar is gone; recreating it and re-syncing the tenant",
            extra={"fields": {"tenant_id": tenant_id, "calendar_id": calendar_id}},
        )
        self._store.forget_calendar(tenant_id, calendar_id)
        new_id = owners.create_platform_calendar(replacing=calendar_id)
        for key in self._store.item_keys(tenant_id):
            if key == record.ref.key:
                continue
            other = self._store.get_item(tenant_id, key)
            if other is None:
                continue
            if self._tasks is not None:
                name = task_name("resync", tenant_id, key, new_id)
                self._tasks.schedule(
                    name,
                    {
                        "action": "reconcile",
                        "tenant_id": tenant_id,
                        "item": other.ref.model_dump(mode="json"),
                    },
                    0,
                )
            else:
                self._results.publish(self._reconcile_parts(owners.tenant, other))

    def _check_suspension(self, tenant_id: str, email: str, *occasion: str) -> None:
        """A dead grant may mean a suspended account: ask the sweeper to check that person
        (once an hour, or once per ``occasion``)."""
        if self._tasks is None:
            return
        name = task_name("sweep", tenant_id, email, *(occasion or (now().strftime("%Y-%m-%dT%H"),)))
        payload = {"action": "sweep_organizer", "tenant_id": tenant_id, "organizer": email}
        self._tasks.schedule(name, payload, 0)

    # -- follow-ups (rooms that have not answered, Meet links being created) -------
    def _schedule_follow_up(self, record: ItemRecord, attempt: int) -> None:
        FollowUps(self._store, self._results, self._tasks).schedule(record, attempt)

    def follow_up(
        self, tenant_id: str, ref: ItemRef, attempt: int, chain: str = ""
    ) -> list[Result]:
        """Check rooms and Meet again after a write; report what changed (holds the lease)."""
        holder = uuid.uuid4().hex
        if not self._store.acquire_lease(tenant_id, ref.key, holder, self._lease_seconds):
            raise ItemBusy(f"{ref.key} is being reconciled by another worker")
        try:
            tenant = self._store.get_tenant(tenant_id)
            record = self._store.get_item(tenant_id, ref.key)
            if tenant is None or record is None:
                return []
            # the successor too: one reached through delegation must be re-checked as well
            owners = self._owners(tenant, record)
            return FollowUps(self._store, self._results, self._tasks).run(
                owners, ref, attempt, chain, holder
            )
        finally:
            self._store.release_lease(tenant_id, ref.key, holder)
