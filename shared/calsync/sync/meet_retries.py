"""Meet retries: a part whose Meet link Google failed to create is asked for again.

Google answers a Meet ``createRequest`` asynchronously, and may answer ``failure``. The
part's mapping then says ``meet_status: failure``; a reconcile task, delayed by a growing
wait, writes the part again with a new ``requestId`` (``planning`` asks for a new Meet
whenever the one on the event failed). At most ``MAX_MEET_RETRIES`` in a row; after that
only an edit of the item asks again::

    schedule_meet_retries(store, tasks, record)   # after a reconcile or a follow-up
    needs_meet_retry(mapping)                     # the writer re-reads such a part

The task's name holds the event id, its etag as written and the retry count, so one
failure schedules one retry however many reconciles or follow-ups see it.
"""

from __future__ import annotations

from calsync.google.cloud_tasks import TaskScheduler, task_name
from calsync.logs import get_logger
from calsync.records import ItemRecord, PartMapping
from calsync.state.store import FirestoreStore

__all__ = [
    "MAX_MEET_RETRIES",
    "MEET_RETRY_SECONDS",
    "meet_retry_seconds",
    "needs_meet_retry",
    "schedule_meet_retries",
]

_LOG = get_logger(__name__)
MEET_RETRY_SECONDS = 60
"""The wait before the first retry of a failed Meet link; it doubles with each retry."""
MAX_MEET_RETRIES = 3


def meet_retry_seconds(retries: int) -> int:
    """The wait before retry number ``retries + 1`` (1 min, 2 min, 4 min)."""
    return MEET_RETRY_SECONDS << min(max(retries, 0), 8)


def needs_meet_retry(mapping: PartMapping | None) -> bool:
    """The part's Meet failed and the retries in a row are not used up."""
    return (
        mapping is not None
        and mapping.state == "synced"
        and mapping.meet_status == "failure"
        and mapping.meet_retries < MAX_MEET_RETRIES
    )


def schedule_meet_retries(
    store: FirestoreStore, tasks: TaskScheduler | None, record: ItemRecord
) -> int:
    """Schedule a delayed reconcile for the item if a part's Meet failed; returns how many
    parts wait for one."""
    if tasks is None:
        return 0
    waiting = [
        m for m in store.mappings(record.tenant_id, record.ref.key).values() if needs_meet_retry(m)
    ]
    if not waiting:
        return 0
    retries = min(m.meet_retries for m in waiting)
    name = task_name(
        "meetretry",
        record.tenant_id,
        record.ref.key,
        *sorted(f"{m.event_id}:{m.etag}:{m.meet_retries}" for m in waiting),
    )
    payload = {
        "action": "reconcile",
        "tenant_id": record.tenant_id,
        "item": record.ref.model_dump(mode="json"),
        "attempt": 0,
    }
    delay = meet_retry_seconds(retries)
    tasks.schedule(name, payload, delay)
    _LOG.info(
        "Google could not create a Meet link; asking again later",
        extra={
            "fields": {
                "tenant_id": record.tenant_id,
                "item": record.ref.key,
                "parts": sorted(m.part_key for m in waiting),
                "retry_seconds": delay,
            }
        },
    )
    return len(waiting)
