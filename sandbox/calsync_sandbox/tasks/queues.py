"""Cloud Tasks v2 over REST: queues create/get/list/delete/patch, tasks create/get/list/delete/run.

Answers are proto3 JSON (what the GAPIC REST transport parses) and errors use the gRPC-transcoded
body ``{"error": {"code", "message", "status"}}``:

- a task on a queue that does not exist: 404 ``NOT_FOUND``;
- a task name that exists, or existed until less than ``task_name_retention_seconds`` (a
  strictness switch, default 3600: Google keeps names for about an hour) of sandbox clock ago
  (dispatched, deleted or given up): 409 ``ALREADY_EXISTS``; after that the name is free again.
  Note: google-api-core maps an HTTP 409 to ``google.api_core.exceptions.Conflict`` (the
  parent of ``AlreadyExists``), so REST callers must catch ``Conflict``;
- task ids are ``[A-Za-z0-9_-]{1,500}``; ``scheduleTime`` at most 30 days ahead;
- a task over 100 KB (its JSON as sent) is 400 ``INVALID_ARGUMENT``: the ``CreateTaskRequest``
  reference gives 100 KB, the quotas page 1 MB; the sandbox takes the stricter figure (always).

- a queue's ``rateLimits`` (``maxDispatchesPerSecond`` up to 500, ``maxConcurrentDispatches`` up
  to 5,000; 400 ``INVALID_ARGUMENT`` outside) are set at creation or by ``queues.patch`` and
  honoured by the dispatcher; ``tasks.run`` (``RunTask``) dispatches at once, ignoring them, as
  Google documents.

Only HTTP targets (``httpRequest``) are supported. The dispatcher
(:mod:`calsync_sandbox.tasks.dispatcher`) sends due tasks.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from typing import Any

from ..clock import parse_rfc3339, rfc3339_nanos, utcnow
from ..errors import ApiError
from ..gateway.calls import Call, Handler, Reply
from ..gateway.paging import page
from ..state.cloud_tasks import (
    MAX_CONCURRENT_DISPATCHES,
    MAX_DISPATCHES_PER_SECOND,
    Queue,
    TaskRecord,
    TaskState,
)

__all__ = ["HANDLERS", "MAX_TASK_BYTES", "queue_resource", "task_resource"]

MAX_TASK_BYTES = 100 * 1024

_TASK_NAME = re.compile(
    r"(projects/[^/]+/locations/[^/]+/queues/[^/]+)/tasks/([A-Za-z0-9_-]{1,500})"
)
_QUEUE_NAME = re.compile(r"(projects/[^/]+/locations/[^/]+)/queues/([A-Za-z0-9-]{1,100})")
_MAX_AHEAD = dt.timedelta(days=30)
# gRPC code numbers reported in Attempt.responseStatus, from the HTTP status of the target.
_HTTP_TO_GRPC = {
    400: 3,
    401: 16,
    403: 7,
    404: 5,
    409: 10,
    429: 8,
    499: 1,
    500: 13,
    501: 12,
    503: 14,
    504: 4,
}


def _error(code: int, message: str, status: str | None = None) -> ApiError:
    return ApiError(code, "", message, status=status, grpc_style=True)


def queue_resource(queue: Queue, state: TaskState) -> dict[str, Any]:
    """The Queue message."""
    retry = state.retry
    return {
        "name": queue.name,
        "state": queue.state,
        "rateLimits": {
            "maxDispatchesPerSecond": queue.max_dispatches_per_second,
            "maxBurstSize": queue.max_burst_size,
            "maxConcurrentDispatches": queue.max_concurrent_dispatches,
        },
        "retryConfig": {
            "maxAttempts": retry.max_attempts,
            "minBackoff": f"{retry.min_backoff}s",
            "maxBackoff": f"{retry.max_backoff}s",
            "maxDoublings": retry.max_doublings,
        },
    }


def _attempt_resource(task: TaskRecord, index: int) -> dict[str, Any]:
    attempt = task.attempts[index]
    out: dict[str, Any] = {
        "scheduleTime": rfc3339_nanos(task.schedule_time),
        "dispatchTime": rfc3339_nanos(attempt.time),
    }
    if attempt.status is not None:
        out["responseTime"] = rfc3339_nanos(attempt.time)
        if not 200 <= attempt.status < 300:
            out["responseStatus"] = {
                "code": _HTTP_TO_GRPC.get(attempt.status, 2),
                "message": f"HTTP status code {attempt.status}",
            }
    return out


def task_resource(task: TaskRecord, view: str | None) -> dict[str, Any]:
    """The Task message; the BASIC view (default) leaves out the body."""
    request = dict(task.http_request)
    if view != "FULL":
        request.pop("body", None)
    out: dict[str, Any] = {
        "name": task.name,
        "httpRequest": request,
        "scheduleTime": rfc3339_nanos(task.schedule_time),
        "createTime": rfc3339_nanos(task.create_time),
        "dispatchDeadline": task.dispatch_deadline,
        "dispatchCount": len(task.attempts),
        "responseCount": sum(1 for a in task.attempts if a.status is not None),
        "view": "FULL" if view == "FULL" else "BASIC",
    }
    if task.attempts:
        out["firstAttempt"] = _attempt_resource(task, 0)
        out["lastAttempt"] = _attempt_resource(task, -1)
    return out


def _queue(state: TaskState, name: str) -> Queue:
    queue = state.queues.get(name)
    if queue is None:
        raise _error(
            404,
            "Queue does not exist. If you just created the queue, wait at least a "
            "minute for the queue to initialize.",
        )
    return queue


def _create_queue(call: Call) -> Reply:
    state = call.world.tasks
    parent = call.params.required("parent")
    name = str(call.body.get("name") or "")
    found = _QUEUE_NAME.fullmatch(name)
    if not found or found.group(1) != parent:
        raise _error(400, f"Invalid queue name '{name}' for parent '{parent}'.")
    if name in state.queues:
        raise _error(409, "Queue already exists", "ALREADY_EXISTS")
    queue = Queue(name)
    _apply_rate_limits(queue, call.body.get("rateLimits") or {})
    state.queues[name] = queue
    return Reply(200, queue_resource(queue, state))


def _apply_rate_limits(queue: Queue, limits: dict[str, Any]) -> None:
    """Set the queue's rate limits from a ``RateLimits`` message (400 when out of range)."""
    rate = limits.get("maxDispatchesPerSecond")
    concurrent = limits.get("maxConcurrentDispatches")
    if rate is not None:
        rate = float(rate)
        if not 0 < rate <= MAX_DISPATCHES_PER_SECOND:
            raise _error(
                400,
                f"max_dispatches_per_second must be in (0, {MAX_DISPATCHES_PER_SECOND:g}].",
                "INVALID_ARGUMENT",
            )
    if concurrent is not None:
        concurrent = int(concurrent)
        if not 1 <= concurrent <= MAX_CONCURRENT_DISPATCHES:
            raise _error(
                400,
                f"max_concurrent_dispatches must be in [1, {MAX_CONCURRENT_DISPATCHES}].",
                "INVALID_ARGUMENT",
            )
    if rate is not None:
        queue.max_dispatches_per_second, queue.tokens = rate, -1.0
    if concurrent is not None:
        queue.max_concurrent_dispatches = concurrent


def _patch_queue(call: Call) -> Reply:
    """queues.patch: only ``rateLimits`` fields are supported (the others are 400)."""
    state = call.world.tasks
    queue = _queue(state, call.params.required("name"))
    mask = [f for f in (call.params.string("updateMask") or "").split(",") if f]
    unsupported = [f for f in mask if not f.startswith("rateLimits")]
    if unsupported:
        raise _error(400, f"The sandbox cannot patch {', '.join(unsupported)}.", "INVALID_ARGUMENT")
    limits = dict(call.body.get("rateLimits") or {})
    if mask and "rateLimits" not in mask:
        fields = {f.split(".", 1)[1] for f in mask if "." in f}
        limits = {k: v for k, v in limits.items() if k in fields}
    _apply_rate_limits(queue, limits)
    return Reply(200, queue_resource(queue, state))


def _get_queue(call: Call) -> Reply:
    state = call.world.tasks
    return Reply(200, queue_resource(_queue(state, call.params.required("name")), state))


def _list_queues(call: Call) -> Reply:
    state = call.world.tasks
    prefix = call.params.required("parent") + "/queues/"
    queues = sorted(
        (q for q in state.queues.values() if q.name.startswith(prefix)), key=lambda q: q.name
    )
    items, token = page(
        queues,
        call.params.string("pageToken"),
        call.params.integer("pageSize"),
        default=100,
        limit=9800,
        grpc_style=True,
    )
    body: dict[str, Any] = {"queues": [queue_resource(q, state) for q in items]}
    if token:
        body["nextPageToken"] = token
    return Reply(200, body)


def _delete_queue(call: Call) -> Reply:
    state = call.world.tasks
    queue = _queue(state, call.params.required("name"))
    del state.queues[queue.name]
    for task in state.tasks.values():
        if task.queue == queue.name and task.live:
            task.state = "deleted"
    return Reply(200, {})


def _create_task(call: Call) -> Reply:
    state = call.world.tasks
    parent = call.params.required("parent")
    _queue(state, parent)
    task = call.body.get("task") or {}
    name = str(task.get("name") or f"{parent}/tasks/{secrets.randbelow(10**19)}")
    found = _TASK_NAME.fullmatch(name)
    if not found or found.group(1) != parent:
        raise _error(400, f"Task name '{name}' is not a valid task name under '{parent}'.")
    if _name_taken(call, state.tasks.get(name)):
        raise _error(409, "Requested entity already exists", "ALREADY_EXISTS")
    if len(json.dumps(task).encode()) > MAX_TASK_BYTES:
        raise _error(400, f"Task size too large: the maximum is {MAX_TASK_BYTES} bytes.")
    request = dict(task.get("httpRequest") or {})
    if not request.get("url"):
        raise _error(400, "Only HTTP targets with httpRequest.url are supported by the sandbox.")
    request.setdefault("httpMethod", "POST")
    now = utcnow()
    when = parse_rfc3339(str(task["scheduleTime"])) if task.get("scheduleTime") else now
    if when is None or when.tzinfo is None:
        raise _error(400, "Invalid scheduleTime.")
    if when > now + _MAX_AHEAD:
        raise _error(400, "Task.scheduleTime must be at most 30 days in the future.")
    record = TaskRecord(
        name=name,
        queue=parent,
        http_request=request,
        schedule_time=when,
        create_time=now,
        dispatch_deadline=str(task.get("dispatchDeadline") or "600s"),
        next_attempt=when,
    )
    state.tasks[name] = record
    state.wakeup.set()
    return Reply(200, task_resource(record, call.body.get("responseView")))


def _name_taken(call: Call, old: TaskRecord | None) -> bool:
    if old is None:
        return False
    if old.live or old.ended_at is None:
        return True
    retention = call.world.strictness.task_name_retention_seconds
    return call.world.clock.time() < old.ended_at + retention


def _live_task(state: TaskState, name: str) -> TaskRecord:
    task = state.tasks.get(name)
    if task is None or not task.live:
        raise _error(
            404,
            "The task no longer exists, though a task with this name existed "
            "recently. The task either successfully completed or was deleted."
            if task
            else "Requested entity was not found.",
        )
    return task


def _get_task(call: Call) -> Reply:
    task = _live_task(call.world.tasks, call.params.required("name"))
    return Reply(200, task_resource(task, call.params.string("responseView")))


def _list_tasks(call: Call) -> Reply:
    state = call.world.tasks
    parent = call.params.required("parent")
    _queue(state, parent)
    tasks = sorted(
        (t for t in state.tasks.values() if t.queue == parent and t.live),
        key=lambda t: (t.schedule_time, t.name),
    )
    items, token = page(
        tasks,
        call.params.string("pageToken"),
        call.params.integer("pageSize"),
        default=1000,
        limit=1000,
        grpc_style=True,
    )
    view = call.params.string("responseView")
    body: dict[str, Any] = {"tasks": [task_resource(t, view) for t in items]}
    if token:
        body["nextPageToken"] = token
    return Reply(200, body)


def _delete_task(call: Call) -> Reply:
    task = _live_task(call.world.tasks, call.params.required("name"))
    task.state = "deleted"
    task.ended_at = call.world.clock.time()
    return Reply(200, {})


def _run_task(call: Call) -> Reply:
    state = call.world.tasks
    task = _live_task(state, call.params.required("name"))
    task.next_attempt = utcnow()
    state.wakeup.set()
    return Reply(200, task_resource(task, call.body.get("responseView")))


HANDLERS: dict[str, Handler] = {
    "cloudtasks.projects.locations.queues.create": _create_queue,
    "cloudtasks.projects.locations.queues.get": _get_queue,
    "cloudtasks.projects.locations.queues.list": _list_queues,
    "cloudtasks.projects.locations.queues.delete": _delete_queue,
    "cloudtasks.projects.locations.queues.patch": _patch_queue,
    "cloudtasks.projects.locations.queues.tasks.create": _create_task,
    "cloudtasks.projects.locations.queues.tasks.get": _get_task,
    "cloudtasks.projects.locations.queues.tasks.list": _list_tasks,
    "cloudtasks.projects.locations.queues.tasks.delete": _delete_task,
    "cloudtasks.projects.locations.queues.tasks.run": _run_task,
}
