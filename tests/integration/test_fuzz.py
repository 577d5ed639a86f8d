"""Fuzz: no input makes on_event_change or on_enroll crash or ask for endless retries.

Hypothesis throws arbitrary bytes, arbitrary JSON, near-valid messages (a field
dropped or replaced by junk, an integer at or beyond the 64-bit edge) and deeply
nested JSON at the HTTP functions (through functions-framework's own app, wired
to the emulators and the sandbox). Every one must be answered 200 (acknowledged):
bad input is rejected with a result, never redelivered forever.
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
from tests.unit.factories import delete_message, settings_message, upsert_message

edge_integers = st.one_of(
    st.sampled_from([2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63) - 1, -1]),
    st.integers(min_value=2**63),
    st.integers(max_value=-(2**63)),
)
"""Integers at and beyond what Firestore stores (signed 64 bits)."""

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | edge_integers
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


class RawJson(str):
    """JSON text to splice into a message as is (too deep for ``json.dumps`` to build)."""

    __slots__ = ()


def _deep(depth: int, opener: str) -> RawJson:
    """JSON nested ``depth`` levels: ``[[[…]]]`` or ``{"a":{"a":…1}}``."""
    if opener == "[":
        return RawJson("[" * depth + "]" * depth)
    return RawJson('{"a":' * depth + "1" + "}" * depth)


deep_json = st.builds(_deep, st.integers(min_value=900, max_value=100_000), st.sampled_from("[{"))
"""Nesting around and far beyond Python's recursion limit (small in bytes)."""

ENROLLMENT = {
    "type": "enrollment.changed",
    "tenant_id": "fuzz",
    "item": {"kind": "event", "id": "evt_123"},
    "changes": [{"email": "carol@acme.com", "status": "enrolled", "version": 1}],
}
BASES: list[tuple[dict[str, Any], list[list[Any]]]] = [
    (
        upsert_message(version=1, tenant_id="fuzz"),
        [
            ["type"],
            ["tenant_id"],
            ["version"],
            ["item"],
            ["item", "kind"],
            ["item", "parts"],
            ["item", "parts", 0, "start"],
            ["item", "timezone"],
            ["item", "organizer_email"],
            ["item", "host_emails"],
            ["item", "conference"],
            ["item", "url"],
        ],
    ),
    (delete_message(version=1, tenant_id="fuzz"), [["version"], ["item"], ["item", "id"]]),
    (
        settings_message(version=1, tenant_id="fuzz"),
        [["version"], ["settings"], ["settings", "domains"], ["settings", "sync_enabled"]],
    ),
    (ENROLLMENT, [["item"], ["changes"], ["changes", 0, "version"], ["changes", 0, "email"]]),
]
"""Valid messages of every type, and the fields a mutation may drop or replace."""


def _mutations() -> st.SearchStrategy[bytes]:
    """Valid messages with one field removed, or replaced by junk, an edge integer or a
    deeply nested value."""

    def mutate(base: tuple[dict[str, Any], list[list[Any]]], pick: int, junk: Any) -> bytes:
        message, paths = base
        path = paths[pick % len(paths)]
        placeholder = '"__junk__"'
        node = json.loads(json.dumps(message))
        parent = node
        for key in path[:-1]:
            parent = parent[key]
        if junk is None:
            if isinstance(parent, dict):
                parent.pop(path[-1], None)
            return json.dumps(node).encode()
        parent[path[-1]] = "__junk__"
        text = junk if isinstance(junk, RawJson) else json.dumps(junk)
        return json.dumps(node).replace(placeholder, text, 1).encode()

    junk = st.one_of(
        st.none(),  # drop the field
        json_values.filter(lambda v: v is not None),
        edge_integers,
        deep_json,
    )
    return st.builds(mutate, st.sampled_from(BASES), st.integers(min_value=0), junk)


payloads = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode()),
    deep_json.map(str.encode),
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


def _push(client: Any, data: bytes) -> Any:
    envelope = {
        "message": {"data": base64.b64encode(data).decode(), "messageId": "1"},
        "subscription": "projects/p/subscriptions/s",
    }
    return client.post("/", json=envelope)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=payloads, target=st.sampled_from(["on_event_change", "on_enroll"]))
def test_no_input_crashes_or_retries_forever(
    clients: dict[str, Any], data: bytes, target: str
) -> None:
    """Whatever the body, the push is acknowledged (200)."""
    response = _push(clients[target], data)
    assert response.status_code == 200, response.get_data(as_text=True)


INTEGER_FIELDS = [
    ("on_event_change", upsert_message(version=1, tenant_id="fuzz"), ["version"]),
    ("on_event_change", delete_message(version=1, tenant_id="fuzz"), ["version"]),
    ("on_event_change", settings_message(version=1, tenant_id="fuzz"), ["version"]),
    ("on_enroll", ENROLLMENT, ["changes", 0, "version"]),
]
"""Every integer of the inbound contracts, with the function that receives it."""


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(field=st.sampled_from(INTEGER_FIELDS), value=st.integers() | edge_integers)
def test_any_integer_in_an_integer_field_is_acknowledged(
    clients: dict[str, Any], field: tuple[str, dict[str, Any], list[Any]], value: int
) -> None:
    """A valid message whose integer is anything (including ≥ 2**63) is handled or rejected,
    never a crash in Firestore's encoder."""
    target, message, path = field
    node = json.loads(json.dumps(message))
    parent = node
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    response = _push(clients[target], json.dumps(node).encode())
    body = response.get_data(as_text=True)
    # an earlier example's reconcile of the same item may still hold its lease: Pub/Sub is
    # asked to deliver again later (503), which is handling it, not a crash
    busy = response.status_code == 503 and "being reconciled by another worker" in body
    assert response.status_code == 200 or busy, body


def test_request_that_is_not_a_push_envelope_is_refused(clients: dict[str, Any]) -> None:
    """A stray request (not from Pub/Sub) gets 400 and changes nothing."""
    response = clients["on_event_change"].post("/", data=b"hello")
    assert response.status_code == 400
