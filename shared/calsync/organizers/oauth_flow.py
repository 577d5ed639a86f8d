"""The pure parts of the organizer connect flow: scopes, PKCE, signed state, the consent URL.

No I/O here. The state a browser carries to Google and back is
``base64url(payload) "." base64url(HMAC-SHA256(key, payload))``; the payload binds the
flow's purpose, tenant, organizer, a random nonce and an expiry (10 minutes). The signature
proves calsync issued it; the one-time use and the PKCE verifier live server-side in
``oauth_states`` (:mod:`calsync.organizers.flow_states`)::

    signer = StateSigner(settings.oauth.state_signing_key)
    claims = StateClaims.new("connect", "acme", "alice@acme.com")
    pkce = Pkce.new()
    url = consent_url(endpoints.auth_uri, client_id, redirect_uri, signer.sign(claims),
                      pkce.challenge, claims, hd="acme.com", oidc_nonce=nonce)
    ...
    claims = signer.verify(state_from_query)          # raises InvalidState
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import asdict, dataclass
from typing import Literal
from urllib.parse import urlencode

from calsync.errors import CalsyncError

__all__ = [
    "CONNECT_SCOPES",
    "IDENTITY_SCOPES",
    "SCOPE_DESCRIPTIONS",
    "STATE_LIFETIME_SECONDS",
    "InvalidState",
    "Pkce",
    "Purpose",
    "StateClaims",
    "StateSigner",
    "consent_url",
    "missing_scopes",
]

IDENTITY_SCOPES: tuple[str, ...] = ("openid", "email")
"""Who the person is (the id_token's ``email``, ``email_verified``, ``hd``)."""

CONNECT_SCOPES: tuple[str, ...] = (
    *IDENTITY_SCOPES,
    "https://www.googleapis.com/auth/calendar.events",
    "https://www.googleapis.com/auth/calendar",
    "https://www.googleapis.com/auth/admin.directory.resource.calendar.readonly",
)
"""Everything an organizer grants (docs/deployment.md, "Trust the OAuth app"): their events,
their calendars (secondary calendars, free/busy) and read-only Calendar resources (rooms)."""

SCOPE_DESCRIPTIONS: dict[str, str] = {
    "openid": "Associate you with your personal info on Google",
    "email": "See your primary Google Account email address",
    "https://www.googleapis.com/auth/calendar.events": "View and edit events on all your calendars",
    "https://www.googleapis.com/auth/calendar": (
        "See, edit, share, and permanently delete all the calendars you can access"
    ),
    "https://www.googleapis.com/auth/admin.directory.resource.calendar.readonly": (
        "View calendar resources on your domain"
    ),
}
"""What Google's consent screen calls each scope (so a person can find the missing box)."""

STATE_LIFETIME_SECONDS = 600
_STATE_CONTEXT = b"calsync/oauth-state/v1\x00"
_MIN_KEY_BYTES = 32

Purpose = Literal["connect", "disconnect"]


class InvalidState(CalsyncError):
    """The ``state`` is missing, forged, malformed, expired or already used."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class StateClaims:
    """What a state binds: purpose, tenant, organizer, a one-time nonce and its expiry."""

    purpose: Purpose
    tenant_id: str
    organizer: str
    nonce: str
    expires_at: int

    @classmethod
    def new(
        cls, purpose: Purpose, tenant_id: str, organizer: str, now: float | None = None
    ) -> StateClaims:
        """Fresh claims that expire ``STATE_LIFETIME_SECONDS`` from ``now``."""
        issued = time.time() if now is None else now
        return cls(
            purpose=purpose,
            tenant_id=tenant_id,
            organizer=organizer.lower(),
            nonce=secrets.token_urlsafe(32),
            expires_at=int(issued) + STATE_LIFETIME_SECONDS,
        )

    @property
    def record_id(self) -> str:
        """The ``oauth_states`` document id: a digest, so Firestore never holds the nonce."""
        return hashlib.sha256(self.nonce.encode("ascii")).hexdigest()


class StateSigner:
    """Signs and verifies states with HMAC-SHA256 (``CALSYNC_STATE_SIGNING_KEY``)."""

    def __init__(self, key: str) -> None:
        if len(key.encode()) < _MIN_KEY_BYTES:
            raise ValueError(f"the state signing key must be at least {_MIN_KEY_BYTES} bytes")
        self._key = key.encode()

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, _STATE_CONTEXT + payload, hashlib.sha256).digest()

    def sign(self, claims: StateClaims) -> str:
        """The state string for ``claims``."""
        payload = json.dumps(asdict(claims), separators=(",", ":"), sort_keys=True).encode()
        return _b64(payload) + "." + _b64(self._mac(payload))

    def verify(self, state: str | None, now: float | None = None) -> StateClaims:
        """The claims of a state calsync signed and that has not expired; else InvalidState."""
        if not state:
            raise InvalidState("missing")
        head, _, mac = state.partition(".")
        try:
            payload, signature = _unb64(head), _unb64(mac)
        except (ValueError, binascii.Error):
            raise InvalidState("malformed") from None
        if not hmac.compare_digest(signature, self._mac(payload)):
            raise InvalidState("bad_signature")
        try:
            claims = StateClaims(**json.loads(payload))
        except (ValueError, TypeError):
            raise InvalidState("malformed") from None
        if claims.expires_at <= (time.time() if now is None else now):
            raise InvalidState("expired")
        return claims


@dataclass(frozen=True)
class Pkce:
    """A PKCE pair (RFC 7636, ``S256``): the verifier stays with calsync."""

    verifier: str
    challenge: str

    @classmethod
    def new(cls) -> Pkce:
        """A 64-character verifier from ``[A-Za-z0-9_-]`` and its S256 challenge."""
        return cls.for_verifier(secrets.token_urlsafe(48))

    @classmethod
    def for_verifier(cls, verifier: str) -> Pkce:
        """The pair of a verifier kept server-side (its challenge is recomputed)."""
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        return cls(verifier, _b64(digest))


def consent_url(
    auth_uri: str,
    *,
    client_id: str,
    redirect_uri: str,
    state: str,
    code_challenge: str,
    login_hint: str,
    hd: str | None,
    oidc_nonce: str,
    purpose: Purpose = "connect",
) -> str:
    """Google's authorization URL for a connect (offline, consent, all scopes) or a
    disconnect (identity only: the person proves who they are)."""
    params = {
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "state": state,
        "code_challenge": code_challenge,
        "code_challenge_method": "S256",
        "login_hint": login_hint,
        "nonce": oidc_nonce,
    }
    if purpose == "connect":
        params |= {
            "scope": " ".join(CONNECT_SCOPES),
            "access_type": "offline",
            "prompt": "consent",
            "include_granted_scopes": "true",
        }
    else:
        params |= {"scope": " ".join(IDENTITY_SCOPES), "prompt": "select_account"}
    if hd:
        params["hd"] = hd
    return auth_uri + ("&" if "?" in auth_uri else "?") + urlencode(params)


def missing_scopes(granted: str | list[str] | tuple[str, ...]) -> list[str]:
    """The connect scopes absent from Google's granted ``scope`` (space-delimited or a list).

    ``openid`` is implied by an id_token and Google reports ``email`` as its URL form.
    """
    have = set(granted.split() if isinstance(granted, str) else granted)
    aliases = {"email": "https://www.googleapis.com/auth/userinfo.email"}
    return [
        scope
        for scope in CONNECT_SCOPES
        if scope != "openid" and scope not in have and aliases.get(scope) not in have
    ]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
