"""Handle ``enrollment.changed``: record attendance, then coalesce the Google writes.

Attendance is recorded per (item, email) with its version, latest version wins.
Then, instead of writing to Google for every person, one named, delayed Cloud
Task per item and time window (``CALSYNC_COALESCE_SECONDS``) reconciles the item
once for the whole burst. The task's name is derived from tenant, item and
window, so every message in the window schedules the same task and Cloud Tasks
answers the rest with ``ALREADY_EXISTS``.

Why no enrollment is missed: the window is read from Firestore's clock, as the
server time of a read made *after* the attendance commit, and a window's task is
scheduled for an absolute time after the window has ended, so every commit that
picked window *w* is visible to *w*'s reconcile. The instance's own clock only
converts that absolute time into a delay and cancels out, so an instance whose
clock is off by more than the margin can neither pick a window whose task already
ran nor schedule a task before its window ends. A commit during a reconcile picks
a later window and schedules that window's task; overlapping reconciles of one
item are prevented by the item lease. The same read, made after the commit, is
what decides whether the item is deleted: a re-creation committed after it
reconciles with this attendance already visible.

With ``CALSYNC_COALESCE_SECONDS=0`` every message reconciles at once (the naive
baseline the enrollment benchmark compares against).
"""

from __future__ import annotations

import math
import time

from calsync.contracts import EnrollmentChanged, EnrollmentMessage, Result, ResultStatus
from calsync.entrypoints.platform_events import Outcome, parse_message, reject
from calsync.entrypoints.services import Services
from calsync.errors import BadInput
from calsync.google.cloud_tasks import task_name
from calsync.logs import get_logger, log_context
from calsync.records import now

__all__ = ["MAX_ENROLLMENT_MESSAGE_BYTES", "handle_enrollment", "parse_enrollment", "window_of"]

_LOG = get_logger(__name__)
MAX_ENROLLMENT_MESSAGE_BYTES = 2 * 1024 * 1024
"""Largest message accepted: 10,000 changes of realistic addresses fit comfortably."""
WINDOW_MARGIN_SECONDS = 1.0
"""Extra delay after a window ends, covering skew between Firestore's and Cloud Tasks' clocks
(both Google's; instances' own clocks do not matter)."""


def parse_enrollment(data: bytes) -> EnrollmentChanged:
    """An ``enrollment.changed`` message, or ``BadInput`` naming the problem."""
    return parse_message(data, EnrollmentMessage, MAX_ENROLLMENT_MESSAGE_BYTES)


def window_of(timestamp: float, window_seconds: float) -> tuple[int, float]:
    """(window index, epoch seconds at which that window's task should run)."""
    index = math.floor(timestamp / window_seconds)
    return index, (index + 1) * window_seconds + WINDOW_MARGIN_SECONDS


def handle_enrollment(services: Services, data: bytes) -> Outcome:
    """Handle one ``platform-enrollments`` message body."""
    try:
        message = parse_enrollment(data)
    except BadInput as error:
        return reject(services, data, error)
    ref = message.item
    with log_context(tenant_id=message.tenant_id, item=ref.key, message_type=message.type):
        store = services.store
        tally = store.record_attendance(message.tenant_id, ref, list(message.changes))
        _LOG.info(
            "attendance recorded",
            extra={
                "fields": {
                    "changes": len(message.changes),
                    "applied": tally.applied,
                    "stale": tally.stale,
                }
            },
        )
        if store.get_tenant(message.tenant_id) is None:
            return reject(
                services,
                data,
                BadInput(
                    "unknown_tenant",
                    f"tenant {message.tenant_id!r} has no settings; the enrollments are kept and "
                    "will sync if the tenant's settings arrive",
                ),
                ref,
            )
        record = tally.item
        if record.deleted:
            _LOG.info("enrollment for a deleted item ignored")
            services.results.publish(
                [
                    Result(
                        tenant_id=message.tenant_id,
                        item=ref,
                        status=ResultStatus.SKIPPED,
                        source_version=record.version,
                        error_code="item_deleted",
                        error_message="the item is deleted; enrollments are kept, not synced",
                        at=now(),
                    )
                ]
            )
            return Outcome.ACK
        window_seconds = services.settings.coalesce_seconds
        if window_seconds <= 0:
            services.reconciler.reconcile(message.tenant_id, ref)
            return Outcome.ACK
        index, run_at = window_of(tally.as_of.timestamp(), window_seconds)
        delay = run_at - time.time()  # the scheduler adds it back to this same clock
        name = task_name("flush", message.tenant_id, ref.key, str(index))
        payload = {
            "action": "reconcile",
            "tenant_id": message.tenant_id,
            "item": ref.model_dump(mode="json"),
        }
        services.tasks.schedule(name, payload, delay)
        return Outcome.ACK
