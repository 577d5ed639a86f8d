"""Check an item's future parts against Google (two-way sync's safety net, issue 15 item 5).

Push notifications can be lost: a channel expires unrenewed, Google drops a message, the
function is down longer than Google retries. ``Verification.verify_item`` reads each future
synced part's event from Google (``events.get`` as whoever holds it) and hands it on exactly
as the incremental read does (``calsync.sync.calendar_changes.ManagedChange``): answers are
published and drift repaired or reported per the tenant's ``drift_policy``. An event Google no
longer has counts as deleted. The verification pass (``calsync.entrypoints.verification_pass``)
walks a tenant's items with it, page by page::

    verification = Verification(store, platform_gateway, organizers, on_change)
    counts = verification.verify_item(tenant, item_key, record)   # ItemCheck(checked=2, ...)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from calsync.contracts import ItemRef
from calsync.errors import InvalidGrant, ItemBusy
from calsync.google.cloud_tasks import TaskScheduler, task_name
from calsync.logs import get_logger
from calsync.records import ItemRecord, TenantRecord, now
from calsync.state.store import FirestoreStore
from calsync.sync.calendar_changes import ManagedChange
from calsync.sync.owners import OrganizerAccess, Owners, PlatformGateways

__all__ = ["RECHECK_SECONDS", "ItemCheck", "Verification", "recheck_later"]

_LOG = get_logger(__name__)
RECHECK_SECONDS = 5.0
"""How long an item whose drift could not be marked (busy) waits before it is checked again."""


def recheck_later(tasks: TaskScheduler, tenant_id: str, item_key: str) -> None:
    """Have the item checked against Google again shortly: a reconcile held it, or saved the
    part, while its drift was being marked (a ``verify_item`` task).

    Coalesced: the task is named after the item and the next ``RECHECK_SECONDS`` window and
    runs when that window has ended, so every recheck asked for within one window is one task
    (Cloud Tasks answers the others ``ALREADY_EXISTS``), and a window's task can only have run
    once the window is over, when no one names it any more. A drift a lost recheck would miss
    is still found by the next change of the event or by the nightly verification pass."""
    moment = now().timestamp()
    window = int(moment // RECHECK_SECONDS) + 1
    scheduled = tasks.schedule(
        task_name("verify-item", tenant_id, item_key, str(window)),
        {
            "action": "verify_item",
            "tenant_id": tenant_id,
            "item": ItemRef.from_key(item_key).model_dump(mode="json"),
        },
        window * RECHECK_SECONDS - moment + 1.0,
    )
    if scheduled:
        _LOG.info(
            "item busy; its drift is checked again shortly", extra={"fields": {"item": item_key}}
        )


@dataclass(frozen=True)
class ItemCheck:
    """What checking one item found."""

    checked: int = 0
    drifted: int = 0
    unreachable: int = 0


class Verification:
    """Compares mapped future parts with Google's events."""

    def __init__(
        self,
        store: FirestoreStore,
        platform_gateway: PlatformGateways,
        organizers: OrganizerAccess | None,
        on_change: Callable[[ManagedChange], Sequence[str]],
    ) -> None:
        self._store = store
        self._platform_gateway = platform_gateway
        self._organizers = organizers
        self._on_change = on_change

    def verify_item(self, tenant: TenantRecord, item_key: str, record: ItemRecord) -> ItemCheck:
        """Check every future synced part of the item (``on_change`` repairs or reports).

        ``ItemBusy`` while a reconcile holds the item: it reads Google itself, and reading
        every part now would only find drift it is about to put back (the caller checks the
        item again later, ``recheck_later``)."""
        if record.deleted or record.item is None:
            return ItemCheck()
        if self._store.lease_held(tenant.tenant_id, item_key):
            raise ItemBusy(f"{item_key} is being reconciled; checked again later")
        owners = Owners(
            self._store, tenant, self._platform_gateway, self._organizers, record.successor
        )
        moment = now()
        checked = drifted = unreachable = 0
        for mapping in self._store.mappings(tenant.tenant_id, item_key).values():
            if mapping.state != "synced" or mapping.ends_at is None or mapping.ends_at < moment:
                continue
            try:
                owner = owners.for_mapping(mapping)
                event = (
                    owner.gateway.get_event(mapping.calendar_id, mapping.event_id)
                    if owner is not None
                    else None
                )
            except InvalidGrant:
                owner = None  # the reconcile that next writes as them marks the grant
            if owner is None:
                unreachable += 1
                _LOG.info(
                    "a part's owner is out of reach; not verified",
                    extra={"fields": {"item": item_key, "part_key": mapping.part_key}},
                )
                continue
            if event is None:  # Google has no such event any more: as good as deleted
                event = {"id": mapping.event_id, "status": "cancelled"}
            checked += 1
            if self._on_change(ManagedChange(tenant, owner, item_key, mapping, event)):
                drifted += 1
        return ItemCheck(checked, drifted, unreachable)
