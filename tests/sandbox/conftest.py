"""Fixtures for the sandbox tests: one Sandbox per session, wiped before every test.

The builders return the REAL Google client libraries pointed at the sandbox:

    cal = calendar_for("alice@acme.com")           # googleapiclient Calendar v3, OAuth user creds
    sa = calendar_as_service_account(key)          # service-account credentials (optional subject)
    tasks = tasks_client                           # google-cloud-tasks, REST transport
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import google.oauth2.credentials
import google.oauth2.service_account
import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import tasks_v2
from sandbox_helpers import (
    ADMIN_SCOPES,
    CALENDAR_SCOPE,
    QuietHandler,
    Receiver,
    build_admin,
    build_calendar,
)
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from calsync_sandbox import Sandbox, SandboxControl
from tests.push_receiver import PushReceiver, push_receiver_server

DOMAIN = "acme.com"

CalendarFactory = Callable[..., Any]


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    """One running sandbox for the whole session."""
    sb = Sandbox(dispatch_tick=0.02)
    sb.start(host="127.0.0.1", port=0)
    yield sb
    sb.stop()


@pytest.fixture(autouse=True)
def _fresh_world(sandbox: Sandbox) -> None:
    """Every test starts from an empty world with the acme.com domain."""
    sandbox.reset()
    sandbox.world.domains.add(DOMAIN)


@pytest.fixture
def base_url(sandbox: Sandbox) -> str:
    """The sandbox's base URL."""
    return sandbox.base_url


@pytest.fixture
def ctl(base_url: str) -> SandboxControl:
    """A control-API client."""
    return SandboxControl(base_url)


@pytest.fixture
def oauth_client(ctl: SandboxControl) -> dict[str, str]:
    """A registered OAuth client."""
    return ctl.create_oauth_client()


@pytest.fixture
def user_credentials(
    ctl: SandboxControl, base_url: str, oauth_client: dict[str, str]
) -> Callable[..., google.oauth2.credentials.Credentials]:
    """Builds refreshable OAuth user credentials (seeding the user if needed)."""

    def _make(email: str, scopes: list[str] | None = None) -> google.oauth2.credentials.Credentials:
        if email.lower() not in {u["email"] for u in ctl.users()}:
            ctl.seed_user(email)
        wanted = scopes or [CALENDAR_SCOPE]
        refresh = ctl.create_grant(email, oauth_client["client_id"], wanted)
        return google.oauth2.credentials.Credentials(
            None,
            refresh_token=refresh,
            token_uri=base_url + "/token",
            client_id=oauth_client["client_id"],
            client_secret=oauth_client["client_secret"],
            scopes=wanted,
        )

    return _make


@pytest.fixture
def calendar_for(base_url: str, user_credentials: Callable[..., Any]) -> CalendarFactory:
    """Builds a Calendar service acting as a (seeded) user through an OAuth grant."""

    def _make(email: str, scopes: list[str] | None = None) -> Any:
        return build_calendar(base_url, user_credentials(email, scopes))

    return _make


@pytest.fixture
def calendar_as_service_account(base_url: str) -> CalendarFactory:
    """Builds a Calendar service from a service-account key (optionally impersonating)."""

    def _make(key: dict[str, str], subject: str | None = None) -> Any:
        creds = google.oauth2.service_account.Credentials.from_service_account_info(
            key, scopes=[CALENDAR_SCOPE]
        )
        if subject:
            creds = creds.with_subject(subject)
        return build_calendar(base_url, creds)

    return _make


@pytest.fixture
def admin_api(base_url: str, user_credentials: Callable[..., Any]) -> CalendarFactory:
    """Builds an Admin SDK service (``directory_v1``/``datatransfer_v1``) acting as a user
    through an OAuth grant holding the Directory and Data Transfer scopes."""

    def _make(email: str, version: str = "directory_v1", scopes: list[str] | None = None) -> Any:
        return build_admin(base_url, version, user_credentials(email, scopes or ADMIN_SCOPES))

    return _make


@pytest.fixture
def tasks_client(base_url: str) -> tasks_v2.CloudTasksClient:
    """google-cloud-tasks with the REST transport and an http:// endpoint."""
    return tasks_v2.CloudTasksClient(
        transport="rest",
        client_options={"api_endpoint": base_url},
        credentials=AnonymousCredentials(),
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A task target answering with ``statuses`` in turn (then 200)."""
    holder: dict[str, Receiver] = {}

    @Request.application
    def app(request: Request) -> Response:
        rec = holder["r"]
        rec.received.append(
            {
                "method": request.method,
                "path": request.path,
                "headers": dict(request.headers),
                "body": request.get_data(),
            }
        )
        status = rec.statuses.pop(0) if rec.statuses else 200
        rec.arrived.set()
        return Response("ok", status=status)

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    holder["r"] = Receiver(url=f"http://127.0.0.1:{server.port}/work")
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield holder["r"]
    server.shutdown()
    server.server_close()


@pytest.fixture
def push_receiver(ctl: SandboxControl) -> Iterator[PushReceiver]:
    """A local http webhook for push notifications; the sandbox is told to accept http
    addresses (strictness ``push_requires_https`` off) for the test."""
    ctl.strictness(push_requires_https=False)
    with push_receiver_server() as receiver:
        yield receiver
