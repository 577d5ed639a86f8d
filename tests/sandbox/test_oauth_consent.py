"""The sandbox's consent screen, id_token claims and signing-key rotation (control API)."""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.parse
from typing import Any

import google.auth.transport.requests
import pytest
import requests
from google.oauth2 import id_token
from sandbox_helpers import CALENDAR_SCOPE

from calsync_sandbox import SandboxControl

REDIRECT = "http://localhost/callback"
SCOPES = f"openid email {CALENDAR_SCOPE}"


def consent(base_url: str, client: dict[str, str], email: str, **extra: str) -> dict[str, str]:
    """Open the consent URL for ``email``; the redirect's query (code, state, scope or error)."""
    verifier = "v" * 64
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    params = {
        "client_id": client["client_id"],
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": SCOPES,
        "state": "st",
        "access_type": "offline",
        "login_hint": email,
        "code_challenge": challenge.decode(),
        "code_challenge_method": "S256",
        **extra,
    }
    reply = requests.get(
        base_url + "/o/oauth2/v2/auth", params=params, allow_redirects=False, timeout=10
    )
    assert reply.status_code == 302, reply.text
    query = urllib.parse.parse_qs(urllib.parse.urlparse(reply.headers["Location"]).query)
    return {k: v[0] for k, v in query.items()}


def exchange(base_url: str, client: dict[str, str], code: str) -> dict[str, Any]:
    """The token endpoint's answer for ``code``."""
    reply = requests.post(
        base_url + "/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": "v" * 64,
            **client,
        },
        timeout=10,
    )
    body: dict[str, Any] = reply.json()
    return body


def claims_of(token: str) -> dict[str, Any]:
    """The unverified claims of a JWT."""
    body = token.split(".")[1]
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return data


def test_consent_can_be_denied(ctl: SandboxControl, base_url: str) -> None:
    """set_consent(deny=True): the redirect carries error=access_denied and the state."""
    ctl.seed_user("alice@acme.com")
    client = ctl.create_oauth_client()
    ctl.set_consent("alice@acme.com", deny=True)
    assert consent(base_url, client, "alice@acme.com") == {"error": "access_denied", "state": "st"}


def test_consent_can_grant_only_some_scopes(ctl: SandboxControl, base_url: str) -> None:
    """set_consent(scopes=[...]): the code and the token carry only those of the requested."""
    ctl.seed_user("alice@acme.com")
    client = ctl.create_oauth_client()
    ctl.set_consent("alice@acme.com", scopes=["openid", "email"])
    query = consent(base_url, client, "alice@acme.com")
    assert query["scope"] == "openid email"
    assert exchange(base_url, client, query["code"])["scope"] == "email openid"
    ctl.set_consent("alice@acme.com")
    assert consent(base_url, client, "alice@acme.com")["scope"] == SCOPES


def test_id_token_claims_follow_the_seeded_user(ctl: SandboxControl, base_url: str) -> None:
    """email_verified and hd are controllable: unverified, consumer (no hd), another hd."""
    client = ctl.create_oauth_client()
    cases = [
        ("alice@acme.com", {}, True, "acme.com"),
        ("una@acme.com", {"email_verified": False}, False, "acme.com"),
        ("carl@acme.com", {"hosted_domain": ""}, True, None),
        ("otto@acme.com", {"hosted_domain": "other.example"}, True, "other.example"),
    ]
    for email, seed, verified, hd in cases:
        ctl.seed_user(email, **seed)
        tokens = exchange(base_url, client, consent(base_url, client, email)["code"])
        claims = claims_of(tokens["id_token"])
        assert claims["email_verified"] is verified, email
        assert claims.get("hd") == hd, email


def test_bad_code_challenge_method_is_refused(ctl: SandboxControl, base_url: str) -> None:
    """Only S256 and plain exist."""
    ctl.seed_user("alice@acme.com")
    client = ctl.create_oauth_client()
    reply = requests.get(
        base_url + "/o/oauth2/v2/auth",
        params={
            "client_id": client["client_id"],
            "redirect_uri": REDIRECT,
            "scope": "openid",
            "login_hint": "alice@acme.com",
            "code_challenge": "x",
            "code_challenge_method": "S512",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert reply.status_code == 400


def test_wrong_pkce_verifier_is_invalid_grant(ctl: SandboxControl, base_url: str) -> None:
    """A code cannot be exchanged without its verifier."""
    ctl.seed_user("alice@acme.com")
    client = ctl.create_oauth_client()
    code = consent(base_url, client, "alice@acme.com")["code"]
    reply = requests.post(
        base_url + "/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": "w" * 64,
            **client,
        },
        timeout=10,
    )
    assert (reply.status_code, reply.json()["error"]) == (400, "invalid_grant")


def test_rotated_signing_keys_stay_published_until_retired(
    ctl: SandboxControl, base_url: str
) -> None:
    """After a rotation new id_tokens use the new kid; both keys are published and verify."""
    ctl.seed_user("alice@acme.com")
    client = ctl.create_oauth_client()
    old = exchange(base_url, client, consent(base_url, client, "alice@acme.com")["code"])
    rotated = ctl.rotate_signing_key()
    new = exchange(base_url, client, consent(base_url, client, "alice@acme.com")["code"])
    header = json.loads(base64.urlsafe_b64decode(new["id_token"].split(".")[0] + "=="))
    assert header["kid"] == rotated["kid"]
    jwks = requests.get(base_url + "/oauth2/v3/certs", timeout=10)
    assert [k["kid"] for k in jwks.json()["keys"]] == rotated["published"]
    assert "max-age" in jwks.headers["Cache-Control"]
    request = google.auth.transport.requests.Request()
    for tokens in (old, new):
        id_token.verify_token(
            tokens["id_token"],
            request,
            audience=client["client_id"],
            certs_url=base_url + "/oauth2/v1/certs",
        )
    assert ctl.rotate_signing_key(retire_previous=True)["published"] != rotated["published"]
    with pytest.raises(ValueError, match="Certificate for key id"):
        id_token.verify_token(
            new["id_token"],
            request,
            audience=client["client_id"],
            certs_url=base_url + "/oauth2/v1/certs",
        )


def test_the_consent_screen_can_wait_for_the_persons_click(
    ctl: SandboxControl, base_url: str
) -> None:
    """set_consent(screen=True): a page naming the account and the permissions; its Allow
    POSTs back and redirects with a code, its Cancel with error=access_denied."""
    ctl.seed_user("alice@acme.com")
    client = ctl.create_oauth_client()
    ctl.set_consent("alice@acme.com", screen=True)
    params = {
        "client_id": client["client_id"],
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": SCOPES,
        "state": "st",
        "login_hint": "alice@acme.com",
    }
    page = requests.get(base_url + "/o/oauth2/v2/auth", params=params, timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "alice@acme.com" in page.text
    assert CALENDAR_SCOPE in page.text
    assert 'id="allow"' in page.text
    for decision, expected in (("allow", {"code", "scope", "state"}), ("deny", {"error", "state"})):
        reply = requests.post(
            base_url + "/o/oauth2/v2/auth",
            data={**params, "decision": decision},
            allow_redirects=False,
            timeout=10,
        )
        assert reply.status_code == 302
        query = urllib.parse.parse_qs(urllib.parse.urlparse(reply.headers["Location"]).query)
        assert set(query) == expected
        assert query["state"] == ["st"]
    ctl.set_consent("alice@acme.com")
    assert "code" in consent(base_url, client, "alice@acme.com")
