"""Google conformance: Directory queries, Data Transfer, OAuth tokens, revocation, id_tokens,
domain-wide delegation and service accounts."""

from __future__ import annotations

import base64
import hashlib
import urllib.parse
from typing import Any

import pytest
import requests
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import Request as AuthRequest
from google.oauth2 import credentials as user_credentials
from google.oauth2 import id_token, service_account
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from calsync_sandbox import SandboxControl
from tests.google_contract.helpers import error_reason, slot
from tests.google_contract.target import (
    CALENDAR_SCOPE,
    DATATRANSFER_SCOPE,
    USER_READONLY_SCOPE,
    GoogleTarget,
)

CALENDAR_APP = "435070579839"


def test_directory_query_finds_active_users_of_the_domain(google: GoogleTarget) -> None:
    """users.list(domain, query="isSuspended=false") returns the domain's active users."""
    users = google.admin_api("directory_v1", [USER_READONLY_SCOPE]).users()
    found = users.list(domain=google.domain, query="isSuspended=false").execute()["users"]
    assert google.organizer in {u["primaryEmail"] for u in found}
    assert all(not u["suspended"] for u in found)


@pytest.mark.sandbox_only
def test_data_transfer_moves_future_events_and_drops_private_properties(
    google: GoogleTarget, ctl: SandboxControl
) -> None:
    """A Calendar transfer moves future events with guests into "Transferred from <old owner>",
    keeping the iCalUID; private extended properties do not survive (strict reading).

    By hand: in a test tenant, give a throwaway user a future event with a guest and a private
    extended property, transfer their calendar data to another user in the Admin console or
    with transfers.insert, then read the event in the receiver's "Transferred from" calendar."""
    event = google.insert(
        slot(attendees=[{"email": google.guest}], extendedProperties={"private": {"k": "v"}})
    )
    directory = google.admin_api("directory_v1", [USER_READONLY_SCOPE]).users()
    old = directory.get(userKey=google.organizer).execute()["id"]
    new = directory.get(userKey=google.admin).execute()["id"]
    google.admin_api("datatransfer_v1", [DATATRANSFER_SCOPE]).transfers().insert(
        body={
            "oldOwnerUserId": old,
            "newOwnerUserId": new,
            "applicationDataTransfers": [{"applicationId": CALENDAR_APP}],
        }
    ).execute()
    ctl.complete_pending(["transfer"])
    admin = google.calendar(google.admin)
    target = next(
        c["id"]
        for c in admin.calendarList().list().execute()["items"]
        if c["summary"] == f"Transferred from {google.organizer}"
    )
    moved = admin.events().list(calendarId=target).execute()["items"]
    assert [e["iCalUID"] for e in moved] == [event["iCalUID"]]
    assert "private" not in moved[0].get("extendedProperties", {})


def _user_grant(google: GoogleTarget, ctl: SandboxControl) -> tuple[dict[str, str], str, str]:
    client = ctl.create_oauth_client(["http://localhost/callback"])
    first = ctl.create_grant(google.organizer, client["client_id"], [CALENDAR_SCOPE])
    second = ctl.create_grant(google.organizer, client["client_id"], [CALENDAR_SCOPE])
    return client, first, second


def _refresh(google: GoogleTarget, client: dict[str, str], refresh_token: str) -> None:
    creds = user_credentials.Credentials(
        None,
        refresh_token=refresh_token,
        token_uri=f"{google.base_url}/token",
        client_id=client["client_id"],
        client_secret=client["client_secret"],
        scopes=[CALENDAR_SCOPE],
    )
    creds.refresh(AuthRequest())


@pytest.mark.sandbox_only
def test_revoking_one_token_revokes_the_whole_grant(
    google: GoogleTarget, ctl: SandboxControl
) -> None:
    """POST /revoke of one refresh token: a second refresh token of the same user and client
    then fails with invalid_grant.

    By hand: connect the same Google account to a test OAuth client twice (two refresh tokens),
    revoke one at https://oauth2.googleapis.com/revoke, refresh the other."""
    client, first, second = _user_grant(google, ctl)
    _refresh(google, client, second)
    requests.post(f"{google.base_url}/revoke", data={"token": first}, timeout=10)
    with pytest.raises(RefreshError, match="invalid_grant"):
        _refresh(google, client, second)


@pytest.mark.sandbox_only
def test_code_exchange_gives_a_refresh_token_and_a_verifiable_id_token(
    google: GoogleTarget, ctl: SandboxControl
) -> None:
    """The code flow with PKCE S256 returns a refresh token and an id_token that google-auth
    verifies against the published certificates, with the user's email.

    By hand: run the consent flow of a test OAuth client for a test user, exchange the code at
    https://oauth2.googleapis.com/token and verify the id_token with google.oauth2.id_token."""
    client = ctl.create_oauth_client(["http://localhost/callback"])
    verifier = "v" * 64
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    consent = requests.get(
        f"{google.base_url}/o/oauth2/v2/auth",
        params={
            "client_id": client["client_id"],
            "redirect_uri": "http://localhost/callback",
            "response_type": "code",
            "scope": f"openid email {CALENDAR_SCOPE}",
            "state": "s",
            "code_challenge": challenge.decode(),
            "code_challenge_method": "S256",
            "access_type": "offline",
            "login_hint": google.organizer,
        },
        allow_redirects=False,
        timeout=10,
    )
    code = urllib.parse.parse_qs(urllib.parse.urlparse(consent.headers["Location"]).query)["code"]
    tokens = requests.post(
        f"{google.base_url}/token",
        data={
            "grant_type": "authorization_code",
            "code": code[0],
            "redirect_uri": "http://localhost/callback",
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
            "code_verifier": verifier,
        },
        timeout=10,
    ).json()
    assert tokens["refresh_token"]
    claims = id_token.verify_token(
        tokens["id_token"],
        AuthRequest(),
        audience=client["client_id"],
        certs_url=f"{google.base_url}/oauth2/v1/certs",
    )
    assert claims["email"] == google.organizer


def test_delegation_for_a_scope_not_authorised_is_unauthorized_client(
    google: GoogleTarget, ctl_or_none: SandboxControl | None
) -> None:
    """Domain-wide delegation is authorised per client id and scope: asking for a scope the
    tenant did not authorise fails at the token endpoint with unauthorized_client."""
    if ctl_or_none is not None:
        ctl_or_none.authorise_delegation(
            google.key["client_email"], google.domain, [CALENDAR_SCOPE]
        )
    creds = google.credentials(google.organizer, [google.unauthorised_scope])
    with pytest.raises(RefreshError, match="unauthorized_client"):
        creds.refresh(AuthRequest())


def test_a_service_account_cannot_invite_without_delegation(google: GoogleTarget) -> None:
    """The service account acting as itself may not add attendees: 403
    forbiddenForServiceAccounts."""
    creds = service_account.Credentials.from_service_account_info(
        google.key, scopes=[CALENDAR_SCOPE]
    )
    options = {"api_endpoint": google.base_url + "/calendar/v3/"} if google.base_url else None
    cal: Any = build(
        "calendar", "v3", credentials=creds, client_options=options, static_discovery=True
    )
    with pytest.raises(HttpError) as caught:
        cal.events().insert(
            calendarId="primary", body=slot(attendees=[{"email": google.guest}])
        ).execute()
    assert caught.value.status_code == 403
    assert error_reason(caught.value) == "forbiddenForServiceAccounts"
