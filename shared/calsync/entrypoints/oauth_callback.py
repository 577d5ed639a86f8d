"""The HTTP face of ``oauth_callback``: one function, five paths.

    GET  /connect?tenant=T&organizer=E      302 to Google's consent screen, setting the
                                            flow's ``__Host-`` cookie in this browser.
                                            The platform (format=json or Accept:
                                            application/json, with its ID token) gets
                                            {"url": <the hop, /start?flow=…>} instead
    GET  /start?flow=…                      the hop: binds the flow to the first browser
                                            that opens it (cookie), 302 to Google
    GET  /callback?state=…&code=…           finishes the flow in the browser it is bound
                                            to; a page for a person; clears the cookie
    GET  /status?tenant=T&organizer=E       {"health": "connected" | "needs_consent" |
                                            "not_connected", ...}; only for the platform's
                                            service account (Bearer ID token, status_access)
    GET  /disconnect?tenant=T&organizer=E   a confirmation page; its button POSTs here
    POST /disconnect?tenant=T&organizer=E   302 to Google: the organizer signs in to prove
                                            who they are, then the callback revokes that
                                            sign-in's tokens and a ``revoke_grant`` task
                                            revokes and forgets the stored grant (JSON
                                            variant as for /connect). A browser's POST
                                            must come from calsync's own page (same origin)

Errors map to answers here only: ``FlowRefused`` → its status and an explaining page (or
``{"error": code}``), ``TransientError`` → 503, ``ConfigurationError`` → 500. Pages are
never cached, never send a Referer (the callback URL holds the code) and may not be
framed. Log lines name the path and the outcome, never a query value::

    response = handle(request, get_settings())       # (body, status, headers)
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any
from urllib.parse import urlencode, urlsplit

from calsync.config import Settings
from calsync.contracts import path_bound
from calsync.entrypoints.status_access import StatusRefused, status_caller
from calsync.errors import ConfigurationError, TransientError
from calsync.google.cloud_tasks import CloudTasksScheduler
from calsync.logs import get_logger, log_context
from calsync.organizers.browser_binding import clear_cookie
from calsync.organizers.connect_flow import ConnectFlow, TenantLookup
from calsync.organizers.flow_outcomes import FlowRefused, FlowStart
from calsync.organizers.flow_states import OAuthStates
from calsync.organizers.grants import organizer_grants
from calsync.organizers.id_tokens import GoogleKeys
from calsync.organizers.oauth_flow import Purpose
from calsync.organizers.pages import confirm_disconnect_page, page, refusal_page, success_page

__all__ = ["Response", "connect_flow", "handle"]

_LOG = get_logger(__name__)
Response = tuple[str, int, dict[str, str]]


@cache
def connect_flow(settings: Settings) -> ConnectFlow:
    """The process's flow (its signing-key cache lives as long as the instance)."""
    from calsync.state.store import FirestoreStore, firestore_client

    return ConnectFlow(
        settings,
        OAuthStates(firestore_client(settings.project, settings.grants_database)),
        TenantLookup(FirestoreStore(firestore_client(settings.project))),
        organizer_grants(settings),
        GoogleKeys(settings.google.jwks_uri),
        CloudTasksScheduler(settings),
    )


@cache
def _keys(settings: Settings) -> GoogleKeys:
    """Google's ID token keys for checking ``/status`` callers (cached per instance)."""
    return GoogleKeys(settings.google.jwks_uri)


def _html(body: str, status: int, settings: Settings) -> Response:
    auth = urlsplit(settings.google.auth_uri)
    return (
        body,
        status,
        {
            "Content-Type": "text/html; charset=utf-8",
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY",
            "Content-Security-Policy": (
                "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; "
                f"form-action 'self' {auth.scheme}://{auth.netloc}"
            ),
        },
    )


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return (
        json.dumps(body),
        status,
        {"Content-Type": "application/json", "Cache-Control": "no-store"},
    )


def _wants_json(request: Any) -> bool:
    if request.args.get("format") == "json":
        return True
    return bool(
        request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"
    )


def handle(request: Any, settings: Settings) -> Response:
    """Answer one request to the oauth_callback function (a flask request)."""
    path = "/" + request.path.strip("/")
    with log_context(path=path):
        try:
            return _route(request, path, settings)
        except FlowRefused as exc:
            return _refused(request, exc, settings)
        except TransientError as exc:
            _LOG.warning(
                "OAuth flow hit a transient failure", extra={"fields": {"error": str(exc)}}
            )
            body = page("Google is not answering", "<p>Please try again in a minute.</p>", "no")
            return _html(body, 503, settings)
        except ConfigurationError as exc:
            _LOG.error("the OAuth function is misconfigured", extra={"fields": {"error": str(exc)}})
            body = page("Calendar sync is not set up", "<p>Tell your administrator.</p>", "no")
            return _html(body, 500, settings)


def _refused(request: Any, exc: FlowRefused, settings: Settings) -> Response:
    _LOG.warning(
        "OAuth flow refused",
        extra={"fields": {"outcome": exc.code, "reason": exc.detail[:120]}},
    )
    if _wants_json(request):
        return _json({"error": exc.code, "missing_scopes": exc.missing}, exc.status)
    return _html(refusal_page(exc.code, exc.missing), exc.status, settings)


def _route(request: Any, path: str, settings: Settings) -> Response:
    tenant = str(request.args.get("tenant", ""))
    organizer = str(request.args.get("organizer", "")).strip().lower()
    if path == "/callback" and request.method == "GET":
        return _callback(request, settings)
    if path == "/start" and request.method == "GET":
        return _redirect(connect_flow(settings).open_hop(request.args.get("flow")))
    if path not in ("/connect", "/status", "/disconnect"):
        return _json({"error": "not_found"}, 404)
    starts = (path, request.method) in (("/connect", "GET"), ("/disconnect", "POST"))
    if path == "/status" or (starts and _wants_json(request)):
        try:  # /status and flows started for the platform: only the platform's identity
            status_caller(request.headers.get("Authorization"), settings, _keys(settings))
        except StatusRefused as exc:
            _LOG.warning("platform caller refused", extra={"fields": {"outcome": exc.code}})
            answer = _json({"error": exc.code}, exc.status)
            if exc.status == 401:
                answer[2]["WWW-Authenticate"] = 'Bearer realm="calsync"'
            return answer
    if not tenant or not organizer:
        return _json({"error": "tenant and organizer are required"}, 400)
    problem = path_bound(tenant, organizer)
    if problem is not None:
        return _json({"error": "bad_request", "message": problem}, 400)
    if path == "/status" and request.method == "GET":
        return _json(organizer_grants(settings).status(tenant, organizer))
    if path == "/disconnect" and request.method == "GET":
        action = "disconnect?" + urlencode({"tenant": tenant, "organizer": organizer})
        answer = _html(confirm_disconnect_page(tenant, organizer, action), 200, settings)
        # its button's POST carries this page's Origin (no-referrer would make it "null")
        answer[2]["Referrer-Policy"] = "same-origin"
        return answer
    if starts:
        purpose: Purpose = "connect" if path == "/connect" else "disconnect"
        if purpose == "disconnect":
            _same_origin(request)
        hop = _wants_json(request)
        started = connect_flow(settings).start(purpose, tenant, organizer, hop=hop)
        return _json({"url": started.url}) if hop else _redirect(started)
    return _json({"error": "method_not_allowed"}, 405)


def _callback(request: Any, settings: Settings) -> Response:
    """Finish the flow; whatever the outcome, the flow's cookie is cleared."""
    flow = connect_flow(settings)
    cookie = flow.cookie_name(request.args.get("state"))
    try:
        done = flow.finish(request.args.to_dict(), request.cookies)
    except FlowRefused as exc:
        answer = _refused(request, exc, settings)
    else:
        if done.purpose == "connect":
            _resync_their_items(done.tenant_id, done.organizer)
        _LOG.info(
            "OAuth flow finished",
            extra={
                "fields": {
                    "outcome": done.purpose,
                    "tenant_id": done.tenant_id,
                    "organizer": done.organizer,
                }
            },
        )
        answer = _html(success_page(done.purpose, done.tenant_id, done.organizer), 200, settings)
    if cookie is not None:
        answer[2]["Set-Cookie"] = clear_cookie(cookie)
    return answer


def _redirect(started: FlowStart) -> Response:
    """302 to Google, handing this browser the flow's cookie."""
    headers = {
        "Location": started.url,
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
    }
    if started.cookie is not None:
        headers["Set-Cookie"] = started.cookie
    return "", 302, headers


def _same_origin(request: Any) -> None:
    """A browser's POST that starts a disconnect must come from calsync's own confirmation
    page: refused when the browser says it came from another site (``Sec-Fetch-Site``) or
    another origin (``Origin``), as an auto-submitting form on an attacker's page would."""
    site = request.headers.get("Sec-Fetch-Site")
    origin = request.headers.get("Origin")
    if site is not None and site not in ("same-origin", "none"):
        raise FlowRefused("cross_site_request", f"Sec-Fetch-Site: {site[:20]}", status=403)
    if origin is not None and urlsplit(origin).netloc != request.host:
        raise FlowRefused("cross_site_request", "another Origin", status=403)


def _resync_their_items(tenant_id: str, organizer: str) -> None:
    """Items that waited in the platform account go back to the organizer (via tasks)."""
    from calsync.entrypoints.platform_events import resync_organizer
    from calsync.entrypoints.services import services

    try:
        resync_organizer(services(), tenant_id, organizer)
    except (TransientError, ConfigurationError) as exc:  # the grant is stored: not fatal
        _LOG.warning(
            "could not schedule the organizer's items for re-sync",
            extra={"fields": {"error": str(exc)}},
        )
