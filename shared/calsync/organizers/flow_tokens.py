"""The tokens a flow gets from Google: the authorization code exchanged for them at the token
endpoint, and revoked again when the flow fails after the exchange, unless the same Google
account has a working grant (Google revokes every grant of the account for the client at
once; issue 13, "Grants")::

    tokens = FlowTokens(settings, grants)
    handed = tokens.exchange(code, verifier)     # FlowRefused / TransientError
    tokens.discard(handed)                       # the flow failed: keep nothing
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from calsync.config import Settings
from calsync.errors import TransientError
from calsync.logs import get_logger
from calsync.organizers.flow_outcomes import FlowRefused
from calsync.organizers.grants import OrganizerGrants

__all__ = ["FlowTokens"]

_LOG = get_logger(__name__)
_TOKEN_TIMEOUT_SECONDS = 15.0


class FlowTokens:
    """Exchanges a flow's code for tokens and revokes what a failed flow was handed."""

    def __init__(self, settings: Settings, grants: OrganizerGrants) -> None:
        self._settings = settings
        self._grants = grants

    def exchange(self, code: str, verifier: str) -> dict[str, Any]:
        """The token endpoint's answer for ``code`` and its PKCE ``verifier``."""
        oauth = self._settings.oauth
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": verifier,
            "redirect_uri": oauth.redirect_uri,
            "client_id": oauth.client_id,
            "client_secret": oauth.client_secret,
        }
        try:
            reply = requests.post(
                self._settings.google.token_uri, data=form, timeout=_TOKEN_TIMEOUT_SECONDS
            )
        except requests.RequestException as exc:
            raise TransientError(f"Google's token endpoint is unreachable: {exc}") from exc
        if reply.status_code >= 500 or reply.status_code == 429:
            raise TransientError(f"Google's token endpoint answered {reply.status_code}")
        try:
            body = reply.json()
        except ValueError:
            body = {}
        if reply.status_code != 200 or not isinstance(body, dict):
            error = body.get("error", "") if isinstance(body, dict) else ""
            raise FlowRefused("exchange_failed", str(error)[:64])
        return body

    def discard(self, tokens: Mapping[str, Any]) -> None:
        """Revoke the tokens of a flow that stored nothing, unless the same Google account has
        a stored working grant for this client: Google revokes every grant of the account for
        the client at once, so the revoke would kill it too (issue 13, "Grants")."""
        sub = _claimed_subject(tokens)
        try:
            kept = sub is not None and self._grants.account_has_working_grant(sub)
        except Exception:  # cannot tell: a working grant outranks hygiene
            _LOG.exception("could not look for the account's other grants; not revoking")
            return
        if kept:
            _LOG.warning(
                "not revoking a failed flow's tokens: the same Google account has a working grant"
            )
            return
        self.revoke_quietly(tokens)

    def revoke_quietly(self, tokens: Mapping[str, Any]) -> None:
        """Revoke ``tokens`` (the refresh token, else the access token); a transient failure
        is logged, not raised."""
        token = tokens.get("refresh_token") or tokens.get("access_token")
        if not token:
            return
        try:
            self._grants.revoke(str(token))
        except TransientError:
            _LOG.warning("could not revoke the tokens of a refused OAuth flow")


def _claimed_subject(tokens: Mapping[str, Any]) -> str | None:
    """The Google account (``sub``) the token endpoint's own id_token names, unverified: it
    only decides whether to *skip* a revoke, never whom to trust."""
    from google.auth import jwt

    try:
        sub = jwt.decode(str(tokens.get("id_token", "")), verify=False).get("sub")
    except Exception:  # no usable id_token: no account known
        return None
    return str(sub) if sub else None
