"""Re-mapping a handed-over item's parts (DESIGN §6): each part still mapped to the suspended
owner points at where it is now, or is marked to be recreated, and the item names its
successor; every move goes into the tenant's ledger::

    remap(store, tenant_id, item_key, state, report)   # ItemBusy while a reconcile holds it

``state`` is the hand-over's record (``calsync.sweeper.hand_over``): ``from``, ``to``,
``via`` (who received the Data Transfer), ``parts``, ``found`` (where the transfer put them)
and ``organizer``.
"""

from __future__ import annotations

import uuid
from typing import Any

from calsync.errors import ItemBusy
from calsync.records import LedgerEntry
from calsync.state.store import FirestoreStore
from calsync.sweeper.report import SweepReport

__all__ = ["REMAP_LEASE_SECONDS", "remap"]

REMAP_LEASE_SECONDS = 60.0
"""How long a re-map may hold the item's lease (a few Firestore writes)."""


def remap(
    store: FirestoreStore,
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
    if not store.acquire_lease(tenant_id, item_key, holder, REMAP_LEASE_SECONDS):
        raise ItemBusy(f"{item_key} is being reconciled; the hand-over re-maps it later")
    try:
        _remap_parts(store, tenant_id, item_key, state, report)
    finally:
        store.release_lease(tenant_id, item_key, holder)


def _remap_parts(
    store: FirestoreStore,
    tenant_id: str,
    item_key: str,
    state: dict[str, Any],
    report: SweepReport | None,
) -> None:
    old, successor = str(state["from"]), str(state["to"])
    receiver = str(state.get("via") or successor)
    current = store.mappings(tenant_id, item_key)
    record = store.get_item(tenant_id, item_key)
    deleted = record is not None and record.deleted
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
                (
                    "not recreated: the item is deleted"
                    if deleted
                    else "recreated under the successor"
                )
                + "; the original stays in attendees' calendars, owned by the suspended "
                "account, until an admin deletes it"
            )
            if report is not None:
                report.parts_recreated += 1
        store.save_mapping(tenant_id, item_key, moved)
        store.append_ledger(
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
    store.set_successor(tenant_id, item_key, looked_after_by, organizer=organizer)
