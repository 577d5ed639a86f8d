"""Delivers due Cloud Tasks to their HTTP targets, retrying failures with backoff.

    dispatcher = Dispatcher(world, signer)
    dispatcher.start()               # background thread, wakes every ``tick`` seconds or on create
    dispatcher.run_due(include_future=True)   # deliver now and wait (handy in tests)
    dispatcher.stop()

Each attempt sends the task's ``httpRequest`` (url, method, headers, base64 body) with the headers
Cloud Tasks adds: ``X-CloudTasks-QueueName``, ``-TaskName``, ``-TaskRetryCount``,
``-TaskExecutionCount`` (earlier attempts that did not end in 5xx), ``-TaskETA`` (schedule time in
epoch seconds), ``-TaskPreviousResponse`` / ``-TaskRetryReason`` on retries, and
``User-Agent: Google-Cloud-Tasks``. An ``oidcToken`` becomes a Bearer id_token signed by the
sandbox. A 2xx ends the task; anything else (or no answer) retries after the queue's backoff
until ``max_attempts`` is reached ("exhausted"). Delivery is at least once: with the strictness
switch ``task_duplicate_every`` = N, every N-th successful delivery is sent a second time at once
(its history shows it as an attempt with error "duplicate delivery"). The background loop honours
each queue's ``rateLimits`` (``max_dispatches_per_second`` as a token bucket of
``max_burst_size``, and ``max_concurrent_dispatches`` attempts in flight); ``run_due`` does not.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

import requests

from ..clock import utcnow
from ..oauth import jwt
from ..oauth.signing_keys import Signer
from ..state.cloud_tasks import Attempt, TaskRecord
from ..state.world import World

__all__ = ["Dispatcher"]

_LOGGER = logging.getLogger(__name__)


class Dispatcher:
    """Background delivery of due tasks."""

    def __init__(self, world: World, signer: Signer, tick: float = 0.05, workers: int = 8) -> None:
        self.world = world
        self.signer = signer
        self.tick = tick
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sandbox-task")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._session = requests.Session()

    def start(self) -> None:
        """Start the background thread."""
        self._thread = threading.Thread(target=self._loop, name="sandbox-dispatcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and wait for running attempts."""
        self._stop.set()
        self.world.tasks.wakeup.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._claim_and_submit(include_future=False, paced=True)
            self.world.tasks.wakeup.wait(self.tick)
            self.world.tasks.wakeup.clear()

    def run_due(self, include_future: bool = False) -> list[str]:
        """Deliver every due task (or every live task) now and wait; return their names. Like
        Cloud Tasks' ``RunTask``, this ignores the queues' rate limits."""
        submitted = self._claim_and_submit(include_future)
        for _, future in submitted:
            future.result()
        return [name for name, _ in submitted]

    def _claim_and_submit(
        self, include_future: bool, paced: bool = False
    ) -> list[tuple[str, Future[None]]]:
        now = utcnow()
        tasks = self.world.tasks
        with self.world.lock:
            due = [
                t
                for t in tasks.tasks.values()
                if t.state in ("scheduled", "retrying")
                and (include_future or t.next_attempt <= now)
                and t.queue in tasks.queues
                and tasks.queues[t.queue].state == "RUNNING"
            ]
            if paced:
                due = self._within_rate_limits(sorted(due, key=lambda t: t.next_attempt))
            for task in due:
                task.state = "running"
        return [(task.name, self._pool.submit(self._attempt, task)) for task in due]

    def _within_rate_limits(self, due: list[TaskRecord]) -> list[TaskRecord]:
        """The due tasks each queue's rate limits let through now (token bucket, concurrency);
        the rest wait for a later turn of the loop."""
        tasks, now = self.world.tasks, time.monotonic()
        by_queue: dict[str, list[TaskRecord]] = {}
        for task in due:
            by_queue.setdefault(task.queue, []).append(task)
        allowed: list[TaskRecord] = []
        for name, waiting in by_queue.items():
            queue = tasks.queues[name]
            running = sum(
                1 for t in tasks.tasks.values() if t.queue == name and t.state == "running"
            )
            room = max(0, queue.max_concurrent_dispatches - running)
            allowed += waiting[: queue.take_tokens(min(room, len(waiting)), now)]
        return allowed

    def _headers(self, task: TaskRecord) -> dict[str, str]:
        request = task.http_request
        headers = {str(k): str(v) for k, v in (request.get("headers") or {}).items()}
        previous = task.attempts[-1] if task.attempts else None
        headers.update(
            {
                "User-Agent": "Google-Cloud-Tasks",
                "X-CloudTasks-QueueName": task.queue.rsplit("/", 1)[-1],
                "X-CloudTasks-TaskName": task.name.rsplit("/", 1)[-1],
                "X-CloudTasks-TaskRetryCount": str(len(task.attempts)),
                "X-CloudTasks-TaskExecutionCount": str(task.execution_count),
                "X-CloudTasks-TaskETA": f"{task.schedule_time.timestamp():.6f}",
            }
        )
        if previous is not None:
            headers["X-CloudTasks-TaskPreviousResponse"] = str(previous.status or 0)
            headers["X-CloudTasks-TaskRetryReason"] = previous.error or "HTTP_ERROR"
        oidc = request.get("oidcToken")
        if isinstance(oidc, dict):
            now = int(time.time())
            email = str(oidc.get("serviceAccountEmail", ""))
            claims = {
                "iss": "https://accounts.google.com",
                "aud": oidc.get("audience") or request["url"],
                "sub": email,
                "email": email,
                "email_verified": True,
                "azp": email,
                "iat": now,
                "exp": now + 3600,
            }
            token = jwt.encode(claims, self.signer.key, self.signer.kid)
            headers["Authorization"] = f"Bearer {token}"
        return headers

    def _duplicate_due(self) -> bool:
        """Count a success; True if this one is delivered twice (``task_duplicate_every``)."""
        tasks = self.world.tasks
        tasks.successes += 1
        every = self.world.strictness.task_duplicate_every
        return every > 0 and tasks.successes % every == 0

    def _attempt(self, task: TaskRecord) -> None:
        again = self._deliver(task)
        if again:
            self._deliver(task, duplicate=True)

    def _deliver(self, task: TaskRecord, duplicate: bool = False) -> bool:
        """One delivery; True if a duplicate delivery should follow (at-least-once)."""
        request = task.http_request
        with self.world.lock:
            headers = self._headers(task)
        body = base64.b64decode(request["body"]) if request.get("body") else None
        deadline = _seconds(task.dispatch_deadline)
        status: int | None = None
        error: str | None = None
        try:
            response = self._session.request(
                str(request.get("httpMethod", "POST")),
                str(request["url"]),
                headers=headers,
                data=body,
                timeout=deadline,
                allow_redirects=False,
            )
            status = response.status_code
        except requests.RequestException as exc:
            error = type(exc).__name__
            _LOGGER.info("task %s: delivery failed: %s", task.name, exc)
        again = False
        with self.world.lock:
            if duplicate:
                task.attempts.append(Attempt(utcnow(), status, error or "duplicate delivery"))
                return False
            task.attempts.append(Attempt(utcnow(), status, error))
            if status is not None and status < 500:
                task.execution_count += 1
            if task.state != "running":
                return False  # deleted while in flight
            if status is not None and 200 <= status < 300:
                task.state = "succeeded"
                task.ended_at = self.world.clock.time()
                again = self._duplicate_due()
            elif len(task.attempts) >= self.world.tasks.retry.max_attempts:
                task.state = "exhausted"
                task.ended_at = self.world.clock.time()
            else:
                task.state = "retrying"
                delay = self.world.tasks.backoff(len(task.attempts))
                task.next_attempt = utcnow() + dt.timedelta(seconds=delay)
                self.world.tasks.wakeup.set()
        return again


def _seconds(duration: str) -> float:
    try:
        return max(float(duration.rstrip("s")), 1.0)
    except ValueError:
        return 600.0
