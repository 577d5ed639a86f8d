"""Access tokens: minting, the bearer check on every API call, and revocation.

    token = mint_token(world, "alice@acme.com")                  # control-minted access token
    principal = authenticate(world, "Bearer " + token.token, method.scopes)
    revoke(world, refresh_or_access_token)

All functions run with ``world.lock`` held. An API call without a valid, unexpired sandbox
token, or whose user is now suspended, or whose grant was revoked, is 401 ``authError`` (with a
``WWW-Authenticate`` header); a token lacking every scope the method accepts is 403
``insufficientPermissions``. Revoking an unknown token is the OAuth error 400 ``invalid_token``.
Revoking any token of a grant revokes every grant of that user for that client (strict reading,
switch ``revoke_kills_all_grants``).
"""

from __future__ import annotations

import secrets

from ..errors import ApiError, OAuthError
from ..state.credentials import AccessToken
from ..state.identities import Principal
from ..state.world import World
from .id_tokens import ISSUER

__all__ = ["authenticate", "mint_token", "revoke"]

_INVALID_CREDENTIALS = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie "
    "or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)


def _unauthenticated() -> ApiError:
    return ApiError(
        401,
        "authError",
        _INVALID_CREDENTIALS,
        location_type="header",
        location="Authorization",
        headers={"WWW-Authenticate": f'Bearer realm="{ISSUER}/", error="invalid_token"'},
    )


def mint_token(
    world: World,
    email: str,
    *,
    service_account: bool = False,
    scopes: tuple[str, ...] | None = None,
    grant: str | None = None,
    client_id: str | None = None,
) -> AccessToken:
    """Create an access token that lives for the configured lifetime."""
    token = AccessToken(
        token="ya29.sandbox-" + secrets.token_urlsafe(32),
        email=email.lower(),
        service_account=service_account,
        scopes=frozenset(scopes) if scopes is not None else None,
        expires_at=world.clock.time() + world.settings.token_lifetime,
        grant=grant,
        client_id=client_id,
    )
    world.tokens[token.token] = token
    return token


def authenticate(
    world: World, authorization: str | None, method_scopes: tuple[str, ...]
) -> Principal:
    """The caller behind an ``Authorization`` header, or ApiError 401/403."""
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise _unauthenticated()
    token = world.tokens.get(value.strip())
    if token is None or token.expires_at <= world.clock.time():
        raise _unauthenticated()
    grant = world.grants.get(token.grant) if token.grant else None
    if grant is not None and grant.revoked:
        raise _unauthenticated()
    if not token.service_account and world.active_user(token.email) is None:
        raise _unauthenticated()
    if token.scopes is not None and method_scopes and not token.scopes & set(method_scopes):
        raise ApiError(
            403, "insufficientPermissions", "Request had insufficient authentication scopes."
        )
    return Principal(token.email, token.service_account, token.scopes, token.client_id)


def revoke(world: World, token: str) -> None:
    """Revoke a refresh token, or the grant behind an access token."""
    grant = world.grants.get(token)
    access = world.tokens.get(token)
    if grant is None and access is not None and access.grant:
        grant = world.grants.get(access.grant)
    if grant is None and access is None:
        raise OAuthError(400, "invalid_token", "Token expired or revoked")
    if grant is not None:
        grant.revoked = True
        if world.strictness.revoke_kills_all_grants:
            _revoke_all_of(world, grant.email, grant.client_id)
    if access is not None:
        access.expires_at = 0


def _revoke_all_of(world: World, email: str, client_id: str) -> None:
    """Strict reading: revoking one token ends the app's whole grant for that user (every
    refresh token of ``email`` for ``client_id``, and the access tokens minted from them)."""
    for grant in world.grants.values():
        if grant.email == email and grant.client_id == client_id:
            grant.revoked = True
