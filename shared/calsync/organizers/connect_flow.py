"""The organizer connect and disconnect flows: start at Google, finish on the callback.

``start`` checks the tenant and organizer, records the flow (PKCE verifier, OpenID nonce,
the digest of a fresh browser secret) in ``oauth_states`` and returns Google's consent URL
with the cookie that binds the flow to the starting browser. For the platform (``hop=True``)
it returns instead the URL of calsync's hop, ``/start?flow=…``: the first browser to open
it is bound (``open_hop``) and sent on to Google; any other is refused. ``finish`` takes
the callback's query and cookies: it verifies the signed state and uses it up, requires the
flow's cookie from the browser it is bound to, exchanges the code with the verifier,
verifies the id_token (JWKS signature, ``aud``, ``iss``, ``exp``, ``nonce``,
``email_verified``, the email, ``hd``) and then, for a connect, checks every scope was
granted and stores the encrypted grant; for a disconnect (the person proved who they are)
revokes the tokens of this sign-in and schedules a ``revoke_grant`` task, which revokes and
forgets the stored grant in ``reconcile`` (the public function cannot decrypt grants).
Whatever Google handed over is revoked again when the flow fails after the exchange
(``flow_tokens``: the exchange and that revocation). Failures raise :class:`FlowRefused`
(``flow_outcomes``) with a ``code`` the pages explain::

    started = flow.start("connect", "acme", "alice@acme.com")     # .url, .cookie
    started = flow.open_hop(request.args.get("flow"))             # the platform's hop
    done = flow.finish(request.args, request.cookies)   # FlowRefused / TransientError
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urljoin

from calsync.config import Settings
from calsync.contracts import TenantSettings
from calsync.errors import ConfigurationError
from calsync.google.cloud_tasks import TaskScheduler, task_name
from calsync.logs import get_logger
from calsync.organizers import browser_binding
from calsync.organizers.flow_outcomes import FlowDone, FlowRefused, FlowStart
from calsync.organizers.flow_states import FlowSecrets, OAuthStates
from calsync.organizers.flow_tokens import FlowTokens
from calsync.organizers.grants import OrganizerGrants
from calsync.organizers.id_tokens import (
    GoogleKeys,
    IdentityRejected,
    verify_id_token,
    verify_organizer,
)
from calsync.organizers.oauth_flow import (
    STATE_LIFETIME_SECONDS,
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

__all__ = ["ConnectFlow", "TenantLookup"]

_LOG = get_logger(__name__)


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
        self._tokens = FlowTokens(settings, grants)

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
    def start(
        self, purpose: Purpose, tenant_id: str, organizer: str, *, hop: bool = False
    ) -> FlowStart:
        """Record a flow for this organizer (10 minutes). For a browser: Google's consent URL
        and the cookie binding the flow to it. With ``hop`` (the platform asks): the URL of
        calsync's hop, which binds the first browser that opens it."""
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
        secret = None if hop else browser_binding.new_secret()
        flow = FlowSecrets(
            code_verifier=Pkce.new().verifier,
            oidc_nonce=secrets.token_urlsafe(24),
            browser=browser_binding.digest(secret) if secret else "",
        )
        self._states.put(claims, flow)
        _LOG.info(
            "OAuth flow started",
            extra={
                "fields": {
                    "purpose": purpose,
                    "tenant_id": tenant_id,
                    "organizer": organizer,
                    "via": "hop" if hop else "browser",
                }
            },
        )
        if secret is None:
            hop_url = urljoin(self._settings.oauth.redirect_uri, "start")
            return FlowStart(hop_url + "?" + urlencode({"flow": signer.sign(claims)}))
        return FlowStart(self._consent_url(claims, flow), self._cookie(claims, secret))

    def open_hop(self, flow_state: str | None) -> FlowStart:
        """The platform's hop: bind the flow to this browser (the first to open it) and send
        it on to Google. FlowRefused("hop_used") for any later browser."""
        try:
            claims = self._signer.verify(flow_state)
            secret = browser_binding.new_secret()
            flow = self._states.bind(claims, browser_binding.digest(secret))
        except InvalidState as exc:
            if exc.reason == "opened":
                raise FlowRefused("hop_used", "opened by another browser", status=403) from exc
            raise FlowRefused("invalid_state", exc.reason) from exc
        _LOG.info(
            "OAuth hop opened",
            extra={"fields": {"purpose": claims.purpose, "tenant_id": claims.tenant_id}},
        )
        return FlowStart(self._consent_url(claims, flow), self._cookie(claims, secret))

    def cookie_name(self, state: str | None) -> str | None:
        """The name of the cookie of the flow ``state`` belongs to, if calsync signed it."""
        try:
            return browser_binding.cookie_name(self._signer.verify(state).record_id)
        except InvalidState:
            return None

    def _cookie(self, claims: StateClaims, secret: str) -> str:
        name = browser_binding.cookie_name(claims.record_id)
        return browser_binding.set_cookie(name, secret, STATE_LIFETIME_SECONDS)

    def _consent_url(self, claims: StateClaims, flow: FlowSecrets) -> str:
        oauth = self._settings.oauth
        return consent_url(
            self._settings.google.auth_uri,
            client_id=oauth.client_id,
            redirect_uri=oauth.redirect_uri,
            state=self._signer.sign(claims),
            code_challenge=Pkce.for_verifier(flow.code_verifier).challenge,
            login_hint=claims.organizer,
            hd=claims.organizer.rpartition("@")[2],
            oidc_nonce=flow.oidc_nonce,
            purpose=claims.purpose,
        )

    # -- finish -------------------------------------------------------------
    def finish(self, query: Mapping[str, str], cookies: Mapping[str, str]) -> FlowDone:
        """Complete the flow the callback's ``query`` belongs to, in the browser it is bound
        to (``cookies``: the request's)."""
        try:
            claims = self._signer.verify(query.get("state"))
            flow = self._states.take(claims)
        except InvalidState as exc:
            raise FlowRefused("invalid_state", exc.reason) from exc
        cookie = cookies.get(browser_binding.cookie_name(claims.record_id))
        if not browser_binding.matches(flow.browser, cookie):
            reason = "no cookie" if not cookie else "another browser's cookie"
            raise FlowRefused("browser_mismatch", reason, status=403)
        if query.get("error"):
            raise FlowRefused("access_denied", str(query["error"])[:64], status=403)
        if not query.get("code"):
            raise FlowRefused("invalid_request", "no authorization code")
        tokens = self._tokens.exchange(query["code"], flow.code_verifier)
        try:
            return self._complete(claims, flow, tokens)
        except Exception:  # refused, or storing the grant failed: keep nothing
            self._tokens.discard(tokens)
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
            handing_back = self._grants.begin_disconnect(claims.tenant_id, claims.organizer)
            if handing_back is None:
                self._tokens.revoke_quietly(tokens)
            # else the stored grant moves the organizer's events out first; revoking it then
            # revokes this sign-in too (Google revokes the whole grant: docs/google-behaviour.md)
            self._schedule_revocation(claims.tenant_id, claims.organizer, handing_back)
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

    def _schedule_revocation(self, tenant_id: str, organizer: str, grant_id: str | None) -> None:
        """The stored grant is revoked and forgotten by a ``revoke_grant`` task on ``reconcile``:
        this public function may only encrypt grants, never decrypt them (docs/deployment.md).
        With ``grant_id`` (a grant marked ``disconnecting``), the task first moves the
        organizer's events back to the platform calendar, then revokes that grant only."""
        payload: dict[str, Any] = {
            "action": "revoke_grant",
            "tenant_id": tenant_id,
            "organizer": organizer,
        }
        if grant_id is not None:
            payload["grant_id"] = grant_id
        name = task_name("revoke_grant", tenant_id, organizer, secrets.token_hex(8))
        self._tasks.schedule(name, payload, 0)
