"""The pure parts of the connect flow: signed state, PKCE, the consent URL, scopes,
and the identity rules applied to id_token claims."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from calsync.organizers.id_tokens import IdentityRejected, verify_organizer
from calsync.organizers.oauth_flow import (
    CONNECT_SCOPES,
    STATE_LIFETIME_SECONDS,
    InvalidState,
    Pkce,
    StateClaims,
    StateSigner,
    consent_url,
    missing_scopes,
)

KEY = "k" * 43
ALICE = "alice@acme.com"


def test_state_round_trip_binds_purpose_tenant_organizer_and_expiry() -> None:
    """A signed state verifies to the same claims, expiring in 10 minutes."""
    claims = StateClaims.new("connect", "acme", "Alice@Acme.com", now=1000.0)
    assert claims.organizer == ALICE
    assert claims.expires_at == 1000 + STATE_LIFETIME_SECONDS
    signer = StateSigner(KEY)
    assert signer.verify(signer.sign(claims), now=1001.0) == claims


@pytest.mark.parametrize("state", [None, "", "no-dot", "a.b", "%%%.%%%"])
def test_missing_or_malformed_state_is_refused(state: str | None) -> None:
    """Attack: no state, or garbage."""
    with pytest.raises(InvalidState):
        StateSigner(KEY).verify(state)


def test_state_signed_with_another_key_is_refused() -> None:
    """Attack: a forged state (signed by someone without calsync's key)."""
    forged = StateSigner("x" * 43).sign(StateClaims.new("connect", "acme", ALICE))
    with pytest.raises(InvalidState, match="bad_signature"):
        StateSigner(KEY).verify(forged)


def test_state_moved_to_another_tenant_or_organizer_is_refused() -> None:
    """Attack: a valid state whose payload is edited to another tenant keeps its old MAC."""
    signer = StateSigner(KEY)
    state = signer.sign(StateClaims.new("connect", "acme", ALICE))
    head, mac = state.split(".")
    payload = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    for field, value in (("tenant_id", "globex"), ("organizer", "bob@acme.com")):
        edited = json.dumps({**payload, field: value}, separators=(",", ":")).encode()
        tampered = base64.urlsafe_b64encode(edited).rstrip(b"=").decode() + "." + mac
        with pytest.raises(InvalidState, match="bad_signature"):
            signer.verify(tampered)


def test_expired_state_is_refused() -> None:
    """Attack: a state used after its 10 minutes."""
    signer = StateSigner(KEY)
    state = signer.sign(StateClaims.new("connect", "acme", ALICE, now=time.time() - 601))
    with pytest.raises(InvalidState, match="expired"):
        signer.verify(state)


def test_short_signing_key_is_refused() -> None:
    """A guessable HMAC key is a configuration error."""
    with pytest.raises(ValueError, match="at least"):
        StateSigner("short")


def test_pkce_challenge_is_s256_of_the_verifier() -> None:
    """RFC 7636: challenge = BASE64URL(SHA256(verifier)), 43–128 char verifier."""
    pkce = Pkce.new()
    assert 43 <= len(pkce.verifier) <= 128
    digest = hashlib.sha256(pkce.verifier.encode()).digest()
    assert pkce.challenge == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert Pkce.new().verifier != pkce.verifier


def test_connect_url_asks_for_offline_consent_with_every_scope() -> None:
    """The consent URL carries what the issue lists, and the one scope constant."""
    url = consent_url(
        "https://accounts.google.com/o/oauth2/v2/auth",
        client_id="cid",
        redirect_uri="https://cb.example/callback",
        state="S",
        code_challenge="C",
        login_hint=ALICE,
        hd="acme.com",
        oidc_nonce="N",
    )
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert query == {
        "client_id": "cid",
        "redirect_uri": "https://cb.example/callback",
        "response_type": "code",
        "state": "S",
        "code_challenge": "C",
        "code_challenge_method": "S256",
        "login_hint": ALICE,
        "nonce": "N",
        "scope": " ".join(CONNECT_SCOPES),
        "access_type": "offline",
        "prompt": "consent",
        "include_granted_scopes": "true",
        "hd": "acme.com",
    }


def test_disconnect_url_asks_only_who_the_person_is() -> None:
    """A disconnect signs the person in (identity scopes only, no offline access)."""
    url = consent_url(
        "https://a.example/auth",
        client_id="c",
        redirect_uri="r",
        state="s",
        code_challenge="c",
        login_hint=ALICE,
        hd=None,
        oidc_nonce="n",
        purpose="disconnect",
    )
    query = parse_qs(urlsplit(url).query)
    assert query["scope"] == ["openid email"]
    assert "access_type" not in query
    assert "hd" not in query


def test_missing_scopes() -> None:
    """Google's granted list (email may come as its URL form; openid is implied)."""
    full = [s for s in CONNECT_SCOPES if s != "email"] + [
        "https://www.googleapis.com/auth/userinfo.email"
    ]
    assert missing_scopes(" ".join(full)) == []
    assert missing_scopes(["openid", "email", "https://www.googleapis.com/auth/calendar"]) == [
        "https://www.googleapis.com/auth/calendar.events",
        "https://www.googleapis.com/auth/admin.directory.resource.calendar.readonly",
    ]


def _claims(**overrides: object) -> dict[str, object]:
    claims: dict[str, object] = {
        "sub": "1234",
        "email": ALICE,
        "email_verified": True,
        "hd": "acme.com",
        "nonce": "n1",
    }
    claims.update(overrides)
    return claims


def test_verify_organizer_accepts_the_organizer() -> None:
    """The right, verified person of the tenant's domain (``"true"`` as a string too)."""
    assert verify_organizer(_claims(), organizer=ALICE, domains=["acme.com"], nonce="n1") == "1234"
    claims = _claims(email_verified="true", email="ALICE@acme.com")
    assert verify_organizer(claims, organizer=ALICE, domains=["ACME.com"], nonce="n1") == "1234"


@pytest.mark.parametrize(
    ("claims", "code"),
    [
        (_claims(email="bob@acme.com"), "wrong_account"),
        (_claims(email_verified=False), "unverified_email"),
        (_claims(email_verified="false"), "unverified_email"),
        (_claims(hd="evil.example"), "foreign_domain"),
        ({k: v for k, v in _claims().items() if k != "hd"}, "foreign_domain"),
        (_claims(nonce="other"), "invalid_id_token"),
    ],
)
def test_verify_organizer_refuses(claims: dict[str, object], code: str) -> None:
    """Attacks: another account, unverified email, foreign or missing hd, another sign-in."""
    with pytest.raises(IdentityRejected) as caught:
        verify_organizer(claims, organizer=ALICE, domains=["acme.com"], nonce="n1")
    assert caught.value.code == code
