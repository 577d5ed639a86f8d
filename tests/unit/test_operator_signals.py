"""Operator signals (issue 16, item 6): the log lines terraform/monitoring.tf counts."""

from __future__ import annotations

import base64
import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from calsync.entrypoints.platform_events import Outcome
from calsync.entrypoints.push import NOT_ACKNOWLEDGED, pubsub_push
from calsync.errors import TransientError
from calsync.logs import JsonFormatter, get_logger

PROJECT = "calsync-test"
TRACE = "0af7651916cd43dd8448eb211c80319c"
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
