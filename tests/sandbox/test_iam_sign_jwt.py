"""IAM Credentials signJwt: keyless service accounts, the token creator role, the token endpoint."""

from __future__ import annotations

import json
import time
from typing import Any

import requests

from calsync_sandbox import SandboxControl

DELEGATE = "calsync-admin-dwd@platform-project.iam.gserviceaccount.com"
RUNTIME = "calsync-orphan-sweeper@platform-project.iam.gserviceaccount.com"
CALENDAR = "https://www.googleapis.com/auth/calendar"


def _runtime_token(ctl: SandboxControl) -> str:
    ctl.create_service_account(RUNTIME)
    token: str = ctl.mint_token(RUNTIME)["access_token"]
    return token


def _sign(base_url: str, token: str, claims: dict[str, Any], account: str = DELEGATE) -> Any:
    return requests.post(
        f"{base_url}/v1/projects/-/serviceAccounts/{account}:signJwt",
        headers={"Authorization": f"Bearer {token}"},
        json={"payload": json.dumps(claims)},
        timeout=10,
    )


def _claims(base_url: str, subject: str = "alice@acme.com") -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": DELEGATE,
        "sub": subject,
        "scope": CALENDAR,
        "aud": base_url + "/token",
        "iat": now,
        "exp": now + 3600,
    }


def test_keyless_account_hands_out_no_key(ctl: SandboxControl) -> None:
    """Creating a keyless account returns its email and client id, never a private key."""
    created = ctl.create_keyless_service_account(DELEGATE, domain_wide_delegation=True)
    assert set(created) == {"email", "client_id"}


def test_token_creator_signs_an_assertion_the_token_endpoint_accepts(
    ctl: SandboxControl, base_url: str
) -> None:
    """Signed by IAM for a token creator, the assertion buys a token acting as the subject."""
    ctl.seed_user("alice@acme.com")
    ctl.create_keyless_service_account(DELEGATE, domain_wide_delegation=True)
    token = _runtime_token(ctl)
    ctl.grant_token_creator(DELEGATE, RUNTIME)
    signed = _sign(base_url, token, _claims(base_url))
    assert signed.status_code == 200
    reply = requests.post(
        base_url + "/token",
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "assertion": signed.json()["signedJwt"],
        },
        timeout=10,
    )
    assert reply.status_code == 200
    calendars = requests.get(
        base_url + "/calendar/v3/users/me/calendarList",
        headers={"Authorization": "Bearer " + reply.json()["access_token"]},
        timeout=10,
    )
    assert calendars.status_code == 200


def test_caller_without_the_token_creator_role_is_refused(
    ctl: SandboxControl, base_url: str
) -> None:
    """No roles/iam.serviceAccountTokenCreator on the account: 403 PERMISSION_DENIED."""
    ctl.create_keyless_service_account(DELEGATE, domain_wide_delegation=True)
    token = _runtime_token(ctl)
    reply = _sign(base_url, token, _claims(base_url))
    assert reply.status_code == 403
    assert reply.json()["error"]["status"] == "PERMISSION_DENIED"


def test_role_on_another_account_does_not_reach_this_one(
    ctl: SandboxControl, base_url: str
) -> None:
    """The role is granted per service account, not project-wide."""
    other = "calsync-other@platform-project.iam.gserviceaccount.com"
    ctl.create_keyless_service_account(DELEGATE, domain_wide_delegation=True)
    ctl.create_keyless_service_account(other)
    token = _runtime_token(ctl)
    ctl.grant_token_creator(other, RUNTIME)
    assert _sign(base_url, token, _claims(base_url)).status_code == 403


def test_unknown_account_looks_like_a_refusal(ctl: SandboxControl, base_url: str) -> None:
    """Google does not say whether the account exists: 403 as for a missing role."""
    token = _runtime_token(ctl)
    reply = _sign(base_url, token, _claims(base_url), account="nobody@x.iam.gserviceaccount.com")
    assert reply.status_code == 403


def test_call_without_a_bearer_token_is_401(ctl: SandboxControl, base_url: str) -> None:
    """signJwt needs the caller's own access token."""
    ctl.create_keyless_service_account(DELEGATE, domain_wide_delegation=True)
    reply = requests.post(
        f"{base_url}/v1/projects/-/serviceAccounts/{DELEGATE}:signJwt",
        json={"payload": "{}"},
        timeout=10,
    )
    assert reply.status_code == 401


def test_expiry_more_than_twelve_hours_ahead_is_invalid(ctl: SandboxControl, base_url: str) -> None:
    """Google refuses to sign a JWT that would live longer than 12 hours."""
    ctl.create_keyless_service_account(DELEGATE, domain_wide_delegation=True)
    token = _runtime_token(ctl)
    ctl.grant_token_creator(DELEGATE, RUNTIME)
    claims = {**_claims(base_url), "exp": int(time.time()) + 13 * 3600}
    assert _sign(base_url, token, claims).status_code == 400


def test_sign_calls_are_logged_with_the_caller(ctl: SandboxControl, base_url: str) -> None:
    """The request log names the calling identity under iamcredentials.signJwt."""
    ctl.create_keyless_service_account(DELEGATE, domain_wide_delegation=True)
    token = _runtime_token(ctl)
    ctl.grant_token_creator(DELEGATE, RUNTIME)
    _sign(base_url, token, _claims(base_url))
    logged = ctl.requests(method_id="iamcredentials.signJwt")
    assert [(r["user"], r["status"]) for r in logged] == [(RUNTIME, 200)]


def test_generate_id_token_is_signed_by_google_for_the_audience(
    ctl: SandboxControl, base_url: str
) -> None:
    """A token creator gets an OpenID token of the account, verifiable at the JWKS URI."""
    import google.auth.transport.requests
    from google.oauth2 import id_token

    platform = "learning-platform@platform-project.iam.gserviceaccount.com"
    ctl.create_service_account(platform)
    ctl.grant_token_creator(platform, platform)
    token = ctl.mint_token(platform)["access_token"]
    reply = requests.post(
        f"{base_url}/v1/projects/-/serviceAccounts/{platform}:generateIdToken",
        headers={"Authorization": f"Bearer {token}"},
        json={"audience": "https://oauth-callback.example", "includeEmail": True},
        timeout=10,
    )
    assert reply.status_code == 200
    claims = id_token.verify_token(
        reply.json()["token"],
        google.auth.transport.requests.Request(),
        audience="https://oauth-callback.example",
        certs_url=base_url + "/oauth2/v1/certs",
    )
    assert (claims["email"], claims["email_verified"]) == (platform, True)


def test_generate_id_token_needs_the_token_creator_role(ctl: SandboxControl, base_url: str) -> None:
    """Without the role on the account: 403, as for signJwt."""
    platform = "learning-platform@platform-project.iam.gserviceaccount.com"
    ctl.create_service_account(platform)
    token = _runtime_token(ctl)
    reply = requests.post(
        f"{base_url}/v1/projects/-/serviceAccounts/{platform}:generateIdToken",
        headers={"Authorization": f"Bearer {token}"},
        json={"audience": "https://oauth-callback.example"},
        timeout=10,
    )
    assert reply.status_code == 403
