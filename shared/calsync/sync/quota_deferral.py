"""Quota deferral: when Google's anti-abuse limiter (``quotaExceeded``) refuses an item.

Retrying at once would meet the limiter again, so the whole item is deferred to a Cloud
Task; its version is not marked synced (Google does not reflect it), and the task
reconciles it again. Each refusal in a row waits twice as long::

    except QuotaExceeded as exc:
        result = defer_item(tasks, record, exc, deferrals)   # schedules the retry task
        # result: quota_deferred, with the wait in seconds

``deferrals`` counts the refusals so far (the retry task carries it back as ``attempt``);
``quota_retry_seconds`` is the schedule: 2 min, 4 min, 8 min, … at most 6 h.
"""

from __future__ import annotations

import uuid

from calsync.contracts import Result
from calsync.errors import QuotaExceeded, TransientError
from calsync.google.cloud_tasks import TaskScheduler, task_name
from calsync.logs import get_logger
from calsync.records import ItemRecord
from calsync.sync.part_results import quota_deferred

__all__ = ["QUOTA_RETRY_MAX_SECONDS", "QUOTA_RETRY_SECONDS", "defer_item", "quota_retry_seconds"]

_LOG = get_logger(__name__)
QUOTA_RETRY_SECONDS = 2 * 60
"""The first wait after Google's anti-abuse limiter (``quotaExceeded``) says no; it doubles
with each further refusal of the same item, up to ``QUOTA_RETRY_MAX_SECONDS``."""
QUOTA_RETRY_MAX_SECONDS = 6 * 60 * 60


def quota_retry_seconds(deferrals: int) -> int:
    """How long to wait before retrying an item Google refused ``deferrals`` times before."""
    if deferrals >= 16:  # 2 min * 2**16 is far past the cap (and keeps the shift small)
        return QUOTA_RETRY_MAX_SECONDS
    return min(QUOTA_RETRY_SECONDS << max(deferrals, 0), QUOTA_RETRY_MAX_SECONDS)


def defer_item(
    tasks: TaskScheduler | None, record: ItemRecord, exc: QuotaExceeded, deferrals: int
) -> Result:
    """Google's anti-abuse limiter said no: try the whole item again later.

    Every deferral gets a task of its own (a nonce in the name): a name derived from
    the version alone is still taken while that very task runs and meets the limiter
    again (and for about an hour after it ran), and Cloud Tasks' ALREADY_EXISTS would
    then silently drop the retry. The wait doubles with each refusal in a row.
    """
    if tasks is None:
        raise TransientError(f"quotaExceeded and no task queue to defer to: {exc}")
    delay = quota_retry_seconds(deferrals)
    name = task_name(
        "quota",
        record.tenant_id,
        record.ref.key,
        str(record.version),
        str(deferrals),
        uuid.uuid4().hex,
    )
    payload = {
        "action": "reconcile",
        "tenant_id": record.tenant_id,
        "item": record.ref.model_dump(mode="json"),
        "attempt": deferrals + 1,
    }
    tasks.schedule(name, payload, delay)
    _LOG.warning(
        "Google's usage limiter refused; the item is retried later",
        extra={
            "fields": {
                "tenant_id": record.tenant_id,
                "item": record.ref.key,
                "deferrals": deferrals + 1,
                "retry_seconds": delay,
            }
        },
    )
    return quota_deferred(record, delay)
