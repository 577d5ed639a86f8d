"""Who is who: seeded Workspace users, service accounts, and the caller a request acts as.

user = User("alice@acme.com", "Alice", admin=True)
caller = Principal("alice@acme.com", scopes=frozenset({CALENDAR_SCOPE}))
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

__all__ = ["Principal", "ServiceAccount", "User"]


@dataclass
class User:
    """A seeded Workspace user."""

    email: str
    display_name: str
    admin: bool = False
    suspended: bool = False
    id: str = field(default_factory=lambda: str(100000000000000000000 + uuid.uuid4().int % 10**20))
    email_verified: bool = True
    """The id_token's ``email_verified`` claim."""
    hosted_domain: str | None = None
    """The id_token's ``hd`` claim: None = the email's domain if seeded, "" = no claim
    (a consumer account), anything else = that value."""


@dataclass
class ServiceAccount:
    """A service account with one RSA key; ``dwd`` = domain-wide delegation authorised."""

    email: str
    dwd: bool
    key_id: str
    public_key_pem: bytes
    client_id: str
    delegation: dict[str, tuple[str, ...]] | None = None
    """Domain-wide delegation as each tenant's Admin console authorised it: domain -> the scopes
    authorised for this client id there. None: every scope in every domain (``dwd`` alone)."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user (possibly through delegation) or a bare service account."""

    email: str
    service_account: bool = False
    scopes: frozenset[str] | None = None
    client_id: str | None = None
    """The OAuth client (or service account's client id) the token was issued to; None for
    tokens minted by the control API."""
