"""Rooms' answers read back by two-way sync: those that come after the follow-ups (issue 15).

A room answers an invitation on its own time. After each write the rooms follow-up
(``calsync.sync.follow_ups``) reads the event again a few times, about five minutes in all; a
room that answers later was never reported. With two-way sync on, its answer changes the event,
Google notifies, and the incremental read hands the change here (``Responses.check`` calls
``RoomAnswers.check`` for every managed change).

**The same shape as the follow-up.** The answer goes out as the follow-up sends one
(``calsync.sync.part_results.amenity_results``): the part's ``synced`` result with the new
``room_responses``, and ``room_declined`` beside it when a room said no. The platform handles
one shape, whoever noticed.

**Once.** An answer is news only against the part's mapping (``room_responses``), and both the
follow-up and this check compare with it and record what they report there, each under the
item's lease. So they take turns: whoever gets the lease first reports the answer and records
it, the other finds nothing new. An in-flight follow-up chain is left alone: its next check
finds the mapping already up to date and only keeps going while Google shows a room still
pending. The check takes the item's lease like any writer of the mapping (``ItemBusy`` while a
reconcile or a follow-up holds it: the read fails and Cloud Tasks runs it again, from the same
sync token) and, under it, reads the mapping again:

- a part written since the read's snapshot (new etag, event or state) is skipped: that write
  saw the rooms later than the snapshot did, and its result and follow-ups report them;
- the result is published before the answer is recorded: a crash in between publishes it
  again on the retry (a duplicate, as anywhere in calsync), never loses it.

Only rooms calsync invited count (a room added by hand in Google is drift), and only a real
answer (``needsAction`` again means a write asked the room anew)::

    RoomAnswers(store, results).check(change)      # [synced, room_declined?] or []
"""

from __future__ import annotations

import uuid

from calsync.contracts import Result
from calsync.errors import ItemBusy, LeaseLost
from calsync.google.results_topic import ResultSink
from calsync.logs import get_logger
from calsync.records import PartMapping, now
from calsync.state.store import Fence, FirestoreStore
from calsync.sync.amenities import Amenities, late_answers, observe
from calsync.sync.calendar_changes import ManagedChange
from calsync.sync.part_results import amenity_results

__all__ = ["RoomAnswers"]

_LOG = get_logger(__name__)
_LEASE_SECONDS = 60.0
"""How long the check holds the item: two Firestore reads, a publish (30 s at most), a save."""


def _as_written(mapping: PartMapping) -> tuple[str, str, str, str, int]:
    """What a write of the part changes (an answer recorded by a follow-up does not)."""
    return (mapping.calendar_id, mapping.event_id, mapping.etag, mapping.state, mapping.generation)


class RoomAnswers:
    """Publishes rooms' answers that the follow-ups did not see, once."""

    def __init__(self, store: FirestoreStore, results: ResultSink) -> None:
        self._store = store
        self._results = results

    def check(self, change: ManagedChange) -> list[Result]:
        """Publish and record the rooms' new answers on ``change``; returns the results."""
        mapping = change.mapping
        if change.deleted or mapping.state != "synced":
            return []
        if not late_answers(mapping.room_responses, observe(change.event)):
            return []  # nothing new against the snapshot: no lease, no write
        tenant_id, item_key = change.tenant.tenant_id, change.item_key
        holder = "rooms-" + uuid.uuid4().hex
        if not self._store.acquire_lease(tenant_id, item_key, holder, _LEASE_SECONDS):
            raise ItemBusy(f"{item_key} is busy; its rooms' answers are read again later")
        try:
            return self._report(change, holder)
        finally:
            self._store.release_lease(tenant_id, item_key, holder)

    def _report(self, change: ManagedChange, holder: str) -> list[Result]:
        """Under the item's lease: compare with the mapping as it is now, publish, record."""
        tenant_id, item_key = change.tenant.tenant_id, change.item_key
        record = self._store.get_item(tenant_id, item_key)
        current = self._store.mappings(tenant_id, item_key).get(change.mapping.part_key)
        if record is None or record.deleted or current is None:
            return []
        if _as_written(current) != _as_written(change.mapping):
            return []  # written since the snapshot: that write reports the rooms
        news = late_answers(current.room_responses, observe(change.event))
        if not news:
            return []  # the follow-up, or an earlier read, reported them already
        updated = current.model_copy(
            update={"room_responses": {**current.room_responses, **news}, "updated_at": now()}
        )
        results = amenity_results(record, updated, Amenities(dict(updated.room_responses)))
        self._results.publish(results)
        if not self._store.save_mapping(
            tenant_id, item_key, updated, Fence(holder, record.successor)
        ):
            raise LeaseLost(f"{item_key}: lost while recording its rooms' answers; read again")
        _LOG.info(
            "rooms answered after the follow-ups",
            extra={"fields": {"item": item_key, "part_key": updated.part_key, "answers": news}},
        )
        return results
