"""Operator signals (issue 16, item 6): the log lines terraform/monitoring.tf counts, and one
trace from a Pub/Sub push through every Cloud Task it leads to (docs/operations.md)."""

from __future__ import annotations

import base64
import io
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import replace
from types import SimpleNamespace
from typing import Any, cast

import pytest

from calsync.config import get_settings
from calsync.entrypoints.deferred_tasks import cloud_task
from calsync.entrypoints.platform_events import Outcome
from calsync.entrypoints.push import NOT_ACKNOWLEDGED, pubsub_push
from calsync.entrypoints.services import Services
from calsync.errors import TransientError
from calsync.google.cloud_tasks import TRACE_HEADER, CloudTasksScheduler
from calsync.logs import JsonFormatter, current_trace, get_logger, is_trace_id, log_context

PROJECT = "calsync-test"
TRACE = "0af7651916cd43dd8448eb211c80319c"
OTHER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
LogLines = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def log_lines() -> Iterator[LogLines]:
    """Every line calsync logs while the test runs, as Cloud Logging would receive it."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter(PROJECT))
    logger = logging.getLogger("calsync")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines() if line]
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


class Request:
    """The part of a flask request calsync's entry points read."""

    def __init__(self, body: Any, headers: dict[str, str] | None = None) -> None:
        self._body = body
        self.headers = headers or {}

    def get_json(self, silent: bool = False) -> Any:
        return self._body

    def get_data(self) -> bytes:
        return json.dumps(self._body).encode()


def push(attempt: int | None = None, trace: str = TRACE) -> Request:
    """A Pub/Sub push request, with ``deliveryAttempt`` when the subscription dead-letters."""
    envelope: dict[str, Any] = {
        "message": {"data": base64.b64encode(b"{}").decode(), "messageId": "m-1"},
        "subscription": "projects/p/subscriptions/on-event-change-push",
    }
    if attempt is not None:
        envelope["deliveryAttempt"] = attempt
    return Request(envelope, {"X-Cloud-Trace-Context": f"{trace}/1;o=1"})


class Tasks:
    """Cloud Tasks' client: keeps the tasks created."""

    def __init__(self) -> None:
        self.created: list[Any] = []

    def create_task(self, parent: str, task: Any) -> Any:
        self.created.append(task)
        return task


def scheduler() -> tuple[CloudTasksScheduler, Tasks]:
    """calsync's task scheduler on a client that keeps what it is asked to create."""
    settings = replace(
        get_settings(),
        tasks_queue="projects/p/locations/l/queues/q",
        tasks_url="https://reconcile.test/",
        tasks_service_account="",
    )
    tasks = Tasks()
    scheduling = CloudTasksScheduler(settings)
    scheduling._client = cast(Any, tasks)
    return scheduling, tasks


# ---- dead-lettered messages -------------------------------------------------------------


def _retry(data: bytes) -> Outcome:
    return Outcome.RETRY


def _transient(data: bytes) -> Outcome:
    raise TransientError("Firestore is away")


def _bug(data: bytes) -> Outcome:
    raise RuntimeError("bug")


@pytest.mark.parametrize(
    ("handler", "status"),
    [(_retry, 503), (_transient, 503), (_bug, 500)],
    ids=["retry", "transient", "unexpected"],
)
def test_a_push_not_acknowledged_logs_one_line_with_its_delivery_attempt(
    log_lines: LogLines, handler: Callable[[bytes], Outcome], status: int
) -> None:
    """Whatever made calsync refuse the push, one line says so with Pub/Sub's attempt
    number: on the last attempt (max_delivery_attempts) it counts a dead-lettered message."""
    body, answered, _ = pubsub_push(push(attempt=10), handler, PROJECT)
    assert answered == status
    refused = [line for line in log_lines() if line["message"] == NOT_ACKNOWLEDGED]
    assert len(refused) == 1, log_lines()
    line = refused[0]
    assert line["severity"] == "WARNING"
    assert line["delivery_attempt"] == 10
    assert line["http_status"] == status
    assert line["message_id"] == "m-1"
    assert line["logging.googleapis.com/trace"] == f"projects/{PROJECT}/traces/{TRACE}"
    assert json.loads(body)["outcome"] == "retry"


def test_an_acknowledged_push_logs_no_refusal_and_the_attempt_is_zero_without_one(
    log_lines: LogLines,
) -> None:
    """A 2xx is no dead-letter candidate; an envelope without deliveryAttempt (no
    dead-letter policy) carries 0, never a guess."""

    def handler(data: bytes) -> Outcome:
        get_logger("calsync.test").info("handled")
        return Outcome.ACK

    assert pubsub_push(push(attempt=None), handler, PROJECT)[1] == 200
    lines = log_lines()
    assert [line["message"] for line in lines] == ["handled"]
    assert lines[0]["delivery_attempt"] == 0


# ---- one trace from the push through the tasks ----------------------------------------------


def test_a_task_carries_the_trace_of_the_push_that_scheduled_it() -> None:
    """The reconcile a push schedules (coalesced enrollments, follow-ups, quota retries)
    is sent with the push's trace id."""
    scheduling, tasks = scheduler()

    def handler(data: bytes) -> Outcome:
        scheduling.schedule("t-1", {"action": "reconcile", "tenant_id": "acme"}, 10)
        return Outcome.ACK

    pubsub_push(push(), handler, PROJECT)
    (task,) = tasks.created
    assert task.http_request.headers[TRACE_HEADER] == TRACE
    assert task.http_request.headers["Content-Type"] == "application/json"


def test_no_trace_header_without_a_valid_trace() -> None:
    """Outside a traced request (or with a trace that is not 32 hex digits) nothing is sent."""
    scheduling, tasks = scheduler()
    scheduling.schedule("t-1", {"action": "reconcile"}, 0)
    with log_context(trace="not-a-trace"):
        scheduling.schedule("t-2", {"action": "reconcile"}, 0)
    assert [TRACE_HEADER in t.http_request.headers for t in tasks.created] == [False, False]


def test_every_line_of_a_task_joins_the_trace_it_carries_and_passes_it_on(
    log_lines: LogLines,
) -> None:
    """The task's reconcile logs under the originating trace (its own request's trace is
    kept as request_trace), and the task it schedules in turn carries the same trace."""
    scheduling, tasks = scheduler()
    seen: list[str] = []

    def reconcile(tenant_id: str, item: Any, attempt: int) -> list[Any]:
        seen.append(current_trace())
        get_logger("calsync.sync.reconciler").info("reconciling")
        scheduling.schedule("follow-up", {"action": "followup", "tenant_id": tenant_id}, 60)
        return []

    services = SimpleNamespace(
        settings=SimpleNamespace(project=PROJECT),
        reconciler=SimpleNamespace(reconcile=reconcile),
    )
    body = {"action": "reconcile", "tenant_id": "acme", "item": {"kind": "event", "id": "e1"}}
    headers = {
        "X-CloudTasks-TaskName": "t-1",
        "X-Cloud-Trace-Context": f"{OTHER_TRACE}/7;o=1",
        TRACE_HEADER: TRACE,
    }
    assert cloud_task(Request(body, headers), cast(Services, services))[1] == 200
    assert seen == [TRACE]
    lines = log_lines()
    assert lines, "the task logged nothing"
    for line in lines:
        assert line["logging.googleapis.com/trace"] == f"projects/{PROJECT}/traces/{TRACE}", line
        assert line["request_trace"] == OTHER_TRACE
    (task,) = tasks.created
    assert task.http_request.headers[TRACE_HEADER] == TRACE


@pytest.mark.parametrize("carried", ["", "0af7651916cd43dd", "x" * 32, f"{TRACE}/1"])
def test_a_task_without_a_valid_carried_trace_keeps_its_own(
    log_lines: LogLines, carried: str
) -> None:
    """Only a well-formed trace id is joined; anything else leaves the task's own trace."""
    services = SimpleNamespace(settings=SimpleNamespace(project=PROJECT))
    headers = {"X-Cloud-Trace-Context": f"{OTHER_TRACE}/7;o=1", TRACE_HEADER: carried}
    cloud_task(Request(None, headers), cast(Services, services))  # invalid body: logged, dropped
    (line,) = log_lines()
    assert line["logging.googleapis.com/trace"] == f"projects/{PROJECT}/traces/{OTHER_TRACE}"
    assert "request_trace" not in line


def test_trace_ids_are_32_hex_digits() -> None:
    """What X-Cloud-Trace-Context carries before its slash, and nothing else."""
    assert is_trace_id(TRACE)
    assert is_trace_id(TRACE.upper())
    assert not is_trace_id("")
    assert not is_trace_id(TRACE[:-1])
    assert not is_trace_id(TRACE + "0")
    assert not is_trace_id("g" * 32)
