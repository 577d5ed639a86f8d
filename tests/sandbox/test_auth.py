"""Bearer tokens, the token endpoint (refresh, JWT bearer, code) and revocation."""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.parse

import google.auth.transport.requests
import google.oauth2.service_account
import pytest
import requests
from google.auth.exceptions import RefreshError
from google.oauth2 import id_token
from googleapiclient.errors import HttpError
from sandbox_helpers import CALENDAR_SCOPE, build_calendar, error_reason

from calsync_sandbox import SandboxControl


def test_call_without_token_is_401_auth_error(ctl: SandboxControl, base_url: str) -> None:
    """No Authorization header gives Google's 401 body with reason authError."""
    ctl.seed_user("alice@acme.com")
    reply = requests.get(base_url + "/calendar/v3/users/me/calendarList", timeout=10)
    assert reply.status_code == 401
    error = reply.json()["error"]
    assert error["errors"][0]["reason"] == "authError"
    assert error["status"] == "UNAUTHENTICATED"


def test_unknown_token_is_401(ctl: SandboxControl, base_url: str) -> None:
    """A token the sandbox did not mint is refused."""
    reply = requests.get(
        base_url + "/calendar/v3/users/me/calendarList",
        headers={"Authorization": "Bearer ya29.made-up"},
        timeout=10,
    )
    assert reply.status_code == 401


def test_expired_token_is_refreshed_by_google_auth(calendar_for, ctl: SandboxControl) -> None:
    """After expire_tokens the client gets 401, refreshes at /token and retries transparently."""
    cal = calendar_for("alice@acme.com")
    cal.calendarList().list().execute()
    ctl.expire_tokens()
    cal.calendarList().list().execute()
    statuses = [r["status"] for r in ctl.requests(method_id="calendar.calendarList.list")]
    assert statuses == [200, 401, 200]
    assert ctl.request_counts()["counts"]["oauth2.token"] == 2


def test_token_lifetime_is_configurable(user_credentials, ctl: SandboxControl) -> None:
    """expires_in follows the configured lifetime."""
    ctl.set_token_lifetime(120)
    creds = user_credentials("alice@acme.com")
    creds.refresh(google.auth.transport.requests.Request())
    assert creds.expiry is not None
    remaining = (creds.expiry - creds.expiry.now()).total_seconds()
    assert 60 < remaining <= 120


def test_revoked_grant_refresh_is_invalid_grant(user_credentials, ctl: SandboxControl) -> None:
    """Refreshing a revoked grant fails with invalid_grant."""
    creds = user_credentials("alice@acme.com")
    ctl.revoke_grant(creds.refresh_token)
    with pytest.raises(RefreshError, match="invalid_grant"):
        creds.refresh(google.auth.transport.requests.Request())


def test_revoking_one_token_revokes_every_grant_of_the_user_for_that_client(
    user_credentials, base_url: str
) -> None:
    """Strict reading: revoking one refresh token ends the app's whole grant for that user,
    so a second refresh token of the same user and client stops working too."""
    first = user_credentials("alice@acme.com")
    second = user_credentials("alice@acme.com")
    requests.post(base_url + "/revoke", data={"token": first.refresh_token}, timeout=10)
    with pytest.raises(RefreshError, match="invalid_grant"):
        second.refresh(google.auth.transport.requests.Request())


def test_revoking_one_token_leaves_other_grants_when_lenient(
    user_credentials, ctl: SandboxControl, base_url: str
) -> None:
    """With revoke_kills_all_grants off, only the revoked token's grant ends."""
    ctl.strictness(revoke_kills_all_grants=False)
    first = user_credentials("alice@acme.com")
    second = user_credentials("alice@acme.com")
    requests.post(base_url + "/revoke", data={"token": first.refresh_token}, timeout=10)
    second.refresh(google.auth.transport.requests.Request())
    assert second.token


def test_revoking_leaves_other_users_grants(user_credentials, base_url: str) -> None:
    """The strict revocation ends only that user's grants for that client."""
    alice = user_credentials("alice@acme.com")
    bob = user_credentials("bob@acme.com")
    requests.post(base_url + "/revoke", data={"token": alice.refresh_token}, timeout=10)
    bob.refresh(google.auth.transport.requests.Request())
    assert bob.token


def test_suspended_user_token_and_grant_stop_working(calendar_for, ctl: SandboxControl) -> None:
    """Suspension makes the live token 401 and the refresh invalid_grant."""
    cal = calendar_for("alice@acme.com")
    cal.calendarList().list().execute()
    ctl.update_user("alice@acme.com", suspended=True)
    with pytest.raises(RefreshError, match="invalid_grant"):
        cal.calendarList().list().execute()


def test_wrong_client_secret_is_invalid_client(user_credentials) -> None:
    """The refresh checks the client secret."""
    creds = user_credentials("alice@acme.com")
    creds._client_secret = "wrong"
    with pytest.raises(RefreshError, match="invalid_client"):
        creds.refresh(google.auth.transport.requests.Request())


def test_token_without_method_scope_is_403(calendar_for) -> None:
    """A token lacking every scope the method accepts gets insufficientPermissions."""
    cal = calendar_for("alice@acme.com", ["https://www.googleapis.com/auth/drive"])
    with pytest.raises(HttpError) as caught:
        cal.calendarList().list().execute()
    assert caught.value.status_code == 403
    assert error_reason(caught.value) == "insufficientPermissions"


def test_service_account_without_subject_acts_as_itself(
    ctl: SandboxControl, calendar_as_service_account
) -> None:
    """A bare service account's token owns the service account's own calendars."""
    key = ctl.create_service_account("robot@proj.iam.gserviceaccount.com")
    cal = calendar_as_service_account(key)
    created = cal.calendars().insert(body={"summary": "Platform"}).execute()
    assert created["dataOwner"] == "robot@proj.iam.gserviceaccount.com"
    assert ctl.requests(method_id="calendar.calendars.insert")[0]["user"] == key["client_email"]


def test_delegated_subject_acts_as_that_user(
    ctl: SandboxControl, calendar_as_service_account
) -> None:
    """With domain-wide delegation the token acts as the ``sub`` user."""
    ctl.seed_user("ops@acme.com")
    key = ctl.create_service_account(
        "dwd@proj.iam.gserviceaccount.com", domain_wide_delegation=True
    )
    cal = calendar_as_service_account(key, subject="ops@acme.com")
    assert cal.calendars().get(calendarId="primary").execute()["id"] == "ops@acme.com"


def test_subject_without_delegation_is_unauthorized_client(
    ctl: SandboxControl, calendar_as_service_account
) -> None:
    """Impersonating without domain-wide delegation fails at the token endpoint."""
    ctl.seed_user("ops@acme.com")
    key = ctl.create_service_account("plain@proj.iam.gserviceaccount.com")
    cal = calendar_as_service_account(key, subject="ops@acme.com")
    with pytest.raises(RefreshError, match="unauthorized_client"):
        cal.calendarList().list().execute()


def _delegated_to_ops(ctl: SandboxControl) -> dict[str, str]:
    ctl.seed_user("ops@acme.com")
    ctl.seed_domain("other.com")
    ctl.seed_user("ops@other.com")
    key = ctl.create_service_account("dwd@proj.iam.gserviceaccount.com")
    ctl.authorise_delegation(key["client_email"], "acme.com", ["openid"])
    return key


def test_delegation_for_a_scope_not_authorised_is_unauthorized_client(
    ctl: SandboxControl, calendar_as_service_account
) -> None:
    """Strict reading: delegation is authorised per client id and scope; asking for the
    Calendar scope when only openid was authorised fails at the token endpoint."""
    key = _delegated_to_ops(ctl)
    cal = calendar_as_service_account(key, subject="ops@acme.com")
    with pytest.raises(RefreshError, match="unauthorized_client"):
        cal.calendarList().list().execute()


def test_delegation_in_a_domain_not_authorised_is_unauthorized_client(
    ctl: SandboxControl, calendar_as_service_account
) -> None:
    """Authorising the scope in one tenant's domain does not authorise it in another."""
    key = _delegated_to_ops(ctl)
    ctl.authorise_delegation(key["client_email"], "acme.com", [CALENDAR_SCOPE])
    assert calendar_as_service_account(key, subject="ops@acme.com").calendarList().list().execute()
    cal = calendar_as_service_account(key, subject="ops@other.com")
    with pytest.raises(RefreshError, match="unauthorized_client"):
        cal.calendarList().list().execute()


def test_delegation_scopes_are_not_checked_when_lenient(
    ctl: SandboxControl, calendar_as_service_account
) -> None:
    """delegation_checks_scopes off: any scope for any subject of a delegated account."""
    ctl.strictness(delegation_checks_scopes=False)
    key = _delegated_to_ops(ctl)
    cal = calendar_as_service_account(key, subject="ops@other.com")
    assert cal.calendarList().list().execute()["items"]


@pytest.mark.parametrize("suspended", [False, True])
def test_subject_unknown_or_suspended_is_invalid_grant(
    ctl: SandboxControl, calendar_as_service_account, suspended: bool
) -> None:
    """Impersonating a missing or suspended user fails with invalid_grant."""
    if suspended:
        ctl.seed_user("gone@acme.com", suspended=True)
    key = ctl.create_service_account(
        "dwd@proj.iam.gserviceaccount.com", domain_wide_delegation=True
    )
    cal = calendar_as_service_account(key, subject="gone@acme.com")
    with pytest.raises(RefreshError, match="invalid_grant"):
        cal.calendarList().list().execute()


def test_assertion_signed_with_another_key_is_rejected(ctl: SandboxControl, base_url: str) -> None:
    """The JWT bearer grant verifies the RS256 signature with the account's public key."""
    real = ctl.create_service_account("a@proj.iam.gserviceaccount.com")
    other = ctl.create_service_account("b@proj.iam.gserviceaccount.com")
    forged = dict(other, client_email=real["client_email"], private_key_id=real["private_key_id"])
    creds = google.oauth2.service_account.Credentials.from_service_account_info(
        forged, scopes=[CALENDAR_SCOPE]
    )
    with pytest.raises(RefreshError, match="invalid_grant"):
        build_calendar(base_url, creds).calendarList().list().execute()


def test_revoke_endpoint_revokes_the_grant(user_credentials, base_url: str) -> None:
    """POST /revoke with a refresh token makes later refreshes fail."""
    creds = user_credentials("alice@acme.com")
    reply = requests.post(base_url + "/revoke", data={"token": creds.refresh_token}, timeout=10)
    assert reply.status_code == 200
    with pytest.raises(RefreshError, match="invalid_grant"):
        creds.refresh(google.auth.transport.requests.Request())


def test_authorization_code_flow_with_pkce_and_id_token(ctl: SandboxControl, base_url: str) -> None:
    """Consent for login_hint, code exchange with an S256 verifier, id_token verifiable."""
    ctl.seed_user("alice@acme.com")
    client = ctl.create_oauth_client(["http://localhost/callback"])
    verifier = "v" * 64
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    consent = requests.get(
        base_url + "/o/oauth2/v2/auth",
        params={
            "client_id": client["client_id"],
            "redirect_uri": "http://localhost/callback",
            "response_type": "code",
            "scope": f"openid email {CALENDAR_SCOPE}",
            "state": "xyz",
            "access_type": "offline",
            "login_hint": "alice@acme.com",
            "code_challenge": challenge.decode(),
            "code_challenge_method": "S256",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert consent.status_code == 302
    query = urllib.parse.parse_qs(urllib.parse.urlparse(consent.headers["Location"]).query)
    assert query["state"] == ["xyz"]
    token = requests.post(
        base_url + "/token",
        data={
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
            "redirect_uri": "http://localhost/callback",
            "code_verifier": verifier,
        },
        timeout=10,
    ).json()
    assert token["refresh_token"]
    claims = id_token.verify_token(
        token["id_token"],
        google.auth.transport.requests.Request(),
        audience=client["client_id"],
        certs_url=base_url + "/oauth2/v1/certs",
    )
    assert claims["email"] == "alice@acme.com"
    assert claims["hd"] == "acme.com"


def test_jwks_publishes_the_id_token_signing_key(ctl: SandboxControl, base_url: str) -> None:
    """/oauth2/v3/certs lists the RS256 key whose kid signs id_tokens."""
    ctl.seed_user("alice@acme.com")
    client = ctl.create_oauth_client()
    refresh = ctl.create_grant("alice@acme.com", client["client_id"], ["openid", "email"])
    token = requests.post(
        base_url + "/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh, **client},
        timeout=10,
    ).json()
    header = json.loads(base64.urlsafe_b64decode(token["id_token"].split(".")[0] + "=="))
    keys = requests.get(base_url + "/oauth2/v3/certs", timeout=10).json()["keys"]
    assert [(k["kid"], k["alg"], k["kty"]) for k in keys] == [(header["kid"], "RS256", "RSA")]


def test_service_account_can_be_recreated_with_its_old_key(ctl: SandboxControl) -> None:
    """After a reset, re-creating an account with its key keeps old key files working."""
    import google.auth.transport.requests
    from google.oauth2 import service_account

    key = ctl.create_service_account("again@project.iam.gserviceaccount.com")
    ctl.reset()
    ctl.create_service_account("again@project.iam.gserviceaccount.com", key=key)
    credentials = service_account.Credentials.from_service_account_info(
        key, scopes=["https://www.googleapis.com/auth/calendar"]
    )
    credentials.refresh(google.auth.transport.requests.Request())
    assert credentials.token
