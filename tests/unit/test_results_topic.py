"""calsync.google.results_topic: one ``topics.publish`` per batch of results, transient failures
retried, every failure a ``TransientError`` (the message is redelivered)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import requests

from calsync.contracts import Result
from calsync.errors import TransientError
from calsync.google import results_topic
from calsync.google.results_topic import PubSubResults

RESULT = Result.model_validate(
    {
        "tenant_id": "acme",
        "status": "synced",
        "item": {"kind": "event", "id": "evt_1"},
        "source_version": 3,
        "at": "2026-12-03T10:00:00Z",
    }
)


class ScriptedSession:
    """Answers each post with the next status of ``statuses`` and records the bodies."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.bodies: list[dict[str, Any]] = []

    def post(self, url: str, json: dict[str, Any], timeout: float) -> requests.Response:
        self.bodies.append(json)
        response = requests.Response()
        response.status_code = self.statuses.pop(0)
        response.request = requests.Request("POST", url).prepare()
        response._content = (
            b'{"messageIds": ["1"]}'
            if response.status_code == 200
            else b'{"error": {"code": %d, "message": "no"}}' % response.status_code
        )
        return response


def test_all_results_go_in_one_call_with_their_attributes() -> None:
    session = ScriptedSession(200)
    PubSubResults("p", "calsync-results", session=session).publish([RESULT, RESULT])
    (body,) = session.bodies
    assert len(body["messages"]) == 2
    message = body["messages"][0]
    assert json.loads(base64.b64decode(message["data"])) == json.loads(RESULT.to_json())
    assert message["attributes"] == {"tenant_id": "acme", "status": "synced", "item": "event:evt_1"}


def test_a_transient_failure_is_retried() -> None:
    session = ScriptedSession(503, 429, 200)
    PubSubResults("p", "calsync-results", session=session).publish([RESULT])
    assert len(session.bodies) == 3


def test_a_refusal_is_a_transient_error_at_once() -> None:
    session = ScriptedSession(404)
    with pytest.raises(TransientError, match="calsync-results"):
        PubSubResults("p", "calsync-results", session=session).publish([RESULT])
    assert len(session.bodies) == 1


def test_failing_until_the_deadline_is_a_transient_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(results_topic, "_PUBLISH_TIMEOUT_SECONDS", 0.5)
    session = ScriptedSession(*[503] * 50)
    with pytest.raises(TransientError):
        PubSubResults("p", "calsync-results", session=session).publish([RESULT])


def test_nothing_to_publish_calls_nothing() -> None:
    session = ScriptedSession()
    PubSubResults("p", "calsync-results", session=session).publish([])
    assert session.bodies == []
