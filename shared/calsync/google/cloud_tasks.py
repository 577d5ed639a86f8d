"""Cloud Tasks adapter: named, delayed HTTP tasks for coalesced and deferred work.

A task's name is derived from what it does (hashed), so scheduling the same work
twice is answered by Cloud Tasks with ``ALREADY_EXISTS``, which this adapter
reports as "already scheduled". Uses google-cloud-tasks with the REST transport
(which the local sandbox also speaks).

A task carries the trace of the request that scheduled it (``X-Calsync-Trace``), so the
lines the task logs join that request's trace: from the Pub/Sub push through every task
it leads to (``calsync.entrypoints.deferred_tasks``).
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from calsync.config import Settings
from calsync.errors import ConfigurationError, TransientError
from calsync.logs import current_trace, get_logger, is_trace_id
from calsync.records import now

if TYPE_CHECKING:
    from google.cloud import tasks_v2

__all__ = ["TRACE_HEADER", "CloudTasksScheduler", "TaskScheduler", "task_name"]

_LOG = get_logger(__name__)
TRACE_HEADER = "X-Calsync-Trace"
"""The header a task carries its scheduler's trace id in (Cloud Tasks passes it through)."""
_KNOWN_NAMES = 4096
"""Task names remembered per instance (a window's name is reused by every message in it)."""


def task_name(*parts: str) -> str:
    """A Cloud Tasks task id for the work named by ``parts`` (hashed, [a-f0-9])."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


class TaskScheduler(Protocol):
    """Schedules deferred work."""

    def schedule(self, name: str, payload: dict[str, Any], delay_seconds: float) -> bool:
        """Schedule once; False when a task of that name already exists."""


class CloudTasksScheduler:
    """HTTP tasks on one queue, all aimed at the ``reconcile`` function."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._client: tasks_v2.CloudTasksClient | None = None
        self._known: OrderedDict[str, None] = OrderedDict()  # names that surely exist

    def _tasks(self) -> tasks_v2.CloudTasksClient:
        if self._client is None:
            from google.cloud import tasks_v2

            options = {"api_endpoint": self._settings.google.tasks}
            credentials = None
            if self._settings.google.sandbox:
                from google.auth.credentials import AnonymousCredentials

                credentials = AnonymousCredentials()
            self._client = tasks_v2.CloudTasksClient(
                transport="rest", client_options=options, credentials=credentials
            )
        return self._client

    def schedule(self, name: str, payload: dict[str, Any], delay_seconds: float) -> bool:
        """Create the task ``name`` to POST ``payload`` after ``delay_seconds``.

        Names this instance already created or saw rejected are answered from memory:
        in a burst, most messages of a window skip the round trip to Cloud Tasks.
        """
        import requests
        from google.api_core import exceptions

        if name in self._known:
            return False
        from google.cloud import tasks_v2
        from google.protobuf import timestamp_pb2

        if not self._settings.tasks_url:
            raise ConfigurationError("CALSYNC_TASKS_URL is not set: nowhere to send deferred work")
        schedule_time = timestamp_pb2.Timestamp()
        schedule_time.FromDatetime(now() + timedelta(seconds=delay_seconds))
        headers = {"Content-Type": "application/json"}
        trace = current_trace()
        if is_trace_id(trace):
            headers[TRACE_HEADER] = trace
        request = tasks_v2.HttpRequest(
            http_method=tasks_v2.HttpMethod.POST,
            url=self._settings.tasks_url,
            headers=headers,
            body=json.dumps(payload).encode(),
        )
        if self._settings.tasks_service_account:
            request.oidc_token = tasks_v2.OidcToken(
                service_account_email=self._settings.tasks_service_account,
                audience=self._settings.tasks_url,
            )
        task = tasks_v2.Task(
            name=f"{self._settings.tasks_queue}/tasks/{name}",
            schedule_time=schedule_time,
            http_request=request,
        )
        try:
            self._tasks().create_task(parent=self._settings.tasks_queue, task=task)
        except exceptions.Conflict:  # ALREADY_EXISTS; REST maps every 409 to Conflict
            _LOG.info("task already scheduled", extra={"fields": {"task": name}})
            self._remember(name)
            return False
        except (exceptions.ServerError, exceptions.TooManyRequests) as exc:
            raise TransientError(f"Cloud Tasks create failed: {exc}") from exc
        except requests.RequestException as exc:  # a dropped connection (REST transport)
            raise TransientError(f"Cloud Tasks unreachable: {exc}") from exc
        self._remember(name)
        _LOG.info(
            "task scheduled",
            extra={"fields": {"task": name, "delay_seconds": delay_seconds, **payload}},
        )
        return True

    def _remember(self, name: str) -> None:
        self._known[name] = None
        while len(self._known) > _KNOWN_NAMES:
            self._known.popitem(last=False)
