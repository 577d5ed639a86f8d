"""Shared fixtures: one local stack per session, clean state per test.

The session's ``stack`` runs the official Firestore and Pub/Sub emulators, the
Google sandbox (in this process) and every function under functions-framework,
wired by Pub/Sub push exactly like ``calsync dev``. Tests that touch state ask
for ``clean``: the Firestore emulator is emptied, the sandbox reset and the
platform identity seeded again (with the same credentials the functions hold).
Unit tests use none of this and start nothing.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from calsync_dev.emulators import reset_firestore
from calsync_dev.stack import (
    LocalStack,
    StackConfig,
    seed_admin_identity,
    seed_platform_identity,
)
from calsync_dev.strictness import relax_until_calsync_ready


@pytest.fixture(autouse=True)
def _isolate_environment() -> Iterator[None]:
    """Each test sees the environment as it was before it ran."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """The whole local system, started once for the session."""
    local = LocalStack(StackConfig.ephemeral(tmp_path_factory.mktemp("stack-logs")))
    local.start()
    saved = dict(os.environ)
    try:
        yield local
    finally:
        local.stop()
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture
def sandbox(stack: LocalStack) -> Any:
    """The control client of the session's Google sandbox."""
    from calsync_sandbox import SandboxControl

    return SandboxControl(stack.endpoints["google_sandbox"])


@pytest.fixture
def clean(stack: LocalStack, sandbox: Any) -> Iterator[LocalStack]:
    """Empty Firestore, a fresh sandbox with the platform identity, fresh in-process clients."""
    from calsync.entrypoints.services import reset_services

    reset_firestore(stack.environment["FIRESTORE_EMULATOR_HOST"], stack.config.project)
    stack.sandbox.reset()
    relax_until_calsync_ready(sandbox)
    seed_platform_identity(sandbox, stack.config.platform_email)
    # the same admin key the function processes were started with
    seed_admin_identity(sandbox, json.loads(stack.environment["CALSYNC_ADMIN_CREDENTIALS"]))
    from calsync_dev.stack import create_queue

    create_queue(stack.endpoints["google_sandbox"], stack.environment["CALSYNC_TASKS_QUEUE"])
    os.environ.update(stack.environment)
    reset_services()
    yield stack
    reset_services()


@pytest.fixture
def results(stack: LocalStack) -> Iterator[Any]:
    """A reader of what calsync published on calsync-results during this test."""
    from calsync_dev.results_reader import ResultsReader

    reader = ResultsReader(stack.config.project, f"test-{uuid.uuid4().hex[:12]}")
    yield reader
    reader.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests under tests/e2e are marked e2e (they go through Pub/Sub push)."""
    for item in items:
        if Path(str(item.fspath)).parent.name == "e2e":
            item.add_marker(pytest.mark.e2e)
