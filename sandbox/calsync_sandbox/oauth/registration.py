"""What the token endpoint later accepts: OAuth clients, users' grants and service accounts.

    client = create_client(world, ["http://localhost:8080/callback"])
    grant = create_grant(world, "alice@acme.com", client.client_id, [CALENDAR_SCOPE])
    key_file = create_service_account(world, "sync@proj.iam.gserviceaccount.com", dwd=True,
                                      token_uri=base_url + "/token")

The control API calls these (tests seed credentials directly); the consent flow creates grants
too (:mod:`.token_endpoint`, ``access_type=offline``).
"""

from __future__ import annotations

import secrets

from ..state.credentials import Grant, OAuthClient
from ..state.identities import ServiceAccount
from ..state.world import World
from . import jwt

__all__ = ["create_client", "create_grant", "create_service_account"]


def create_client(
    world: World,
    redirect_uris: list[str] | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
) -> OAuthClient:
    """Register an OAuth client (with the given id and secret, or fresh random ones)."""
    client = OAuthClient(
        client_id=client_id
        or f"{secrets.randbelow(10**12):012d}-sandbox.apps.googleusercontent.com",
        client_secret=client_secret or "GOCSPX-" + secrets.token_urlsafe(21),
        redirect_uris=list(redirect_uris or []),
    )
    world.clients[client.client_id] = client
    return client


def create_grant(
    world: World, email: str, client_id: str, scopes: list[str], refresh_token: str | None = None
) -> Grant:
    """Record a user's consent and return it (with the given refresh token, or a fresh one)."""
    if world.active_user(email) is None:
        raise ValueError(f"no active user {email}")
    if client_id not in world.clients:
        raise ValueError(f"no OAuth client {client_id}")
    grant = Grant(
        refresh_token or "1//sandbox-" + secrets.token_urlsafe(40),
        email.lower(),
        client_id,
        tuple(scopes),
    )
    world.grants[grant.refresh_token] = grant
    return grant


def create_service_account(
    world: World,
    email: str,
    dwd: bool,
    token_uri: str,
    private_key_pem: str | None = None,
    private_key_id: str | None = None,
) -> dict[str, str]:
    """Create a service account; return its key file contents (``type: service_account``).

    ``private_key_pem`` (and ``private_key_id``) re-create an account with a key the caller
    already holds, e.g. after a reset, so credentials handed out earlier keep working.
    """
    key = jwt.load_private_key(private_key_pem) if private_key_pem else jwt.generate_key()
    key_id = private_key_id or secrets.token_hex(20)
    account = ServiceAccount(
        email.lower(), dwd, key_id, jwt.public_pem(key), str(10**20 + secrets.randbelow(10**20))
    )
    world.service_accounts[account.email] = account
    world.ensure_primary_calendar(account.email)
    return {
        "type": "service_account",
        "project_id": account.email.partition("@")[2].split(".")[0] or "sandbox",
        "private_key_id": key_id,
        "private_key": jwt.private_pem(key),
        "client_email": account.email,
        "client_id": account.client_id,
        "auth_uri": token_uri.rsplit("/", 1)[0] + "/o/oauth2/v2/auth",
        "token_uri": token_uri,
    }
