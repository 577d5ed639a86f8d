"""The OAuth records the world keeps: clients, grants, consent rules, codes and access tokens.

    grant = Grant("1//sandbox-...", "alice@acme.com", client_id, scopes=("openid",))
    token = AccessToken("ya29.sandbox-...", "alice@acme.com", False, None, expires_at=...)

:mod:`calsync_sandbox.oauth` creates and checks them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["AccessToken", "AuthCode", "ConsentRule", "Grant", "OAuthClient"]


@dataclass
class OAuthClient:
    """An OAuth 2.0 web client."""

    client_id: str
    client_secret: str
    redirect_uris: list[str] = field(default_factory=list)


@dataclass
class Grant:
    """A user's consent to a client, represented by its refresh token."""

    refresh_token: str
    email: str
    client_id: str
    scopes: tuple[str, ...]
    revoked: bool = False


@dataclass(frozen=True)
class ConsentRule:
    """How the consent screen answers for one user: deny, or grant only ``scopes``; with
    ``screen``, it shows a page and waits for the person's click instead of answering."""

    deny: bool = False
    scopes: tuple[str, ...] | None = None
    """None = every requested scope; otherwise only the requested scopes listed here."""
    screen: bool = False


@dataclass
class AuthCode:
    """A one-time authorization code from the consent endpoint."""

    code: str
    email: str
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    offline: bool
    code_challenge: str | None
    code_challenge_method: str
    nonce: str | None


@dataclass
class AccessToken:
    """A bearer token minted by the sandbox."""

    token: str
    email: str
    """The identity the token acts as (a user, or the service account itself)."""
    service_account: bool
    scopes: frozenset[str] | None
    """None = not restricted (control-minted tokens without scopes)."""
    expires_at: float
    grant: str | None = None
    """Refresh token this access token came from, if any."""
    client_id: str | None = None
    """The OAuth client, or the service account's client id, it was issued to (None: minted
    by the control API)."""
