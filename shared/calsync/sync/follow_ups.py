"""Follow-ups: re-check rooms that have not answered and Meet links still being created.

After a write, a part whose room said ``needsAction`` or whose Meet link is
``pending`` gets a delayed Cloud Task (after 20 s, then 40 s, 60 s… at most
``MAX_FOLLOW_UPS`` times). The task reads each such event again and publishes what
changed: the room's answer (with ``room_declined`` if it said no), the Meet URL
(or ``meet_failed``, and a retry: ``calsync.sync.meet_retries``).

The tasks of one series are named by a *chain*: a digest of the pending parts' event
ids and etags as written. Every write that asks Google again for a room or a Meet link
gives its event a new etag, hence a new series, even at the same item version (a move
back to the organizer, a reconnect); a reconcile that wrote nothing finds the same
etags and the same names, which Cloud Tasks de-duplicates.
"""

from __future__ import annotations

import hashlib

from calsync.contracts import ItemRef, Result
from calsync.errors import LeaseLost
from calsync.google.cloud_tasks import TaskScheduler, task_name
from calsync.google.results_topic import ResultSink
from calsync.records import ItemRecord
from calsync.state.store import Fence, FirestoreStore
from calsync.sync.amenities import Amenities, observe
from calsync.sync.meet_retries import schedule_meet_retries
from calsync.sync.owners import Owners
from calsync.sync.part_results import amenity_results

__all__ = ["FOLLOW_UP_SECONDS", "MAX_FOLLOW_UPS", "FollowUps", "amenity_fields"]

FOLLOW_UP_SECONDS = 20.0
"""First re-check of unanswered rooms and pending Meet links (then 40 s, 60 s, …)."""
MAX_FOLLOW_UPS = 5


def amenity_fields(seen: Amenities) -> dict[str, object]:
    """The mapping fields that remember what Google said about rooms and Meet."""
    return {
        "meet_url": seen.meet_url,
        "meet_status": seen.meet_status,
        "room_responses": dict(seen.room_responses),
    }


class FollowUps:
    """Schedules and runs the re-checks of one item."""

    def __init__(
        self, store: FirestoreStore, results: ResultSink, tasks: TaskScheduler | None
    ) -> None:
        self._store = store
        self._results = results
        self._tasks = tasks

    def schedule(self, record: ItemRecord, attempt: int, chain: str = "") -> None:
        """Queue re-check number ``attempt`` of the item (none past ``MAX_FOLLOW_UPS``).

        ``chain`` names the series; empty starts one for the writes now on record.
        """
        if self._tasks is None or attempt >= MAX_FOLLOW_UPS:
            return
        chain = chain or self._chain(record)
        name = task_name("followup", record.tenant_id, record.ref.key, chain, str(attempt))
        payload = {
            "action": "followup",
            "tenant_id": record.tenant_id,
            "item": record.ref.model_dump(mode="json"),
            "attempt": attempt,
            "chain": chain,
        }
        self._tasks.schedule(name, payload, FOLLOW_UP_SECONDS * (attempt + 1))

    def _chain(self, record: ItemRecord) -> str:
        """A digest of the pending parts' (part, event id, etag) as last written."""
        pending = sorted(
            (m.part_key, m.event_id, m.etag)
            for m in self._store.mappings(record.tenant_id, record.ref.key).values()
            if m.state == "synced"
            and Amenities(dict(m.room_responses), m.meet_status, m.meet_url).pending
        )
        material = "\x1f".join("\x1e".join(entry) for entry in pending)
        return hashlib.sha256(material.encode()).hexdigest()[:32]

    def run(
        self, owners: Owners, ref: ItemRef, attempt: int, chain: str = "", holder: str = ""
    ) -> list[Result]:
        """Read the item's pending parts again; publish and remember what changed.

        ``holder`` is the caller's item lease: mappings are saved only while it holds.
        """
        tenant_id = owners.tenant.tenant_id
        record = self._store.get_item(tenant_id, ref.key)
        if record is None or record.deleted:
            return []
        fence = Fence(holder, record.successor) if holder else None
        results: list[Result] = []
        still_pending = False
        for mapping in self._store.mappings(tenant_id, ref.key).values():
            if mapping.state != "synced" or not (mapping.meet_status or mapping.room_responses):
                continue
            owner = owners.for_mapping(mapping)
            if owner is None:
                continue
            seen = observe(owner.gateway.get_event(mapping.calendar_id, mapping.event_id))
            updated = mapping.model_copy(update=amenity_fields(seen))
            if seen.meet_status == "success":
                updated = updated.model_copy(update={"meet_retries": 0})
            if updated != mapping:
                if not self._store.save_mapping(tenant_id, ref.key, updated, fence):
                    raise LeaseLost(f"{ref.key}: lease lost during a follow-up; retried later")
                results += amenity_results(record, updated, seen)
            still_pending = still_pending or seen.pending
        self._results.publish(results)
        if still_pending:
            self.schedule(record, attempt + 1, chain)
        schedule_meet_retries(self._store, self._tasks, record)
        return results
