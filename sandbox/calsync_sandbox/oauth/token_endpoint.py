"""Credentials: bearer tokens, the OAuth 2.0 token endpoint, revocation and consent.

    token = mint_token(world, "alice@acme.com")                  # control-minted access token
    principal = authenticate(world, "Bearer " + token.token, method.scopes)
    reply = token_endpoint(world, form, signer)                  # {"access_token": ...}

All functions run with ``world.lock`` held and raise :class:`ApiError` (API calls) or
:class:`OAuthError` (token endpoint) exactly where Google would answer with an error:

- an API call without a valid, unexpired sandbox token, or whose user is now suspended:
  401 ``authError``; a token lacking every scope the method accepts:
  403 ``insufficientPermissions``;
- refresh with a revoked/unknown token, or for a suspended/deleted user: 400 ``invalid_grant``;
- JWT bearer (service accounts): bad signature or stale ``iat``/``exp``: 400 ``invalid_grant``;
  ``sub`` set on an account without domain-wide delegation: 401 ``unauthorized_client``;
  ``sub`` naming an unknown or suspended user: 400 ``invalid_grant`` "Invalid email or User ID".
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from cryptography.hazmat.primitives.asymmetric import rsa

from ..errors import ApiError, OAuthError
from ..state.credentials import AccessToken, AuthCode, ConsentRule, Grant, OAuthClient
from ..state.identities import Principal, ServiceAccount
from ..state.world import World
from . import jwt

__all__ = [
    "JWT_BEARER",
    "Signer",
    "authenticate",
    "authorize",
    "basic_credentials",
    "create_client",
    "create_grant",
    "create_service_account",
    "id_token",
    "mint_token",
    "revoke",
    "token_endpoint",
]

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
_ISSUER = "https://accounts.google.com"
_PUBLISHED_KEYS = 3
"""How many signing keys the certs endpoints list at most (current + previous ones)."""
_REVOKED = "Token has been expired or revoked."
_INVALID_CREDENTIALS = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie "
    "or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)
_NOT_DELEGATED = (
    "Client is unauthorized to retrieve access tokens using this method, or client not authorized "
    "for any of the scopes requested."
)


@dataclass
class Signer:
    """The sandbox's signing keys (id_tokens, task OIDC tokens), published through the certs
    endpoints. ``key``/``kid`` sign; ``rotate()`` makes a new key current and keeps the previous
    one published (as Google does) until ``retire()``."""

    key: rsa.RSAPrivateKey
    kid: str
    retired: list[tuple[rsa.RSAPrivateKey, str]] = field(default_factory=list)

    @classmethod
    def create(cls) -> Signer:
        """A fresh key with a random key id."""
        return cls(jwt.generate_key(), secrets.token_hex(20))

    def rotate(self) -> str:
        """Sign with a new key from now on; the old one stays published. Returns the new kid."""
        self.retired.insert(0, (self.key, self.kid))
        del self.retired[_PUBLISHED_KEYS - 1 :]
        self.key, self.kid = jwt.generate_key(), secrets.token_hex(20)
        return self.kid

    def retire(self) -> None:
        """Stop publishing every key except the current one."""
        self.retired.clear()

    def published(self) -> list[tuple[rsa.RSAPrivateKey, str]]:
        """The keys the certs endpoints list, current first."""
        return [(self.key, self.kid), *self.retired]


def _unauthenticated() -> ApiError:
    return ApiError(
        401,
        "authError",
        _INVALID_CREDENTIALS,
        location_type="header",
        location="Authorization",
        headers={"WWW-Authenticate": f'Bearer realm="{_ISSUER}/", error="invalid_token"'},
    )


def mint_token(
    world: World,
    email: str,
    *,
    service_account: bool = False,
    scopes: tuple[str, ...] | None = None,
    grant: str | None = None,
) -> AccessToken:
    """Create an access token that lives for the configured lifetime."""
    token = AccessToken(
        token="ya29.sandbox-" + secrets.token_urlsafe(32),
        email=email.lower(),
        service_account=service_account,
        scopes=frozenset(scopes) if scopes is not None else None,
        expires_at=world.clock.time() + world.settings.token_lifetime,
        grant=grant,
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
    return Principal(token.email, token.service_account, token.scopes)


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
    if access is not None:
        access.expires_at = 0


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


def id_token(world: World, email: str, client_id: str, signer: Signer, nonce: str | None) -> str:
    """A signed OpenID Connect id_token for a seeded user."""
    user = world.users[email]
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": _ISSUER,
        "azp": client_id,
        "aud": client_id,
        "sub": user.id,
        "email": user.email,
        "email_verified": user.email_verified,
        "name": user.display_name,
        "iat": now,
        "exp": now + world.settings.token_lifetime,
    }
    domain = user.email.rpartition("@")[2]
    hosted = user.hosted_domain if user.hosted_domain is not None else domain
    if hosted and (user.hosted_domain is not None or domain in world.domains):
        claims["hd"] = hosted
    if nonce:
        claims["nonce"] = nonce
    return jwt.encode(claims, signer.key, signer.kid)


def _refresh(world: World, form: Mapping[str, str], signer: Signer) -> dict[str, Any]:
    client = _client(world, form)
    grant = world.grants.get(form.get("refresh_token", ""))
    if grant is None or grant.revoked:
        raise OAuthError(400, "invalid_grant", _REVOKED)
    if grant.client_id != client.client_id:
        raise OAuthError(400, "unauthorized_client", "Unauthorized")
    if world.active_user(grant.email) is None:
        raise OAuthError(400, "invalid_grant", _REVOKED)
    token = mint_token(world, grant.email, scopes=grant.scopes, grant=grant.refresh_token)
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
    token = mint_token(world, code.email, scopes=code.scopes, grant=refresh)
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
        if world.active_user(str(subject)) is None:
            raise OAuthError(400, "invalid_grant", "Invalid email or User ID")
        token = mint_token(world, str(subject), scopes=tuple(scope))
    else:
        token = mint_token(world, account.email, service_account=True, scopes=tuple(scope))
    return {
        "access_token": token.token,
        "expires_in": world.settings.token_lifetime,
        "token_type": "Bearer",
    }


def authorize(world: World, args: Mapping[str, str]) -> str:
    """Auto-consent for ``login_hint``; return the redirect URL carrying ``code`` and ``state``.

    The user's :class:`ConsentRule` (control API) can make the consent screen deny
    (``error=access_denied``) or grant only some of the requested scopes, as a person
    unticking boxes on Google's granular consent screen would.
    """
    client = world.clients.get(args.get("client_id", ""))
    if client is None:
        raise OAuthError(401, "invalid_client", "The OAuth client was not found.")
    redirect_uri = args.get("redirect_uri", "")
    if not redirect_uri or (client.redirect_uris and redirect_uri not in client.redirect_uris):
        raise OAuthError(400, "redirect_uri_mismatch", f"Bad redirect_uri: {redirect_uri}")
    if args.get("response_type", "code") != "code":
        raise OAuthError(400, "unsupported_response_type", "Only response_type=code is supported.")
    state = args.get("state")
    email = args.get("login_hint", "").lower()
    joiner = "&" if "?" in redirect_uri else "?"
    rule = world.consent.get(email, ConsentRule())
    if world.active_user(email) is None or rule.deny:
        return redirect_uri + joiner + _query({"error": "access_denied", "state": state})
    challenge = args.get("code_challenge")
    method = args.get("code_challenge_method", "plain")
    if challenge is not None and method not in ("S256", "plain"):
        raise OAuthError(400, "invalid_request", f"Invalid code_challenge_method: {method}")
    requested = tuple(args.get("scope", "").split())
    granted = requested if rule.scopes is None else tuple(s for s in requested if s in rule.scopes)
    code = AuthCode(
        code="4/sandbox-" + secrets.token_urlsafe(32),
        email=email,
        client_id=client.client_id,
        redirect_uri=redirect_uri,
        scopes=granted,
        offline=args.get("access_type") == "offline",
        code_challenge=challenge,
        code_challenge_method=method,
        nonce=args.get("nonce"),
    )
    world.codes[code.code] = code
    return (
        redirect_uri
        + joiner
        + _query({"state": state, "code": code.code, "scope": " ".join(code.scopes)})
    )


def _query(values: Mapping[str, str | None]) -> str:
    return urlencode({k: v for k, v in values.items() if v is not None})


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
