"""The consent screen (``GET /o/oauth2/v2/auth``): answers for ``login_hint`` at once.

    url = authorize(world, {"client_id": ..., "redirect_uri": ..., "scope": "openid email",
                            "state": "s1", "login_hint": "alice@acme.com"})
    # -> "<redirect_uri>?state=s1&code=4/sandbox-...&scope=openid+email"

The code it issues is exchanged at the token endpoint (:mod:`.token_endpoint`).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from urllib.parse import urlencode

from ..errors import OAuthError
from ..state.credentials import AuthCode, ConsentRule
from ..state.world import World

__all__ = ["authorize"]


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
