"""The consent screen (``GET /o/oauth2/v2/auth``): answers for ``login_hint`` at once, or
shows a page and waits for the person's click when their consent rule asks for the screen.

    url = authorize(world, {"client_id": ..., "redirect_uri": ..., "scope": "openid email",
                            "state": "s1", "login_hint": "alice@acme.com"})
    # -> "<redirect_uri>?state=s1&code=4/sandbox-...&scope=openid+email"
    html = consent_screen(world, args)     # None unless the rule has screen=True
    url = authorize(world, form, decision="allow")   # the page's POST

The code it issues is exchanged at the token endpoint (:mod:`.token_endpoint`).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from html import escape
from urllib.parse import urlencode

from ..errors import OAuthError
from ..state.credentials import AuthCode, ConsentRule
from ..state.world import World

__all__ = ["authorize", "consent_screen"]


def _checked_request(world: World, args: Mapping[str, str]) -> str:
    """The request's ``redirect_uri`` once client, redirect and response type are valid."""
    client = world.clients.get(args.get("client_id", ""))
    if client is None:
        raise OAuthError(401, "invalid_client", "The OAuth client was not found.")
    redirect_uri = args.get("redirect_uri", "")
    if not redirect_uri or (client.redirect_uris and redirect_uri not in client.redirect_uris):
        raise OAuthError(400, "redirect_uri_mismatch", f"Bad redirect_uri: {redirect_uri}")
    if args.get("response_type", "code") != "code":
        raise OAuthError(400, "unsupported_response_type", "Only response_type=code is supported.")
    return redirect_uri


def consent_screen(world: World, args: Mapping[str, str]) -> str | None:
    """The page a person sees (account, permissions, Allow and Cancel) when the rule of the
    ``login_hint`` user asks for the screen; None when the sandbox answers at once. The page
    POSTs the request back with ``decision=allow`` or ``deny``."""
    _checked_request(world, args)
    email = args.get("login_hint", "").lower()
    if world.active_user(email) is None or not world.consent.get(email, ConsentRule()).screen:
        return None
    hidden = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in args.items()
    )
    scopes = "".join(f"<li>{escape(s)}</li>" for s in args.get("scope", "").split())
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Sign in - Google Accounts (sandbox)</title></head><body>"
        "<h1>Choose an account</h1>"
        f"<p>to continue to <strong>{escape(args.get('client_id', ''))}</strong></p>"
        f'<p id="account">{escape(email)}</p>'
        f"<p>This app wants to:</p><ul>{scopes}</ul>"
        f'<form method="post" action="/o/oauth2/v2/auth">{hidden}'
        '<button id="deny" name="decision" value="deny">Cancel</button> '
        '<button id="allow" name="decision" value="allow">Allow</button>'
        "</form></body></html>"
    )


def authorize(world: World, args: Mapping[str, str], decision: str | None = None) -> str:
    """Consent for ``login_hint`` (at once, or the person's ``decision`` on the screen);
    return the redirect URL carrying ``code`` and ``state``.

    The user's :class:`ConsentRule` (control API) can make the consent screen deny
    (``error=access_denied``) or grant only some of the requested scopes, as a person
    unticking boxes on Google's granular consent screen would.
    """
    redirect_uri = _checked_request(world, args)
    client = world.clients[args["client_id"]]
    state = args.get("state")
    email = args.get("login_hint", "").lower()
    joiner = "&" if "?" in redirect_uri else "?"
    rule = world.consent.get(email, ConsentRule())
    if world.active_user(email) is None or rule.deny or decision == "deny":
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
