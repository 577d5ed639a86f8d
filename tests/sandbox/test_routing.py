"""Discovery-driven routing and request validation."""

from __future__ import annotations

import json

import pytest
import requests
from googleapiclient.errors import HttpError
from sandbox_helpers import error_reason, timed_event

from calsync_sandbox import SandboxControl
from calsync_sandbox.gateway.discovery import route_table


def test_literal_route_wins_over_path_variable() -> None:
    """``events/import`` resolves to events.import, not to an event id."""
    found = route_table().match("POST", "/calendar/v3/calendars/primary/events/import")
    assert found is not None
    assert found.method.id == "calendar.events.import"


def test_tasks_reserved_expansion_resolves_by_pattern() -> None:
    """Cloud Tasks' ``v2/{+name}`` resolves to queue or task by the parameter pattern."""
    table = route_table()
    queue = table.match("GET", "/v2/projects/p/locations/l/queues/q")
    task = table.match("GET", "/v2/projects/p/locations/l/queues/q/tasks/t")
    assert queue is not None
    assert task is not None
    assert queue.method.id == "cloudtasks.projects.locations.queues.get"
    assert task.method.id == "cloudtasks.projects.locations.queues.tasks.get"
    assert task.path_params == {"name": "projects/p/locations/l/queues/q/tasks/t"}


def test_client_built_with_api_endpoint_reaches_sandbox(calendar_for, ctl: SandboxControl) -> None:
    """The documented ``build(..., client_options={"api_endpoint": B + "/calendar/v3/"})`` works."""
    calendar_for("alice@acme.com").calendarList().list().execute()
    assert ctl.request_counts()["counts"]["calendar.calendarList.list"] == 1


def test_unknown_body_field_is_400_invalid(calendar_for) -> None:
    """A field the Event schema does not have is rejected."""
    with pytest.raises(HttpError) as caught:
        calendar_for("alice@acme.com").events().insert(
            calendarId="primary", body=timed_event(colour="red")
        ).execute()
    assert caught.value.status_code == 400
    assert error_reason(caught.value) == "invalid"
    assert 'Unknown name "colour"' in json.loads(caught.value.content)["error"]["message"]


def test_wrong_body_type_is_400(calendar_for) -> None:
    """A number where the schema wants a string is rejected."""
    with pytest.raises(HttpError) as caught:
        calendar_for("alice@acme.com").events().insert(
            calendarId="primary", body=timed_event(summary=5)
        ).execute()
    assert caught.value.status_code == 400
    body = json.loads(caught.value.content)["error"]
    assert body["status"] == "INVALID_ARGUMENT"
    assert "event.summary" in body["message"]


def test_missing_required_body_field_is_400_required(calendar_for) -> None:
    """The discovery document marks ``end`` required for insert."""
    body = timed_event()
    del body["end"]
    with pytest.raises(HttpError) as caught:
        calendar_for("alice@acme.com").events().insert(calendarId="primary", body=body).execute()
    assert error_reason(caught.value) == "required"


def _raw(ctl: SandboxControl, base_url: str, method: str, path: str) -> requests.Response:
    token = ctl.mint_token("alice@acme.com")["access_token"]
    return requests.request(
        method, base_url + path, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )


def test_bad_enum_query_parameter_is_400(ctl: SandboxControl, base_url: str) -> None:
    """``orderBy`` must be one of the discovery enum values."""
    ctl.seed_user("alice@acme.com")
    reply = _raw(ctl, base_url, "GET", "/calendar/v3/calendars/primary/events?orderBy=size")
    assert reply.status_code == 400
    assert reply.json()["error"]["errors"][0]["reason"] == "invalidParameter"


def test_integer_parameter_below_minimum_is_400(ctl: SandboxControl, base_url: str) -> None:
    """``maxResults`` has minimum 1."""
    ctl.seed_user("alice@acme.com")
    reply = _raw(ctl, base_url, "GET", "/calendar/v3/calendars/primary/events?maxResults=0")
    assert reply.status_code == 400


def test_unknown_query_parameter_is_400(ctl: SandboxControl, base_url: str) -> None:
    """A parameter the method does not declare is rejected."""
    ctl.seed_user("alice@acme.com")
    reply = _raw(ctl, base_url, "GET", "/calendar/v3/calendars/primary/events?colour=red")
    assert reply.status_code == 400


def test_missing_required_query_parameter_is_400(ctl: SandboxControl, base_url: str) -> None:
    """events.move needs ``destination``."""
    ctl.seed_user("alice@acme.com")
    reply = _raw(ctl, base_url, "POST", "/calendar/v3/calendars/primary/events/abcde/move")
    assert reply.status_code == 400
    assert reply.json()["error"]["errors"][0]["reason"] == "required"


def test_unknown_path_is_404(ctl: SandboxControl, base_url: str) -> None:
    """A path no discovery method serves is 404 in Google's error shape."""
    ctl.seed_user("alice@acme.com")
    reply = _raw(ctl, base_url, "GET", "/calendar/v3/nothing/here")
    assert reply.status_code == 404
    assert reply.json()["error"]["errors"][0]["reason"] == "notFound"


def test_known_method_without_handler_is_501(ctl: SandboxControl, base_url: str) -> None:
    """A real but unimplemented method (events.quickAdd) answers 501 with its id."""
    ctl.seed_user("alice@acme.com")
    reply = _raw(ctl, base_url, "POST", "/calendar/v3/calendars/primary/events/quickAdd?text=hi")
    assert reply.status_code == 501
    assert "calendar.events.quickAdd" in reply.json()["error"]["message"]


def test_method_override_post_is_treated_as_get(ctl: SandboxControl, base_url: str) -> None:
    """Long GETs sent as POST with X-HTTP-Method-Override and a form body are served."""
    ctl.seed_user("alice@acme.com")
    token = ctl.mint_token("alice@acme.com")["access_token"]
    reply = requests.post(
        base_url + "/calendar/v3/calendars/primary/events",
        data={"maxResults": "5"},
        headers={"Authorization": f"Bearer {token}", "X-HTTP-Method-Override": "GET"},
        timeout=10,
    )
    assert reply.status_code == 200
    assert reply.json()["kind"] == "calendar#events"
