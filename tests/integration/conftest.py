"""Integration fixtures: the library in-process against the emulators and the sandbox."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from calsync.entrypoints.platform_events import Outcome, handle_platform_event
from calsync.entrypoints.services import Services, services
from calsync_dev.stack import LocalStack
from tests.unit.factories import settings_message

PEOPLE = ("alice@acme.com", "bob@acme.com", "dan@acme.com", "carol@acme.com", "erin@acme.com")
Deliver = Callable[[dict[str, Any]], Outcome]


@pytest.fixture
def svc(clean: LocalStack) -> Services:
    """calsync's services wired to the emulators and the sandbox."""
    return services()


@pytest.fixture
def deliver(svc: Services) -> Deliver:
    """Hand one platform-events message to calsync, as the push endpoint would."""

    def send(message: dict[str, Any]) -> Outcome:
        return handle_platform_event(svc, json.dumps(message).encode())

    return send


@pytest.fixture
def acme(sandbox: Any, deliver: Deliver) -> str:
    """Tenant acme: its Workspace people in the sandbox and its settings in calsync."""
    sandbox.seed_domain("acme.com")
    for email in PEOPLE:
        sandbox.seed_user(email)
    assert deliver(settings_message()) is Outcome.ACK
    return "acme"


def calendar(sandbox: Any, email: str) -> list[dict[str, Any]]:
    """What ``email`` sees on their own primary calendar."""
    return list(sandbox.calendar_view(email))


def wait_for_tasks(sandbox: Any, timeout: float = 30.0, *, run_future: bool = False) -> None:
    """Wait until every Cloud Task in the sandbox has run (succeeded or given up).

    ``run_future``: also run tasks scheduled for later, again and again, so the follow-ups
    the tasks themselves schedule (rooms and Meet re-checks) run too."""
    live = ("scheduled", "running", "retrying")
    deadline = time.monotonic() + timeout
    while any(t["state"] in live for t in sandbox.tasks()):
        assert time.monotonic() < deadline, sandbox.tasks()
        if run_future:
            sandbox.run_tasks(include_future=True)
        time.sleep(0.1)
