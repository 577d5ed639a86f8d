"""Domain-wide delegation without a key: IAM Credentials signs the assertions.

The delegation accounts are keyless (the sandbox holds their only key, as Google does); calsync
holds only its runtime account's credentials (``CALSYNC_SIGNER_CREDENTIALS``, standing in for the
function's metadata-server identity) and asks ``signJwt`` to sign for the delegation account.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from calsync.entrypoints.platform_events import Outcome, handle_platform_event
from calsync.entrypoints.services import Services, reset_services, services
from calsync.sweeper.sweep import Sweeper
from calsync_dev.dates import at
from calsync_dev.stack import LocalStack
from tests.integration.conftest import calendar, wait_for_tasks
from tests.integration.oauth_fixtures import Browser
from tests.unit.factories import NEW_YORK, settings_message, upsert_message

pytest_plugins = ["tests.integration.oauth_fixtures"]

ADMIN_DWD = "calsync-admin-dwd@platform-project.iam.gserviceaccount.com"
PLATFORM_DWD = "calsync-platform-dwd@platform-project.iam.gserviceaccount.com"
RUNTIME = "calsync-orphan-sweeper@platform-project.iam.gserviceaccount.com"
FUTURE = [{"key": "p", "start": at(1, "10:00", NEW_YORK), "end": at(1, "11:00", NEW_YORK)}]


def _deliver(message: dict[str, Any]) -> Outcome:
    return handle_platform_event(services(), json.dumps(message).encode())


def _runtime_identity(sandbox: Any, delegation_account: str, *, token_creator: bool) -> None:
    """calsync runs as RUNTIME, which may (or may not) sign for ``delegation_account``."""
    key = sandbox.create_service_account(RUNTIME)
    if token_creator:
        sandbox.grant_token_creator(delegation_account, RUNTIME)
    os.environ["CALSYNC_SIGNER_CREDENTIALS"] = json.dumps(key)


def _keyless_admin(sandbox: Any, *, token_creator: bool = True) -> None:
    sandbox.create_keyless_service_account(ADMIN_DWD, domain_wide_delegation=True)
    _runtime_identity(sandbox, ADMIN_DWD, token_creator=token_creator)
    os.environ["CALSYNC_ADMIN_CREDENTIALS"] = ""
    os.environ["CALSYNC_ADMIN_DELEGATION_ACCOUNT"] = ADMIN_DWD
    reset_services()


@pytest.fixture
def tenant(organizers: tuple[str, ...], browser: Browser, sandbox: Any) -> Services:
    """acme in organizer mode with gadmin as its admin; alice connected."""
    for email in ("dan@acme.com", "ops@acme.com"):
        sandbox.seed_user(email)
    sandbox.seed_user("gadmin@acme.com", admin=True)
    sandbox.set_transfer_delay(0.0)
    _deliver(
        settings_message(
            version=5,
            use_organizer_accounts=True,
            admin_email="gadmin@acme.com",
            fallback_organizer_email="ops@acme.com",
        )
    )
    assert browser.connect("alice@acme.com").status_code == 200
    wait_for_tasks(sandbox)
    return services()


def _alice_item() -> dict[str, Any]:
    return upsert_message(version=1, host_emails=["dan@acme.com"], parts=FUTURE)


def test_sweeper_finds_and_transfers_keylessly(tenant: Services, sandbox: Any) -> None:
    """Directory and Data Transfer act as gadmin through assertions IAM signed for RUNTIME."""
    _keyless_admin(sandbox)
    _deliver(_alice_item())
    sandbox.update_user("alice@acme.com", suspended=True)
    report = Sweeper(services()).sweep()
    assert report.suspended_organizers == ["acme:alice@acme.com"]
    assert report.parts_transferred == 1
    assert {r["user"] for r in sandbox.requests(method_id="directory.users.list")} == {
        "gadmin@acme.com"
    }
    signers = {
        (r["user"], r["status"]) for r in sandbox.requests(method_id="iamcredentials.signJwt")
    }
    assert signers == {(RUNTIME, 200)}


def test_sweeper_without_the_token_creator_role_skips_the_tenant(
    tenant: Services, sandbox: Any
) -> None:
    """IAM refuses to sign: an operator's problem, reported, nothing transferred."""
    _keyless_admin(sandbox, token_creator=False)
    _deliver(_alice_item())
    sandbox.update_user("alice@acme.com", suspended=True)
    report = Sweeper(services()).sweep()
    assert "iam_sign_jwt_refused" in report.skipped["acme"]
    assert sandbox.transfers() == []
    assert sandbox.requests(method_id="directory.users.list") == []


@pytest.fixture
def people(clean: LocalStack, sandbox: Any) -> LocalStack:
    """Tenant acme's people in the sandbox."""
    sandbox.seed_domain("acme.com")
    for email in ("alice@acme.com", "bob@acme.com", "dan@acme.com"):
        sandbox.seed_user(email)
    return clean


def _keyless_platform(sandbox: Any, subject: str, *, token_creator: bool = True) -> None:
    sandbox.create_keyless_service_account(PLATFORM_DWD, domain_wide_delegation=True)
    _runtime_identity(sandbox, PLATFORM_DWD, token_creator=token_creator)
    os.environ["CALSYNC_PLATFORM_IDENTITY"] = "service_account"
    os.environ["CALSYNC_PLATFORM_CREDENTIALS"] = ""
    os.environ["CALSYNC_PLATFORM_DELEGATION_ACCOUNT"] = PLATFORM_DWD
    os.environ["CALSYNC_PLATFORM_SUBJECT"] = subject
    reset_services()


def test_platform_identity_writes_keylessly_as_the_platform_user(
    people: LocalStack, sandbox: Any
) -> None:
    """Platform-account mode with no key: events are written as the platform user."""
    _keyless_platform(sandbox, people.config.platform_email)
    _deliver(settings_message())
    assert _deliver(upsert_message(version=1)) is Outcome.ACK
    assert len(calendar(sandbox, "alice@acme.com")) == 2
    writers = {r["user"] for r in sandbox.requests(method_id="calendar.events.insert")}
    assert writers == {people.config.platform_email}


def test_platform_identity_without_the_token_creator_role_is_a_configuration_error(
    people: LocalStack, sandbox: Any
) -> None:
    """IAM refuses to sign for a runtime account without the role; nothing is written."""
    from calsync.errors import ConfigurationError

    _keyless_platform(sandbox, people.config.platform_email, token_creator=False)
    _deliver(settings_message())
    with pytest.raises(ConfigurationError, match="iam_sign_jwt_refused"):
        _deliver(upsert_message(version=1))
    assert calendar(sandbox, "alice@acme.com") == []
