"""/status answers only the platform's service account, proven by a Google-signed ID token.

The platform gets its token from IAM Credentials ``generateIdToken`` (the sandbox's, signed with
the key published at the JWKS URI), with the function's URL as the audience.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from calsync.entrypoints.services import reset_services
from tests.integration.oauth_fixtures import Browser, id_token_of

pytest_plugins = ["tests.integration.oauth_fixtures"]

PLATFORM = "learning-platform@platform-project.iam.gserviceaccount.com"
OTHER = "someone-else@other-project.iam.gserviceaccount.com"
AUDIENCE = "https://oauth-callback-123.us-central1.run.app"
STATUS = "/status?tenant=acme&organizer=alice@acme.com"


def _id_token(sandbox: Any, stack: Any, account: str, audience: str = AUDIENCE) -> str:
    """An ID token of ``account`` for ``audience``, as the account gets it from IAM."""
    return id_token_of(sandbox, stack, account, audience)


@pytest.fixture
def guarded(browser: Browser) -> Browser:
    """oauth-callback configured as Terraform deploys it: only PLATFORM reads /status."""
    os.environ["CALSYNC_STATUS_CALLERS"] = PLATFORM
    os.environ["CALSYNC_STATUS_AUDIENCE"] = AUDIENCE
    reset_services()
    return browser


def test_status_without_a_token_is_401(guarded: Browser) -> None:
    """No ID token: 401 with a Bearer challenge, and nothing about the organizer."""
    reply = guarded.client.get(STATUS)
    assert reply.status_code == 401
    assert reply.headers["WWW-Authenticate"].startswith("Bearer")
    assert reply.get_json() == {"error": "id_token_required"}


def test_the_platforms_id_token_reads_status(guarded: Browser, sandbox: Any, stack: Any) -> None:
    """The platform's service account, with a token for this function, gets the health."""
    token = _id_token(sandbox, stack, PLATFORM)
    reply = guarded.client.get(STATUS, headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 200
    assert reply.get_json()["health"] == "not_connected"


def test_another_service_accounts_id_token_is_refused(
    guarded: Browser, sandbox: Any, stack: Any
) -> None:
    """A genuine Google ID token of anyone else: 403."""
    token = _id_token(sandbox, stack, OTHER)
    reply = guarded.client.get(STATUS, headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 403
    assert reply.get_json() == {"error": "caller_not_allowed"}


def test_the_platforms_token_for_another_audience_is_refused(
    guarded: Browser, sandbox: Any, stack: Any
) -> None:
    """A token the platform minted for rooms cannot be replayed against /status."""
    token = _id_token(sandbox, stack, PLATFORM, audience="https://rooms-123.run.app")
    reply = guarded.client.get(STATUS, headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 403
    assert reply.get_json() == {"error": "invalid_id_token"}


def test_a_forged_token_is_refused(guarded: Browser) -> None:
    """Not signed by Google: 403."""
    forged = "eyJhbGciOiJub25lIn0.eyJlbWFpbCI6ImxlYXJuaW5nLXBsYXRmb3JtIn0."
    reply = guarded.client.get(STATUS, headers={"Authorization": f"Bearer {forged}"})
    assert reply.status_code == 403
