"""Cloud Tasks state: queues, tasks (live and finished) and the retry policy.

A task keeps its record after it succeeds, is deleted or gives up, so tests can inspect attempts;
its name stays taken for ``task_name_retention_seconds`` of sandbox clock after it ended (about
an hour, as Google; a strictness switch), then a new task may take it::

    state.tasks["projects/p/locations/l/queues/q/tasks/t1"].attempts   # [Attempt(...), ...]
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import Any

from ..clock import rfc3339_nanos

__all__ = [
    "LIVE_STATES",
    "MAX_CONCURRENT_DISPATCHES",
    "MAX_DISPATCHES_PER_SECOND",
    "Attempt",
    "Queue",
    "RetryConfig",
    "TaskRecord",
    "TaskState",
]

# States of a task the API still shows; "succeeded", "deleted" and "exhausted" are history.
LIVE_STATES = ("scheduled", "running", "retrying")


@dataclass
class RetryConfig:
    """Dispatch retry policy (small by default so tests stay fast)."""

    max_attempts: int = 10
    min_backoff: float = 0.2
    max_backoff: float = 5.0
    max_doublings: int = 16


MAX_DISPATCHES_PER_SECOND = 500.0
"""queue.proto: ``max_dispatches_per_second`` is at most 500 (also the default)."""
MAX_CONCURRENT_DISPATCHES = 5000
"""queue.proto: ``max_concurrent_dispatches`` is at most 5,000 (default 1,000)."""


@dataclass
class Queue:
    """A Cloud Tasks queue and its rate limits (a token bucket, on the real clock).

    ``max_burst_size`` is output-only in Cloud Tasks ("picked from max_dispatches_per_second");
    the sandbox takes a fifth of the rate, at least 1 and at most 100 (100 at the default 500/s,
    as Google shows; 1 for a queue paced at a few per second, the stricter reading)."""

    name: str
    state: str = "RUNNING"
    max_dispatches_per_second: float = MAX_DISPATCHES_PER_SECOND
    max_concurrent_dispatches: int = 1000
    tokens: float = -1.0
    """Dispatches the bucket allows now (-1: full, set on first use)."""
    refilled_at: float = 0.0

    @property
    def max_burst_size(self) -> int:
        """The bucket's size."""
        return int(min(100, max(1, self.max_dispatches_per_second // 5)))

    def take_tokens(self, wanted: int, now: float) -> int:
        """Up to ``wanted`` dispatches the rate allows at ``now`` (monotonic seconds)."""
        if self.tokens < 0:
            self.tokens, self.refilled_at = float(self.max_burst_size), now
        elapsed = max(0.0, now - self.refilled_at)
        self.tokens = min(
            float(self.max_burst_size), self.tokens + elapsed * self.max_dispatches_per_second
        )
        self.refilled_at = now
        granted = min(wanted, int(self.tokens))
        self.tokens -= granted
        return granted


@dataclass
class Attempt:
    """One dispatch attempt and what came back."""

    time: dt.datetime
    status: int | None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"time": rfc3339_nanos(self.time), "status": self.status, "error": self.error}


@dataclass
class TaskRecord:
    """A task and its dispatch history."""

    name: str
    queue: str
    http_request: dict[str, Any]
    schedule_time: dt.datetime
    create_time: dt.datetime
    dispatch_deadline: str = "600s"
    state: str = "scheduled"
    next_attempt: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    attempts: list[Attempt] = field(default_factory=list)
    execution_count: int = 0
    ended_at: float | None = None
    """Sandbox-clock seconds when the task succeeded, gave up or was deleted."""

    @property
    def live(self) -> bool:
        """True while the API still shows the task."""
        return self.state in LIVE_STATES

    def as_dict(self) -> dict[str, Any]:
        """The control API's view of the task."""
        return {
            "name": self.name,
            "queue": self.queue,
            "state": self.state,
            "url": self.http_request.get("url"),
            "http_method": self.http_request.get("httpMethod", "POST"),
            "schedule_time": rfc3339_nanos(self.schedule_time),
            "attempts": len(self.attempts),
            "last_status": self.attempts[-1].status if self.attempts else None,
            "history": [a.as_dict() for a in self.attempts],
        }


class TaskState:
    """Queues, tasks and the retry policy; ``wakeup`` nudges the dispatcher."""

    def __init__(self) -> None:
        self.queues: dict[str, Queue] = {}
        self.tasks: dict[str, TaskRecord] = {}
        self.retry = RetryConfig()
        self.wakeup = threading.Event()
        self.successes = 0
        """Successful dispatches so far (every N-th is delivered twice with
        ``task_duplicate_every``)."""

    def clear(self) -> None:
        """Forget every queue and task and restore the default retry policy."""
        self.queues.clear()
        self.tasks.clear()
        self.retry = RetryConfig()
        self.successes = 0
        self.wakeup.set()

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failed attempt."""
        doublings = min(max(attempts - 1, 0), self.retry.max_doublings)
        return float(min(self.retry.min_backoff * 2**doublings, self.retry.max_backoff))
