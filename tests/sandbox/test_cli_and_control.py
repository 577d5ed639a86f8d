"""The calsync-sandbox command, the control client and the stubbed Admin APIs."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys

import google.oauth2.credentials
import pytest
import requests
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from calsync_sandbox import SandboxControl, SandboxControlError


def _cli(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "calsync_sandbox.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_cli_prints_its_url_and_stops_on_sigterm() -> None:
    """One JSON line when ready; SIGTERM ends it with status 0."""
    process = _cli("--host", "127.0.0.1", "--port", "0")
    try:
        assert process.stdout is not None
        line = json.loads(process.stdout.readline())
        assert SandboxControl(line["sandbox"]).health()
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0


def test_cli_busy_port_is_a_one_line_error_with_status_2() -> None:
    """A taken port gives a clear message and exit status 2, no traceback."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        process = _cli("--port", str(busy.getsockname()[1]))
        _, err = process.communicate(timeout=20)
    assert process.returncode == 2
    assert len(err.strip().splitlines()) == 1
    assert "cannot listen" in err


def test_control_errors_raise_sandbox_control_error(ctl: SandboxControl) -> None:
    """Bad control input surfaces as SandboxControlError with the status."""
    with pytest.raises(SandboxControlError) as caught:
        ctl.update_user("nobody@acme.com", suspended=True)
    assert caught.value.status == 404


def test_reset_wipes_the_world(ctl: SandboxControl) -> None:
    """reset removes seeded users."""
    ctl.seed_user("alice@acme.com")
    ctl.reset()
    assert ctl.users() == []


def test_minted_token_works_for_the_calendar_api(ctl: SandboxControl, base_url: str) -> None:
    """mint_token gives a Bearer token usable directly."""
    ctl.seed_user("alice@acme.com")
    minted = ctl.mint_token("alice@acme.com")
    reply = requests.get(
        base_url + "/calendar/v3/calendars/primary",
        headers={"Authorization": f"Bearer {minted['access_token']}"},
        timeout=10,
    )
    assert reply.json()["id"] == "alice@acme.com"
    assert minted["expires_in"] == 3600


def test_unimplemented_directory_methods_are_routed_and_answer_501(
    ctl: SandboxControl, base_url: str
) -> None:
    """Directory methods without a handler (users.delete) reach the sandbox and answer 501."""
    ctl.seed_user("admin@acme.com", admin=True)
    token = ctl.mint_token("admin@acme.com")["access_token"]
    directory = build(
        "admin",
        "directory_v1",
        credentials=google.oauth2.credentials.Credentials(token),
        client_options={"api_endpoint": base_url + "/"},
        static_discovery=True,
    )
    with pytest.raises(HttpError) as caught:
        directory.users().delete(userKey="admin@acme.com").execute()
    assert caught.value.status_code == 501
    assert ctl.requests()[-1]["method_id"] == "directory.users.delete"


def test_tasks_body_accepts_proto_field_names(ctl: SandboxControl, base_url: str) -> None:
    """snake_case proto names and integer enums are accepted like camelCase and names."""
    ctl.create_queue("projects/p/locations/l/queues/q")
    reply = requests.post(
        base_url + "/v2/projects/p/locations/l/queues/q/tasks",
        json={
            "task": {"http_request": {"url": "http://127.0.0.1:9/", "http_method": 2}},
            "response_view": 2,
        },
        timeout=10,
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["httpRequest"]["httpMethod"] == "GET"
