"""The OAuth 2.0 token endpoint (``POST /token``): refresh, code exchange and JWT bearer.

    reply = token_endpoint(world, form, signer)                  # {"access_token": ...}

Runs with ``world.lock`` held and raises :class:`OAuthError` exactly where Google answers with an
error:

- refresh with a revoked/unknown token, or for a suspended/deleted user: 400 ``invalid_grant``;
- JWT bearer (service accounts): bad signature or stale ``iat``/``exp``: 400 ``invalid_grant``;
  ``sub`` set on an account without domain-wide delegation, or (switch
  ``delegation_checks_scopes``) asking for a scope not authorised for the client id in the
  subject's domain: 401 ``unauthorized_client``;
  ``sub`` naming an unknown or suspended user: 400 ``invalid_grant`` "Invalid email or User ID".
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Mapping
from typing import Any

from ..errors import OAuthError
from ..state.credentials import AccessToken, OAuthClient
from ..state.identities import ServiceAccount
from ..state.world import World
from . import jwt
from .id_tokens import id_token
from .registration import create_grant
from .signing_keys import Signer
from .tokens import mint_token

__all__ = ["JWT_BEARER", "basic_credentials", "token_endpoint"]

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
_REVOKED = "Token has been expired or revoked."
_NOT_DELEGATED = (
    "Client is unauthorized to retrieve access tokens using this method, or client not authorized "
    "for any of the scopes requested."
)


def _client(world: World, form: Mapping[str, str]) -> OAuthClient:
    client = world.clients.get(form.get("client_id", ""))
    if client is None:
        raise OAuthError(401, "invalid_client", "The OAuth client was not found.")
    if form.get("client_secret") != client.client_secret:
        raise OAuthError(401, "invalid_client", "Unauthorized")
    return client


def token_endpoint(world: World, form: Mapping[str, str], signer: Signer) -> dict[str, Any]:
    """Answer ``POST /token`` for the refresh_token, authorization_code and JWT bearer grants."""
    grant_type = form.get("grant_type", "")
    if grant_type == "refresh_token":
        return _refresh(world, form, signer)
    if grant_type == "authorization_code":
        return _exchange_code(world, form, signer)
    if grant_type == JWT_BEARER:
        return _jwt_bearer(world, form)
    raise OAuthError(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")


def _token_reply(
    world: World, token: AccessToken, signer: Signer, client_id: str, nonce: str | None = None
) -> dict[str, Any]:
    reply: dict[str, Any] = {
        "access_token": token.token,
        "expires_in": max(int(token.expires_at - world.clock.time()), 0),
        "token_type": "Bearer",
    }
    if token.scopes is not None:
        reply["scope"] = " ".join(sorted(token.scopes))
        if "openid" in token.scopes:
            reply["id_token"] = id_token(world, token.email, client_id, signer, nonce)
    return reply


def _refresh(world: World, form: Mapping[str, str], signer: Signer) -> dict[str, Any]:
    client = _client(world, form)
    grant = world.grants.get(form.get("refresh_token", ""))
    if grant is None or grant.revoked:
        raise OAuthError(400, "invalid_grant", _REVOKED)
    if grant.client_id != client.client_id:
        raise OAuthError(400, "unauthorized_client", "Unauthorized")
    if world.active_user(grant.email) is None:
        raise OAuthError(400, "invalid_grant", _REVOKED)
    token = mint_token(
        world,
        grant.email,
        scopes=grant.scopes,
        grant=grant.refresh_token,
        client_id=grant.client_id,
    )
    return _token_reply(world, token, signer, client.client_id)


def _exchange_code(world: World, form: Mapping[str, str], signer: Signer) -> dict[str, Any]:
    client = _client(world, form)
    code = world.codes.pop(form.get("code", ""), None)
    if code is None or code.client_id != client.client_id:
        raise OAuthError(400, "invalid_grant", "Bad Request")
    if form.get("redirect_uri") != code.redirect_uri:
        raise OAuthError(400, "redirect_uri_mismatch", "Bad Request")
    if code.code_challenge is not None:
        verifier = form.get("code_verifier")
        if not verifier:
            raise OAuthError(400, "invalid_grant", "Missing code verifier.")
        expected = verifier
        if code.code_challenge_method == "S256":
            expected = jwt.b64url(hashlib.sha256(verifier.encode("ascii")).digest())
        if expected != code.code_challenge:
            raise OAuthError(400, "invalid_grant", "Invalid code verifier.")
    if world.active_user(code.email) is None:
        raise OAuthError(400, "invalid_grant", _REVOKED)
    refresh: str | None = None
    if code.offline:
        refresh = create_grant(world, code.email, client.client_id, list(code.scopes)).refresh_token
    token = mint_token(
        world, code.email, scopes=code.scopes, grant=refresh, client_id=code.client_id
    )
    reply = _token_reply(world, token, signer, client.client_id, code.nonce)
    if refresh:
        reply["refresh_token"] = refresh
    return reply


def _jwt_bearer(world: World, form: Mapping[str, str]) -> dict[str, Any]:
    assertion = form.get("assertion", "")
    try:
        _, unverified = jwt.unverified_parts(assertion)
    except ValueError:
        raise OAuthError(400, "invalid_grant", "Invalid JWT.") from None
    account = world.service_accounts.get(str(unverified.get("iss", "")).lower())
    if account is None:
        raise OAuthError(400, "invalid_grant", "Invalid grant: account not found")
    try:
        header, claims = jwt.decode_verified(assertion, account.public_key_pem)
    except ValueError:
        raise OAuthError(400, "invalid_grant", "Invalid JWT Signature.") from None
    now = time.time()
    iat, exp = claims.get("iat"), claims.get("exp")
    if (
        header.get("kid") not in (None, account.key_id)
        or not isinstance(iat, int | float)
        or not isinstance(exp, int | float)
        or exp < now
        or iat > now + 300
        or exp - iat > 3600
    ):
        raise OAuthError(
            400,
            "invalid_grant",
            "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable "
            "timeframe. Check your iat and exp values in the JWT claim.",
        )
    if not str(claims.get("aud", "")).endswith("/token"):
        raise OAuthError(400, "invalid_grant", "Invalid JWT: Failed audience check.")
    scope = str(claims.get("scope", "")).split()
    if not scope:
        raise OAuthError(400, "invalid_scope", "Empty or missing scope not allowed.")
    subject = claims.get("sub")
    if subject and str(subject).lower() != account.email:
        if not account.dwd:
            raise OAuthError(401, "unauthorized_client", _NOT_DELEGATED)
        if world.strictness.delegation_checks_scopes and not _delegated(account, subject, scope):
            raise OAuthError(401, "unauthorized_client", _NOT_DELEGATED)
        if world.active_user(str(subject)) is None:
            raise OAuthError(400, "invalid_grant", "Invalid email or User ID")
        token = mint_token(world, str(subject), scopes=tuple(scope), client_id=account.client_id)
    else:
        token = mint_token(
            world,
            account.email,
            service_account=True,
            scopes=tuple(scope),
            client_id=account.client_id,
        )
    return {
        "access_token": token.token,
        "expires_in": world.settings.token_lifetime,
        "token_type": "Bearer",
    }


def _delegated(account: ServiceAccount, subject: object, scopes: list[str]) -> bool:
    """Every scope authorised for the account's client id in the subject's domain."""
    if account.delegation is None:
        return True
    allowed = account.delegation.get(str(subject).lower().rpartition("@")[2], ())
    return all(scope in allowed for scope in scopes)


def basic_credentials(header: str | None) -> dict[str, str]:
    """client_id/client_secret from an HTTP Basic ``Authorization`` header, if any."""
    scheme, _, value = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return {}
    try:
        client_id, _, secret = base64.b64decode(value).decode().partition(":")
    except ValueError:
        return {}
    return {"client_id": client_id, "client_secret": secret}
