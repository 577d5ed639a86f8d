"""Fuzz: no input makes on_event_change or on_enroll crash or ask for endless retries.

Hypothesis throws arbitrary bytes, arbitrary JSON and near-valid messages at the
HTTP functions (through functions-framework's own app, wired to the emulators
and the sandbox). Every one must be answered 200 (acknowledged): bad input is
rejected with a result, never redelivered forever.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calsync_dev.stack import LocalStack, repo_root
from tests.unit.factories import upsert_message

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def _mutations() -> st.SearchStrategy[bytes]:
    """Valid messages with one field removed or replaced by junk."""
    base = upsert_message(version=1, tenant_id="fuzz")

    def mutate(path: list[str], junk: Any, drop: bool) -> bytes:
        message = json.loads(json.dumps(base))
        node = message
        for key in path[:-1]:
            node = node[key]
        if drop:
            node.pop(path[-1], None)
        else:
            node[path[-1]] = junk
        return json.dumps(message).encode()

    paths = st.sampled_from(
        [
            ["type"],
            ["tenant_id"],
            ["version"],
            ["item"],
            ["item", "kind"],
            ["item", "parts"],
            ["item", "timezone"],
            ["item", "organizer_email"],
            ["item", "host_emails"],
            ["item", "conference"],
            ["item", "url"],
        ]
    )
    return st.builds(mutate, paths, json_values, st.booleans())


payloads = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode()),
    _mutations(),
)


def _client(name: str) -> Any:
    import functions_framework

    source = Path(repo_root()) / "functions" / name / "main.py"
    return functions_framework.create_app(name, str(source), "http").test_client()


@pytest.fixture
def clients(clean: LocalStack) -> dict[str, Any]:
    """functions-framework apps of the two Pub/Sub functions, in this process."""
    return {name: _client(name) for name in ("on_event_change", "on_enroll")}


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=payloads, target=st.sampled_from(["on_event_change", "on_enroll"]))
def test_no_input_crashes_or_retries_forever(
    clients: dict[str, Any], data: bytes, target: str
) -> None:
    """Whatever the body, the push is acknowledged (200)."""
    envelope = {
        "message": {"data": base64.b64encode(data).decode(), "messageId": "1"},
        "subscription": "projects/p/subscriptions/s",
    }
    response = clients[target].post("/", json=envelope)
    assert response.status_code == 200, response.get_data(as_text=True)


def test_request_that_is_not_a_push_envelope_is_refused(clients: dict[str, Any]) -> None:
    """A stray request (not from Pub/Sub) gets 400 and changes nothing."""
    response = clients["on_event_change"].post("/", data=b"hello")
    assert response.status_code == 400
