"""Hostile input is rejected, acknowledged and logged once; it never crashes a handler.

Each body goes through the real HTTP functions (functions-framework's app for
on_event_change and on_enroll, in this process) against the emulators: a crash
would be answered 500 and Pub/Sub would redeliver it until it is dead-lettered.
"""

from __future__ import annotations

import base64
import io
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from calsync.logs import JsonFormatter
from calsync_dev.stack import LocalStack, repo_root
from tests.unit.factories import settings_message, upsert_message

NESTING = 60_000
"""Levels of nested JSON: ~120 kB, well under every size limit, far over Python's recursion."""


def _client(name: str) -> Any:
    import functions_framework

    source = Path(repo_root()) / "functions" / name / "main.py"
    return functions_framework.create_app(name, str(source), "http").test_client()


@pytest.fixture
def clients(clean: LocalStack) -> dict[str, Any]:
    """functions-framework apps of the two Pub/Sub functions, in this process."""
    return {name: _client(name) for name in ("on_event_change", "on_enroll")}


@pytest.fixture
def log_lines() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """Every line calsync logs while the test runs, parsed."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter("calsync-local"))
    logger = logging.getLogger("calsync")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines() if line]
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _push(client: Any, data: bytes) -> Any:
    envelope = {
        "message": {"data": base64.b64encode(data).decode(), "messageId": "1"},
        "subscription": "projects/p/subscriptions/s",
    }
    return client.post("/", json=envelope)


def _enrollment(version: int) -> dict[str, Any]:
    return {
        "type": "enrollment.changed",
        "tenant_id": "acme",
        "item": {"kind": "event", "id": "evt_123"},
        "changes": [{"email": "carol@acme.com", "status": "enrolled", "version": version}],
    }


def _assert_rejected_once(
    response: Any, results: Any, lines: list[dict[str, Any]], code: str
) -> None:
    assert response.status_code == 200, response.get_data(as_text=True)
    rejected = results.wait_for(1, status="rejected")
    assert [r["error_code"] for r in rejected] == [code]
    warnings = [line for line in lines if line["severity"] != "INFO"]
    assert [line["message"] for line in warnings] == ["message rejected"], warnings


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("on_event_change", upsert_message(version=2**64)),
        ("on_event_change", settings_message(version=2**63)),
        ("on_enroll", _enrollment(version=2**70)),
    ],
    ids=["item-version", "settings-version", "enrollment-version"],
)
def test_an_integer_beyond_64_bits_is_rejected_not_retried(
    clients: dict[str, Any],
    results: Any,
    log_lines: Callable[[], list[dict[str, Any]]],
    target: str,
    message: dict[str, Any],
) -> None:
    """A version Firestore cannot store (≥ 2**63) is bad input: rejected, acknowledged,
    one log line; it used to pass validation and crash in Firestore's encoder (500)."""
    response = _push(clients[target], json.dumps(message).encode())
    _assert_rejected_once(response, results, log_lines(), "invalid")


@pytest.mark.parametrize("target", ["on_event_change", "on_enroll"])
def test_deeply_nested_json_is_rejected_not_retried(
    clients: dict[str, Any],
    results: Any,
    log_lines: Callable[[], list[dict[str, Any]]],
    target: str,
) -> None:
    """60,000 nested arrays make ``json.loads`` raise ``RecursionError``: that is bad input
    (rejected, acknowledged, one log line), not a crash Pub/Sub redelivers."""
    data = b"[" * NESTING + b"]" * NESTING
    response = _push(clients[target], data)
    _assert_rejected_once(response, results, log_lines(), "not_json")


def test_deeply_nested_json_inside_a_valid_message_is_rejected_not_retried(
    clients: dict[str, Any], results: Any, log_lines: Callable[[], list[dict[str, Any]]]
) -> None:
    """The nesting hidden in one field of an otherwise valid message is rejected too."""
    head = json.dumps(upsert_message(version=1))[:-1]
    data = f'{head}, "extra": {"[" * NESTING}{"]" * NESTING}}}'.encode()
    response = _push(clients["on_event_change"], data)
    _assert_rejected_once(response, results, log_lines(), "not_json")
