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

__all__ = ["LIVE_STATES", "Attempt", "Queue", "RetryConfig", "TaskRecord", "TaskState"]

# States of a task the API still shows; "succeeded", "deleted" and "exhausted" are history.
LIVE_STATES = ("scheduled", "running", "retrying")


@dataclass
class RetryConfig:
    """Dispatch retry policy (small by default so tests stay fast)."""

    max_attempts: int = 10
    min_backoff: float = 0.2
    max_backoff: float = 5.0
    max_doublings: int = 16


@dataclass
class Queue:
    """A Cloud Tasks queue."""

    name: str
    state: str = "RUNNING"


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
