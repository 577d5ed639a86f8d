"""Control calls for OAuth: clients, grants, access tokens, consent, signing keys, service accounts.

    POST /_sandbox/oauth/clients     {"redirect_uris": [...]}          ctl.create_oauth_client()
    POST /_sandbox/oauth/grants      {"email", "client_id", "scopes"}  ctl.create_grant(...)
    POST /_sandbox/oauth/tokens      {"email", "scopes": null}         ctl.mint_token(email)
    POST /_sandbox/service-accounts  {"email", ...}               ctl.create_service_account(...)
    POST /_sandbox/service-accounts/delegation  {"email", "domain", "scopes"}
                                                                  ctl.authorise_delegation(...)

:class:`OAuthRoutes` answers the routes in the sandbox; :class:`OAuthCalls` is the client side,
part of :class:`~calsync_sandbox.control.client.SandboxControl`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..oauth import registration, tokens
from ..oauth.signing_keys import Signer
from ..state.credentials import ConsentRule
from ..state.world import World
from .routes import JSON, ControlError, Route, need
from .transport import ControlTransport

__all__ = ["OAuthCalls", "OAuthRoutes"]


class OAuthRoutes:
    """OAuth clients, grants, tokens, consent, signing keys and service accounts."""

    def __init__(self, world: World, signer: Signer, base_url: Callable[[], str]) -> None:
        self.world = world
        self.signer = signer
        self.base_url = base_url

    def routes(self) -> list[Route]:
        """The routes this group answers."""
        return [
            Route("POST", "/_sandbox/oauth/clients", self.add_client),
            Route("POST", "/_sandbox/oauth/grants", self.add_grant),
            Route("POST", "/_sandbox/oauth/grants/revoke", self.revoke_grant),
            Route("POST", "/_sandbox/oauth/tokens", self.mint),
            Route("POST", "/_sandbox/oauth/token-lifetime", self.token_lifetime),
            Route("POST", "/_sandbox/oauth/expire-tokens", self.expire_tokens),
            Route("POST", "/_sandbox/oauth/consent", self.consent),
            Route("POST", "/_sandbox/oauth/signing-keys/rotate", self.rotate_signing_key),
            Route("POST", "/_sandbox/service-accounts", self.add_service_account),
            Route("POST", "/_sandbox/service-accounts/delegation", self.authorise_delegation),
        ]

    def add_client(self, body: JSON) -> JSON:
        client = registration.create_client(
            self.world,
            list(body.get("redirect_uris") or []),
            body.get("client_id") or None,
            body.get("client_secret") or None,
        )
        return {"client_id": client.client_id, "client_secret": client.client_secret}

    def add_grant(self, body: JSON) -> JSON:
        grant = registration.create_grant(
            self.world,
            str(need(body, "email")),
            str(need(body, "client_id")),
            list(body.get("scopes") or []),
            body.get("refresh_token") or None,
        )
        return {"refresh_token": grant.refresh_token}

    def revoke_grant(self, body: JSON) -> JSON:
        grant = self.world.grants.get(str(need(body, "refresh_token")))
        if grant is None:
            raise ControlError(404, "no such grant")
        grant.revoked = True
        return {"ok": True}

    def mint(self, body: JSON) -> JSON:
        email = str(need(body, "email")).lower()
        is_sa = email in self.world.service_accounts
        if not is_sa and self.world.active_user(email) is None:
            raise ControlError(400, f"no active user {email}")
        scopes = body.get("scopes")
        token = tokens.mint_token(
            self.world,
            email,
            service_account=is_sa,
            scopes=tuple(scopes) if scopes is not None else None,
        )
        return {"access_token": token.token, "expires_in": self.world.settings.token_lifetime}

    def token_lifetime(self, body: JSON) -> JSON:
        seconds = int(need(body, "seconds"))
        if seconds < 1:
            raise ControlError(400, "seconds must be positive")
        self.world.settings.token_lifetime = seconds
        return {"seconds": seconds}

    def expire_tokens(self, body: JSON) -> JSON:
        for token in self.world.tokens.values():
            token.expires_at = min(token.expires_at, self.world.clock.time())
        return {"expired": len(self.world.tokens)}

    def consent(self, body: JSON) -> JSON:
        email = str(need(body, "email")).lower()
        scopes = body.get("scopes")
        rule = ConsentRule(
            deny=bool(body.get("deny", False)),
            scopes=tuple(str(s) for s in scopes) if scopes is not None else None,
            screen=bool(body.get("screen", False)),
        )
        self.world.consent[email] = rule
        return {"email": email, "deny": rule.deny, "scopes": rule.scopes, "screen": rule.screen}

    def rotate_signing_key(self, body: JSON) -> JSON:
        kid = self.signer.rotate()
        if body.get("retire_previous"):
            self.signer.retire()
        return {"kid": kid, "published": [k for _, k in self.signer.published()]}

    def add_service_account(self, body: JSON) -> JSON:
        return registration.create_service_account(
            self.world,
            str(need(body, "email")),
            bool(body.get("domain_wide_delegation")),
            self.base_url() + "/token",
            body.get("private_key") or None,
            body.get("private_key_id") or None,
        )

    def authorise_delegation(self, body: JSON) -> JSON:
        account = self.world.service_accounts.get(str(need(body, "email")).lower())
        if account is None:
            raise ControlError(404, "no such service account")
        scopes = body.get("scopes")
        if not isinstance(scopes, list) or not all(isinstance(x, str) for x in scopes):
            raise ValueError("scopes must be a list of strings")
        account.dwd = True
        delegation = dict(account.delegation or {})
        delegation[str(need(body, "domain")).lower()] = tuple(scopes)
        account.delegation = delegation
        return {"email": account.email, "delegation": {d: list(s) for d, s in delegation.items()}}


class OAuthCalls(ControlTransport):
    """OAuth clients, grants, tokens, consent, signing keys and service accounts."""

    def create_oauth_client(
        self,
        redirect_uris: list[str] | None = None,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
    ) -> dict[str, str]:
        """Register an OAuth client: ``{"client_id", "client_secret"}`` (given or random)."""
        data = self._call(
            "POST",
            "oauth/clients",
            {
                "redirect_uris": redirect_uris or [],
                "client_id": client_id,
                "client_secret": client_secret,
            },
        )
        return {"client_id": str(data["client_id"]), "client_secret": str(data["client_secret"])}

    def create_grant(
        self, email: str, client_id: str, scopes: list[str], *, refresh_token: str | None = None
    ) -> str:
        """Record a user's consent; returns the refresh token (given or random)."""
        data = self._call(
            "POST",
            "oauth/grants",
            {
                "email": email,
                "client_id": client_id,
                "scopes": scopes,
                "refresh_token": refresh_token,
            },
        )
        return str(data["refresh_token"])

    def revoke_grant(self, refresh_token: str) -> None:
        """Revoke a grant: refreshing it now fails with invalid_grant."""
        self._call("POST", "oauth/grants/revoke", {"refresh_token": refresh_token})

    def mint_token(self, email: str, scopes: list[str] | None = None) -> dict[str, Any]:
        """An access token for a seeded user or service account: ``{access_token, expires_in}``."""
        return self._call("POST", "oauth/tokens", {"email": email, "scopes": scopes})

    def create_service_account(
        self,
        email: str,
        *,
        domain_wide_delegation: bool = False,
        key: dict[str, str] | None = None,
    ) -> dict[str, str]:
        """A service account; returns its key file (for ``from_service_account_info``).

        Pass ``key`` (a key file returned earlier) to re-create the account with that key.
        """
        data = self._call(
            "POST",
            "service-accounts",
            {
                "email": email,
                "domain_wide_delegation": domain_wide_delegation,
                "private_key": (key or {}).get("private_key"),
                "private_key_id": (key or {}).get("private_key_id"),
            },
        )
        return {str(k): str(v) for k, v in data.items()}

    def authorise_delegation(self, email: str, domain: str, scopes: list[str]) -> dict[str, Any]:
        """Authorise the service account's client id for exactly ``scopes`` in ``domain`` (as
        that tenant's Admin console does); from then on other domains and scopes get
        ``unauthorized_client`` while the switch ``delegation_checks_scopes`` is on."""
        return self._call(
            "POST",
            "service-accounts/delegation",
            {"email": email, "domain": domain, "scopes": scopes},
        )

    def set_consent(
        self,
        email: str,
        *,
        deny: bool = False,
        scopes: list[str] | None = None,
        screen: bool = False,
    ) -> dict[str, Any]:
        """How the consent screen answers for ``email`` from now on: deny, or grant only
        ``scopes`` (of those requested); with ``screen``, show the page and wait for a click
        on Allow or Cancel (a browser test); ``set_consent(email)`` restores "grant
        everything at once"."""
        body = {"email": email, "deny": deny, "scopes": scopes, "screen": screen}
        return self._call("POST", "oauth/consent", body)

    def rotate_signing_key(self, *, retire_previous: bool = False) -> dict[str, Any]:
        """Sign id_tokens with a new key: ``{"kid", "published": [kids]}``."""
        return self._call("POST", "oauth/signing-keys/rotate", {"retire_previous": retire_previous})

    def set_token_lifetime(self, seconds: int) -> None:
        """Lifetime of access tokens minted from now on (default 3600)."""
        self._call("POST", "oauth/token-lifetime", {"seconds": seconds})

    def expire_tokens(self) -> int:
        """Expire every access token now; returns how many there were."""
        return int(self._call("POST", "oauth/expire-tokens")["expired"])
