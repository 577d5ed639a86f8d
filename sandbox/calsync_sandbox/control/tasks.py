"""Control calls for Cloud Tasks: queues, the tasks' history, the retry policy, delivery now.

    POST /_sandbox/queues     {"name": "projects/p/locations/l/queues/q"}   ctl.create_queue(name)
    POST /_sandbox/tasks/run  {"include_future": false}                     ctl.run_tasks()

:class:`TaskRoutes` answers the routes in the sandbox; :class:`TaskCalls` is the client side,
part of :class:`~calsync_sandbox.control.client.SandboxControl`.
"""

from __future__ import annotations

from typing import Any

from ..state.cloud_tasks import Queue, RetryConfig
from ..state.world import World
from ..tasks.dispatcher import Dispatcher
from .routes import JSON, Route, need
from .transport import ControlTransport

__all__ = ["TaskCalls", "TaskRoutes"]


class TaskRoutes:
    """Queues, tasks, the retry policy and delivering due tasks now."""

    def __init__(self, world: World, dispatcher: Dispatcher) -> None:
        self.world = world
        self.dispatcher = dispatcher

    def routes(self) -> list[Route]:
        """The routes this group answers."""
        return [
            Route("POST", "/_sandbox/queues", self.add_queue),
            Route("GET", "/_sandbox/tasks", self.tasks),
            Route("POST", "/_sandbox/tasks/retry-config", self.retry_config),
            # Deliveries call back into the sandbox, so this one runs without the lock.
            Route("POST", "/_sandbox/tasks/run", self.run_tasks, under_lock=False),
        ]

    def add_queue(self, body: JSON) -> JSON:
        name = str(need(body, "name"))
        self.world.tasks.queues.setdefault(name, Queue(name))
        return {"name": name}

    def tasks(self, body: JSON) -> JSON:
        queue = body.get("queue")
        return {
            "tasks": [
                t.as_dict()
                for t in self.world.tasks.tasks.values()
                if queue is None or t.queue == queue
            ]
        }

    def retry_config(self, body: JSON) -> JSON:
        current = vars(self.world.tasks.retry)
        config = RetryConfig(**{k: body.get(k, v) for k, v in current.items()})
        self.world.tasks.retry = config
        return vars(config)

    def run_tasks(self, body: JSON) -> JSON:
        names = self.dispatcher.run_due(bool(body.get("include_future", False)))
        return {"ran": names}


class TaskCalls(ControlTransport):
    """Queues, tasks, the retry policy and delivering due tasks now."""

    def create_queue(self, name: str) -> None:
        """Create a Cloud Tasks queue (``projects/P/locations/L/queues/Q``) if missing."""
        self._call("POST", "queues", {"name": name})

    def tasks(self, queue: str | None = None) -> list[dict[str, Any]]:
        """Every task ever created (state, attempts, last status), optionally for one queue."""
        return list(self._call("GET", "tasks", params={"queue": queue} if queue else None)["tasks"])

    def set_retry_config(
        self,
        *,
        max_attempts: int | None = None,
        min_backoff: float | None = None,
        max_backoff: float | None = None,
        max_doublings: int | None = None,
    ) -> dict[str, Any]:
        """Change the dispatch retry policy (unset values keep their current setting)."""
        body = {
            k: v
            for k, v in (
                ("max_attempts", max_attempts),
                ("min_backoff", min_backoff),
                ("max_backoff", max_backoff),
                ("max_doublings", max_doublings),
            )
            if v is not None
        }
        return self._call("POST", "tasks/retry-config", body)

    def run_tasks(self, include_future: bool = False) -> list[str]:
        """Deliver due tasks now (or all live tasks) and wait; returns the task names."""
        return list(self._call("POST", "tasks/run", {"include_future": include_future})["ran"])
