"""The platform identity: an OAuth grant or a service account with domain-wide delegation."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from calsync.entrypoints.platform_events import Outcome, handle_platform_event
from calsync.entrypoints.services import reset_services, services
from calsync.errors import ConfigurationError
from calsync_dev.stack import LocalStack
from tests.integration.conftest import calendar
from tests.unit.factories import settings_message, upsert_message

SERVICE_ACCOUNT = "calsync-writer@platform-project.iam.gserviceaccount.com"


def _use_service_account(key: dict[str, str], subject: str) -> None:
    os.environ["CALSYNC_PLATFORM_IDENTITY"] = "service_account"
    os.environ["CALSYNC_PLATFORM_CREDENTIALS"] = json.dumps(key)
    os.environ["CALSYNC_PLATFORM_SUBJECT"] = subject
    reset_services()


def _deliver(message: dict[str, Any]) -> Outcome:
    return handle_platform_event(services(), json.dumps(message).encode())


@pytest.fixture
def people(clean: LocalStack, sandbox: Any) -> LocalStack:
    """Tenant acme's people in the sandbox."""
    sandbox.seed_domain("acme.com")
    for email in ("alice@acme.com", "bob@acme.com", "dan@acme.com"):
        sandbox.seed_user(email)
    return clean


def test_service_account_with_delegation_writes_as_the_platform_user(
    people: LocalStack, sandbox: Any
) -> None:
    """A delegated service account acting as the platform user invites attendees."""
    key = sandbox.create_service_account(SERVICE_ACCOUNT, domain_wide_delegation=True)
    _use_service_account(key, people.config.platform_email)
    _deliver(settings_message())
    assert _deliver(upsert_message(version=1)) is Outcome.ACK
    assert len(calendar(sandbox, "alice@acme.com")) == 2
    writers = {r["user"] for r in sandbox.requests(method_id="calendar.events.insert")}
    assert writers == {people.config.platform_email}


def test_bare_service_account_cannot_invite_and_says_why(
    people: LocalStack, sandbox: Any, results: Any
) -> None:
    """Without delegation Google refuses attendees; the result carries Google's reason."""
    key = sandbox.create_service_account(SERVICE_ACCOUNT, domain_wide_delegation=False)
    _use_service_account(key, "")
    _deliver(settings_message())
    assert _deliver(upsert_message(version=1)) is Outcome.ACK
    failed = results.wait_for(2, status="failed")
    assert {r["error_code"] for r in failed} == {"forbiddenForServiceAccounts"}
    assert calendar(sandbox, "alice@acme.com") == []


def test_delegation_not_authorised_is_a_configuration_error(
    people: LocalStack, sandbox: Any
) -> None:
    """Impersonating without the admin's authorisation is an operator problem, retried."""
    key = sandbox.create_service_account(SERVICE_ACCOUNT, domain_wide_delegation=False)
    _use_service_account(key, people.config.platform_email)
    _deliver(settings_message())
    with pytest.raises(ConfigurationError, match="unauthorized_client"):
        _deliver(upsert_message(version=1))


def test_missing_credentials_name_the_variable(people: LocalStack) -> None:
    """No credentials configured: the error says which variable to set."""
    os.environ["CALSYNC_PLATFORM_CREDENTIALS"] = ""
    reset_services()
    _deliver(settings_message())
    with pytest.raises(ConfigurationError, match="CALSYNC_PLATFORM_CREDENTIALS"):
        _deliver(upsert_message(version=1))
