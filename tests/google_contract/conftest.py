"""Fixtures of the Google conformance suite: the target (sandbox or live) and its control.

By default every test runs against a fresh sandbox world (acme.com, an admin, an organizer, a
guest, a room, a service account with domain-wide delegation). With ``CALSYNC_LIVE_GOOGLE`` set
to a credentials file (see :mod:`tests.google_contract.target`) the same tests run against that
live tenant; tests marked ``sandbox_only`` need the sandbox's control surface and are skipped
there (each says in its docstring how an operator checks it by hand).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from calsync_sandbox import Sandbox, SandboxControl
from tests.google_contract.target import GoogleTarget

DOMAIN = "acme.com"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Live: skip the tests that need the sandbox's control surface."""
    if GoogleTarget.live_path() is None:
        return
    skip = pytest.mark.skip(reason="needs the sandbox's control surface (see its docstring)")
    for item in items:
        if "google_contract" in str(item.fspath) and item.get_closest_marker("sandbox_only"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def contract_sandbox() -> Iterator[Sandbox | None]:
    """One sandbox for the session (none when running live)."""
    if GoogleTarget.live_path() is not None:
        yield None
        return
    sandbox = Sandbox(dispatch_tick=0.02)
    sandbox.start(host="127.0.0.1", port=0)
    yield sandbox
    sandbox.stop()


@pytest.fixture
def google(contract_sandbox: Sandbox | None) -> Iterator[GoogleTarget]:
    """The Google under test, with its people; the test's events are deleted afterwards."""
    path = GoogleTarget.live_path()
    if path is not None:
        target = GoogleTarget.live_from_file(path)
    else:
        assert contract_sandbox is not None
        target = _seeded(contract_sandbox)
    yield target
    target.cleanup()


@pytest.fixture
def ctl(google: GoogleTarget) -> SandboxControl:
    """The sandbox's control client (tests using it are marked sandbox_only)."""
    if google.base_url is None:
        pytest.skip("needs the sandbox's control surface")
    return SandboxControl(google.base_url)


@pytest.fixture
def ctl_or_none(google: GoogleTarget) -> SandboxControl | None:
    """The control client against the sandbox, None live (for tests that run in both)."""
    return SandboxControl(google.base_url) if google.base_url else None


def _seeded(sandbox: Sandbox) -> GoogleTarget:
    sandbox.reset()
    ctl = SandboxControl(sandbox.base_url)
    ctl.seed_domain(DOMAIN)
    ctl.seed_user("ops@acme.com", admin=True)
    ctl.seed_user("olga@acme.com")
    ctl.seed_user("gus@acme.com")
    room = "room-a@resource.calendar.google.com"
    ctl.seed_room(room, "Room A", 8, "HQ", "2")
    key = ctl.create_service_account(
        "calsync@contract.iam.gserviceaccount.com", domain_wide_delegation=True
    )
    return GoogleTarget(
        live=False,
        domain=DOMAIN,
        admin="ops@acme.com",
        organizer="olga@acme.com",
        guest="gus@acme.com",
        external_guest="someone@example.org",
        room=room,
        key=key,
        base_url=sandbox.base_url,
    )
