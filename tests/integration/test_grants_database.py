"""Grants and OAuth flow states live in their own Firestore database when one is configured.

Deployed, only the functions handling grants may open that database (an IAM condition naming
it, terraform/firestore.tf); here the emulator's named database stands in for it.
"""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from google.cloud import firestore

from calsync.entrypoints.services import reset_services
from tests.integration.oauth_fixtures import Browser

pytest_plugins = ["tests.integration.oauth_fixtures"]

GRANTS_DATABASE = "calsync-grants-test"
ALICE = "alice@acme.com"


def _documents(project: str, database: str, group: str) -> list[Any]:
    return list(
        firestore.Client(project=project, database=database).collection_group(group).stream()
    )


@pytest.fixture
def separate(browser: Browser, stack: Any) -> Iterator[Browser]:
    """calsync configured with a grants database of its own; emptied afterwards."""
    os.environ["CALSYNC_GRANTS_DATABASE"] = GRANTS_DATABASE
    reset_services()
    yield browser
    host, project = stack.environment["FIRESTORE_EMULATOR_HOST"], stack.config.project
    url = f"http://{host}/emulator/v1/projects/{project}/databases/{GRANTS_DATABASE}/documents"
    urllib.request.urlopen(urllib.request.Request(url, method="DELETE"), timeout=10).close()


def test_a_started_flow_is_recorded_only_in_the_grants_database(
    separate: Browser, stack: Any
) -> None:
    """The OAuth state record is written to the grants database, not the main one."""
    assert separate.start(ALICE).status_code == 302
    project = stack.config.project
    assert len(_documents(project, GRANTS_DATABASE, "oauth_states")) == 1
    assert _documents(project, "(default)", "oauth_states") == []


def test_a_connected_grant_is_stored_and_read_only_in_the_grants_database(
    separate: Browser, stack: Any
) -> None:
    """The encrypted grant lands in the grants database and is read back from there."""
    from calsync.config import get_settings
    from calsync.organizers.grants import organizer_grants

    assert separate.connect(ALICE).status_code == 200
    project = stack.config.project
    assert len(_documents(project, GRANTS_DATABASE, "organizers")) == 1
    assert _documents(project, "(default)", "organizers") == []
    assert organizer_grants(get_settings()).credentials("acme", ALICE) is not None
