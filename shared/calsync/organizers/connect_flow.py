"""The organizer connect and disconnect flows: start at Google, finish on the callback.

``start`` checks the tenant and organizer, records the flow (PKCE verifier, OpenID nonce)
in ``oauth_states`` and returns Google's consent URL. ``finish`` takes the callback's query:
it verifies the signed state and uses it up, exchanges the code with the verifier,
verifies the id_token (JWKS signature, ``aud``, ``iss``, ``exp``, ``nonce``,
``email_verified``, the email, ``hd``) and then, for a connect, checks every scope was
granted and stores the encrypted grant; for a disconnect (the person proved who they are)
revokes the tokens of this sign-in and schedules a ``revoke_grant`` task, which revokes and
forgets the stored grant in ``reconcile`` (the public function cannot decrypt grants).
Whatever Google handed over is revoked again when the flow fails after the exchange.
Failures raise :class:`FlowRefused` with a ``code`` the pages explain::

    flow = ConnectFlow.from_settings(settings, store, grants)
    url = flow.start("connect", "acme", "alice@acme.com")
    done = flow.finish(request.args)               # FlowRefused / TransientError
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import requests

from calsync.config import Settings
from calsync.contracts import TenantSettings
from calsync.errors import CalsyncError, ConfigurationError, TransientError
from calsync.google.cloud_tasks import TaskScheduler, task_name
from calsync.logs import get_logger
from calsync.organizers.flow_states import FlowSecrets, OAuthStates
from calsync.organizers.grants import OrganizerGrants
from calsync.organizers.id_tokens import (
    GoogleKeys,
    IdentityRejected,
    verify_id_token,
    verify_organizer,
)
from calsync.organizers.oauth_flow import (
    InvalidState,
    Pkce,
    Purpose,
    StateClaims,
    StateSigner,
    consent_url,
    missing_scopes,
)

if TYPE_CHECKING:
    from calsync.state.store import FirestoreStore

__all__ = ["ConnectFlow", "FlowDone", "FlowRefused", "TenantLookup"]

_LOG = get_logger(__name__)
_TOKEN_TIMEOUT_SECONDS = 15.0


class FlowRefused(CalsyncError):
    """The flow cannot go on; ``code`` names why (see ``calsync.organizers.pages``)."""

    def __init__(
        self, code: str, detail: str = "", *, missing: list[str] | None = None, status: int = 400
    ) -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail
        self.missing = missing or []
        self.status = status


@dataclass(frozen=True)
class FlowDone:
    """A finished flow."""

    purpose: Purpose
    tenant_id: str
    organizer: str
    scopes: list[str] = field(default_factory=list)


class TenantLookup:
    """Finds a tenant's settings in calsync's store."""

    def __init__(self, store: FirestoreStore) -> None:
        self._store = store

    def settings(self, tenant_id: str) -> TenantSettings:
        """The tenant's settings; FlowRefused for an unknown tenant."""
        record = self._store.get_tenant(tenant_id) if tenant_id else None
        if record is None:
            raise FlowRefused("unknown_tenant", status=404)
        return record.settings


class ConnectFlow:
    """Starts and finishes organizers' OAuth flows."""

    def __init__(
        self,
        settings: Settings,
        states: OAuthStates,
        tenants: TenantLookup,
        grants: OrganizerGrants,
        keys: GoogleKeys,
        tasks: TaskScheduler,
    ) -> None:
        self._settings = settings
        self._states = states
        self._tenants = tenants
        self._grants = grants
        self._keys = keys
        self._tasks = tasks

    @cached_property
    def _signer(self) -> StateSigner:
        oauth = self._settings.oauth
        missing = [
            name
            for name, value in (
                ("CALSYNC_OAUTH_CLIENT_ID", oauth.client_id),
                ("CALSYNC_OAUTH_CLIENT_SECRET", oauth.client_secret),
                ("CALSYNC_OAUTH_REDIRECT_URI", oauth.redirect_uri),
                ("CALSYNC_STATE_SIGNING_KEY", oauth.state_signing_key),
            )
            if not value
        ]
        if missing:
            raise ConfigurationError("the OAuth flow needs " + ", ".join(missing))
        try:
            return StateSigner(oauth.state_signing_key)
        except ValueError as exc:
            raise ConfigurationError(f"CALSYNC_STATE_SIGNING_KEY: {exc}") from exc

    # -- start --------------------------------------------------------------
    def start(self, purpose: Purpose, tenant_id: str, organizer: str) -> str:
        """Google's consent URL for this organizer (the flow is recorded for 10 minutes)."""
        signer = self._signer
        organizer = organizer.strip().lower()
        try:
            domains = self._tenants.settings(tenant_id).domains
        except FlowRefused:  # refused exactly like a foreign address: no tenant/domain oracle
            domains = []
        domain = organizer.rpartition("@")[2]
        if "@" not in organizer or domain not in {d.lower() for d in domains}:
            raise FlowRefused("foreign_organizer", status=403)
        claims = StateClaims.new(purpose, tenant_id, organizer)
        pkce, nonce = Pkce.new(), secrets.token_urlsafe(24)
        self._states.put(claims, FlowSecrets(code_verifier=pkce.verifier, oidc_nonce=nonce))
        _LOG.info(
            "OAuth flow started",
            extra={"fields": {"purpose": purpose, "tenant_id": tenant_id, "organizer": organizer}},
        )
        return consent_url(
            self._settings.google.auth_uri,
            client_id=self._settings.oauth.client_id,
            redirect_uri=self._settings.oauth.redirect_uri,
            state=signer.sign(claims),
            code_challenge=pkce.challenge,
            login_hint=organizer,
            hd=domain,
            oidc_nonce=nonce,
            purpose=purpose,
        )

    # -- finish -------------------------------------------------------------
    def finish(self, query: Mapping[str, str]) -> FlowDone:
        """Complete the flow the callback's ``query`` belongs to."""
        try:
            claims = self._signer.verify(query.get("state"))
            flow = self._states.take(claims)
        except InvalidState as exc:
            raise FlowRefused("invalid_state", exc.reason) from exc
        if query.get("error"):
            raise FlowRefused("access_denied", str(query["error"])[:64], status=403)
        if not query.get("code"):
            raise FlowRefused("invalid_request", "no authorization code")
        tokens = self._exchange(query["code"], flow.code_verifier)
        try:
            return self._complete(claims, flow, tokens)
        except Exception:  # refused, or storing the grant failed: keep nothing
            self._discard(tokens)
            raise

    def _complete(
        self, claims: StateClaims, flow: FlowSecrets, tokens: Mapping[str, Any]
    ) -> FlowDone:
        domains = self._tenants.settings(claims.tenant_id).domains
        try:
            identity = verify_id_token(
                str(tokens.get("id_token", "")), self._keys, self._settings.oauth.client_id
            )
            sub = verify_organizer(
                identity, organizer=claims.organizer, domains=domains, nonce=flow.oidc_nonce
            )
        except IdentityRejected as exc:
            raise FlowRefused(exc.code, str(exc), status=403) from exc
        if claims.purpose == "disconnect":
            self._revoke_quietly(tokens)
            self._schedule_revocation(claims.tenant_id, claims.organizer)
            return FlowDone("disconnect", claims.tenant_id, claims.organizer)
        granted = str(tokens.get("scope", "")).split()
        missing = missing_scopes(granted)
        if missing:
            raise FlowRefused("missing_scopes", missing=missing, status=403)
        if not tokens.get("refresh_token"):
            raise FlowRefused("no_refresh_token", status=502)
        self._grants.connect(
            claims.tenant_id, claims.organizer, str(tokens["refresh_token"]), granted, sub
        )
        return FlowDone("connect", claims.tenant_id, claims.organizer, sorted(granted))

    def _exchange(self, code: str, verifier: str) -> dict[str, Any]:
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

    def _discard(self, tokens: Mapping[str, Any]) -> None:
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
        self._revoke_quietly(tokens)

    def _schedule_revocation(self, tenant_id: str, organizer: str) -> None:
        """The stored grant is revoked and forgotten by a ``revoke_grant`` task on ``reconcile``:
        this public function may only encrypt grants, never decrypt them (docs/deployment.md)."""
        payload = {"action": "revoke_grant", "tenant_id": tenant_id, "organizer": organizer}
        name = task_name("revoke_grant", tenant_id, organizer, secrets.token_hex(8))
        self._tasks.schedule(name, payload, 0)

    def _revoke_quietly(self, tokens: Mapping[str, Any]) -> None:
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
