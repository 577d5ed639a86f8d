"""Schedule a paced re-sync for ``calsync resync``.

A whole tenant: the first page task of :func:`calsync.entrypoints.tenant_resync.start_requested`;
each page task schedules the next and one named reconcile task per item that wants one, so the
queue's rate limits pace the writes and nothing walks the tenant inside this command. One item:
one named reconcile task. Every task name carries a fresh nonce, so an operator's request never
collides with a settings re-sync's names::

    scheduled = schedule_resync(services(), "acme")                    # the first page
    scheduled = schedule_resync(services(), "acme", "event:evt_123")   # one reconcile
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from typing import Any

from calsync.entrypoints import tenant_resync
from calsync.entrypoints.services import Services
from calsync.google.cloud_tasks import task_name

__all__ = ["ResyncRefused", "ResyncScheduled", "schedule_resync"]


class ResyncRefused(Exception):
    """Nothing was scheduled, and why (unknown tenant or item, sync off)."""


@dataclass(frozen=True)
class ResyncScheduled:
    """What was scheduled."""

    tenant_id: str
    scope: str
    """``tenant`` (a chain of page tasks) or the item's ``kind:id``."""
    task: str
    nonce: str

    def as_json(self) -> dict[str, Any]:
        """JSON-able, for ``--json``."""
        return asdict(self)


def schedule_resync(
    services: Services, tenant_id: str, item_key: str | None = None
) -> ResyncScheduled:
    """Schedule a re-sync of the tenant, or of one item; raises :class:`ResyncRefused`."""
    nonce = uuid.uuid4().hex
    if item_key is None:
        run = tenant_resync.start_requested(services, tenant_id, nonce)
        if run is None:
            raise ResyncRefused(f"tenant {tenant_id} is unknown or has sync turned off")
        return ResyncScheduled(tenant_id, "tenant", run.task("page", ""), nonce)
    tenant = services.store.get_tenant(tenant_id)
    if tenant is None or not tenant.settings.sync_enabled:
        raise ResyncRefused(f"tenant {tenant_id} is unknown or has sync turned off")
    record = services.store.get_item(tenant_id, item_key)
    if record is None:
        raise ResyncRefused(f"tenant {tenant_id} has no item {item_key}")
    name = task_name("resync-operator", tenant_id, item_key, nonce)
    payload = {
        "action": "reconcile",
        "tenant_id": tenant_id,
        "item": record.ref.model_dump(mode="json"),
    }
    services.tasks.schedule(name, payload, 0)
    return ResyncScheduled(tenant_id, item_key, name, nonce)
