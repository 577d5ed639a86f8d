"""Re-sync a tenant after a settings change, as a resumable chain of named Cloud Tasks.

Turning sync on, switching mode or changing a setting that alters rendered events
(``RESYNC_IGNORES`` lists the ones that do not) must reach every item the change
concerns: those whose desired state Google has not seen yet (``needs_sync``) and
every live item with a part still to come (attendance, organizer connections and
settings may all have changed while sync was off, and none of them bumps the item's
version).

The settings handler only decides and schedules the first page; nothing in it grows
with the tenant's size. Each page task reads up to ``page_size`` items after its
cursor, schedules the next page, then one reconcile task per item that needs it.
Every task name is derived from (tenant, settings version, cursor or item key) and
the version's nonce (random, stored with the settings), so a redelivered settings
message or a retried page recreates nothing: Cloud Tasks answers ``ALREADY_EXISTS``.
A failed page is retried by Cloud Tasks and resumes at its own cursor; an item whose
lease is held answers 503 (``ItemBusy``) and is retried too, never dropped.

Whether a tenant needs a re-sync is decided from state, not from the message: the
tenant record keeps the settings its events were last re-synced to
(``resync_settings``, cleared whenever sync is turned off). A stale redelivery, or
a newer message that arrives first, therefore still starts what a lost delivery
did not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from calsync.contracts import TenantSettings
from calsync.entrypoints.services import Services
from calsync.google.cloud_tasks import task_name
from calsync.logs import get_logger
from calsync.records import ItemRecord, TenantRecord, now

__all__ = [
    "RESYNC_IGNORES",
    "Run",
    "needs_resync",
    "run_page",
    "start",
    "start_requested",
    "wants_resync",
]

_LOG = get_logger(__name__)

RESYNC_IGNORES = frozenset(
    {
        "sync_enabled",
        "domains",
        "fallback_organizer_email",
        "attendee_notifications",
        "drift_policy",
    }
)
"""Settings that never change an event already in Google: ``sync_enabled`` is handled
on its own, ``domains`` only scope the sweeper's Directory queries, and
``fallback_organizer_email`` is read only when the sweeper picks a successor,
``attendee_notifications`` only chooses ``sendUpdates`` for later writes,
``drift_policy`` only what happens after someone edits an event in Google. Every
other setting (mode, guest visibility, the admin who reaches successors, and any
setting added later) re-syncs the tenant's future events when it changes."""


def needs_resync(tenant: TenantRecord) -> bool:
    """True when the tenant's events may not reflect its current settings."""
    if not tenant.settings.sync_enabled:
        return False
    if tenant.resync_settings is None:
        return True
    return _rendered(tenant.resync_settings) != _rendered(tenant.settings)


def _rendered(settings: TenantSettings) -> dict[str, Any]:
    return settings.model_dump(exclude=set(RESYNC_IGNORES))


def start(services: Services, tenant_id: str) -> bool:
    """Start a re-sync of the tenant if its current settings need one (idempotent).

    Returns whether one was started (or found already started) for the current version.
    """
    store = services.store
    tenant = store.get_tenant(tenant_id)
    if tenant is None or not needs_resync(tenant):
        return False
    version = tenant.settings_version
    if store.has_items(tenant_id):
        run = Run(tenant_id, version, tenant.settings_nonce, services.settings.resync_page_size)
        _schedule_page(services, run, "")
    # Nothing to walk: an item recorded from now on sees the tenant and syncs itself.
    store.mark_resync(tenant_id, version)
    _LOG.info("tenant re-sync started", extra={"fields": {"settings_version": version}})
    return True


def start_requested(services: Services, tenant_id: str, nonce: str) -> Run | None:
    """A re-sync an operator asked for (``calsync resync``), whatever the settings.

    The same paced chain of named page tasks as :func:`start`, under the tenant's current
    settings version and the caller's ``nonce`` (so its task names are its own, and a
    repeated request with the same nonce recreates nothing). It does not mark the tenant
    re-synced. None, and nothing scheduled, when the tenant is unknown or sync is off
    (its first page would stop at once).
    """
    tenant = services.store.get_tenant(tenant_id)
    if tenant is None or not tenant.settings.sync_enabled:
        return None
    run = Run(tenant_id, tenant.settings_version, nonce, services.settings.resync_page_size)
    _schedule_page(services, run, "")
    _LOG.info(
        "tenant re-sync requested",
        extra={"fields": {"tenant_id": tenant_id, "settings_version": run.version}},
    )
    return run


@dataclass(frozen=True)
class Run:
    """One re-sync: the tenant and the settings version (with its nonce) it brings events to."""

    tenant_id: str
    version: int
    nonce: str
    page_size: int

    def task(self, kind: str, key: str) -> str:
        """The task name of this run's page after cursor ``key``, or of its item ``key``."""
        return task_name(f"resync-{kind}", self.tenant_id, str(self.version), self.nonce, key)


def _schedule_page(services: Services, run: Run, cursor: str) -> None:
    payload = {
        "action": "resync_page",
        "tenant_id": run.tenant_id,
        "settings_version": run.version,
        "settings_nonce": run.nonce,
        "cursor": cursor,
        "page_size": run.page_size,
    }
    services.tasks.schedule(run.task("page", cursor), payload, 0)


def wants_resync(record: ItemRecord) -> bool:
    """True for an item Google has not caught up with, or a live one with a part to come."""
    if record.needs_sync:
        return True
    if record.deleted or record.item is None:
        return False
    moment = now()
    return any(part.end > moment for part in record.item.parts)


def run_page(services: Services, run: Run, cursor: str) -> int:
    """One page of a tenant's re-sync: schedule the next page, then the page's items.

    Stops early when sync was turned off meanwhile (turning it on starts a new re-sync)
    or a re-sync for newer settings has started (it covers everything this one would).
    Returns how many item reconciles were scheduled.
    """
    store = services.store
    tenant = store.get_tenant(run.tenant_id)
    fields: dict[str, Any] = {"settings_version": run.version, "cursor": cursor}
    if tenant is None or not tenant.settings.sync_enabled or tenant.resync_version > run.version:
        _LOG.info("tenant re-sync superseded; stopping", extra={"fields": fields})
        return 0
    page = store.item_page(run.tenant_id, cursor, run.page_size)
    if len(page) == run.page_size:
        _schedule_page(services, run, page[-1][0])
    scheduled = 0
    for key, record in page:
        if record is None or not wants_resync(record):
            continue
        payload = {
            "action": "reconcile",
            "tenant_id": run.tenant_id,
            "item": record.ref.model_dump(mode="json"),
        }
        services.tasks.schedule(run.task("item", key), payload, 0)
        scheduled += 1
    _LOG.info(
        "tenant re-sync page",
        extra={"fields": {**fields, "items": len(page), "scheduled": scheduled}},
    )
    return scheduled
