"""The verification pass: two-way sync's safety net, run by Cloud Scheduler (issue 15 item 5).

    POST /verify   (the orphan_sweeper function; Cloud Scheduler, daily by default)

For every tenant with sync and two-way sync on, the pass walks the tenant's items in pages of
named Cloud Tasks (``verify_page``, run by the ``reconcile`` function), and for each item with
a future synced part asks Google for the part's event (``calsync.sync.verification``). What
notifications missed is repaired or reported as drift, exactly as if they had arrived.

Paced: each page schedules the next ``verify_page_seconds`` later, so a tenant's pass reads
about ``verify_page_size`` items' parts per interval, whatever its size, on top of the queue's
own rate limit. Resumable and idempotent: task names derive from (tenant, run, cursor), the run
from Cloud Scheduler's schedule time, so a retried page or a redelivered schedule recreates
nothing, and each page's counts are stored under the page (a retry replaces them). The last
page sums them and logs ``verification pass finished`` with how many parts were checked and
how many had drifted; every page logs its progress.

An item another worker is reconciling when its drift is to be marked is checked again by a
``verify_item`` task a few seconds later (``calsync.sync.verification.recheck_later``).
"""

from __future__ import annotations

import json
from typing import Any

from calsync.entrypoints.push import Response, trace_id
from calsync.entrypoints.services import Services
from calsync.errors import ItemBusy
from calsync.google.cloud_tasks import task_name
from calsync.logs import configure, get_logger, log_context
from calsync.records import TenantRecord, now
from calsync.state.drift_checks import PAGE_COUNTS
from calsync.sync.verification import recheck_later

__all__ = ["handle", "run_page", "start", "verifies", "verify_item"]

_LOG = get_logger(__name__)
_JSON = {"Content-Type": "application/json"}


def verifies(tenant: TenantRecord | None) -> bool:
    """True for a tenant whose events the pass checks: sync and two-way sync on."""
    return tenant is not None and tenant.settings.sync_enabled and tenant.settings.two_way_sync


def handle(request: Any, services: Services) -> Response:
    """Start a pass over every tenant that wants one (Cloud Scheduler's call)."""
    configure(services.settings.project)
    scheduled = str(request.headers.get("X-CloudScheduler-ScheduleTime", ""))
    run_id = scheduled or now().isoformat(timespec="seconds")
    with log_context(trace=trace_id(request.headers), verification_run=run_id):
        started = start(services, run_id)
    return json.dumps({"run": run_id, "tenants": started}), 200, _JSON


def start(services: Services, run_id: str) -> list[str]:
    """Schedule the first page of ``run_id`` for each tenant that wants it; their ids."""
    started = [t.tenant_id for t in services.store.tenants() if verifies(t)]
    for tenant_id in started:
        _schedule_page(services, tenant_id, run_id, "", services.settings.verify_page_size, 0)
    _LOG.info(
        "verification pass started",
        extra={"fields": {"run": run_id, "tenants": len(started)}},
    )
    return started


def _schedule_page(
    services: Services, tenant_id: str, run_id: str, cursor: str, size: int, delay: float
) -> None:
    payload = {
        "action": "verify_page",
        "tenant_id": tenant_id,
        "run": run_id,
        "cursor": cursor,
        "page_size": size,
    }
    services.tasks.schedule(task_name("verify-page", tenant_id, run_id, cursor), payload, delay)


def run_page(services: Services, tenant_id: str, run_id: str, cursor: str, size: int) -> int:
    """Check one page of the tenant's items, schedule the next; returns the parts checked."""
    store = services.store
    tenant = store.get_tenant(tenant_id)
    fields: dict[str, Any] = {"run": run_id, "cursor": cursor}
    if tenant is None or not verifies(tenant):
        _LOG.info("tenant no longer verified; pass stopped", extra={"fields": fields})
        return 0
    page = store.item_page(tenant_id, cursor, size)
    last = len(page) < size
    if not last:
        _schedule_page(
            services, tenant_id, run_id, page[-1][0], size, services.settings.verify_page_seconds
        )
    counts = dict.fromkeys(PAGE_COUNTS, 0)
    verification = services.verification  # one per page: its drift check repairs once per item
    for key, record in page:
        counts["items"] += 1
        if record is None:
            continue
        try:
            check = verification.verify_item(tenant, key, record)
        except ItemBusy:
            recheck_later(services.tasks, tenant_id, key)
            continue
        counts["checked"] += check.checked
        counts["drifted"] += check.drifted
        counts["unreachable"] += check.unreachable
    store.save_verification_page(tenant_id, run_id, cursor, counts)
    _LOG.info("verification page", extra={"fields": {**fields, **counts}})
    if last:
        totals = store.finish_verification(tenant_id, run_id)
        _LOG.info(
            "verification pass finished",
            extra={"fields": {k: v for k, v in totals.items() if k != "finished_at"}},
        )
    return counts["checked"]


def verify_item(services: Services, tenant_id: str, item_key: str) -> None:
    """Check one item now (a ``verify_item`` task: it was busy when last checked)."""
    tenant = services.store.get_tenant(tenant_id)
    record = services.store.get_item(tenant_id, item_key)
    if tenant is None or record is None or not verifies(tenant):
        return
    try:
        services.verification.verify_item(tenant, item_key, record)
    except ItemBusy:
        recheck_later(services.tasks, tenant_id, item_key)
