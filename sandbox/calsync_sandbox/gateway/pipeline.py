"""The API request pipeline: route, authenticate, inject faults, rate-limit, validate, handle, log.

    gateway = Gateway(world, handlers)
    response = gateway(request, base_url="http://127.0.0.1:8790")

Order per request (as Google's front end does it): unknown path -> 404; Calendar, Directory and
Data Transfer need a sandbox Bearer token (401 ``authError`` otherwise; Cloud Tasks is called with
anonymous credentials); injected faults for the method/user fire next (502 and 504 with an HTML
body while the switch ``html_error_bodies`` is on); then the per-minute rate limits (per API,
on by default); then the anti-abuse block of Calendar writes (403 ``quotaExceeded`` once that
user created too many calendars or events, invited too many external guests or changed too many
attendee lists, :mod:`calsync_sandbox.state.abuse`); then parameter and body validation (400);
a known method without a handler is 501. Every answered request goes into the request log.
"""

from __future__ import annotations

import json
import time

from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request, Response

from ..errors import ApiError
from ..oauth.tokens import authenticate
from ..responses import (
    HTML_ERROR_STATUSES,
    drop_connection,
    error_response,
    html_error,
    json_response,
)
from ..state.identities import Principal
from ..state.world import World
from .calls import Call, Handler, Reply
from .discovery import RouteMatch, route_table
from .validation import validate_body, validate_params

__all__ = ["AUTHENTICATED_APIS", "Gateway"]

# APIs whose calls need a Bearer token minted by the sandbox.
AUTHENTICATED_APIS = ("calendar", "directory", "datatransfer")


class Gateway:
    """Answers requests for the discovery-described APIs."""

    def __init__(self, world: World, handlers: dict[str, Handler]) -> None:
        self.world = world
        self.handlers = handlers
        self.table = route_table()

    def __call__(self, request: Request, base_url: str) -> Response:
        """Answer one API request and record it."""
        http_method = request.method
        query: MultiDict[str, str] = request.args
        override = request.headers.get("X-HTTP-Method-Override")
        if override and http_method == "POST":
            http_method = override.upper()
            if request.mimetype == "application/x-www-form-urlencoded":
                query = request.form
        match = self.table.match(http_method, request.path)
        if match is None:
            response = error_response(ApiError(404, "notFound", "Not Found"))
            self._log("unknown", http_method, request.path, None, 404)
            return response
        grpc = match.method.document.proto_json
        principal: Principal | None = None
        try:
            principal = self._authenticate(request, match)
            who = principal.email if principal else None
            with self.world.lock:
                fault = self.world.faults.take(match.method.id, who)
            if fault is not None and fault.action == "drop":
                self._log(match.method.id, http_method, request.path, who, 0)
                return drop_connection(request)
            if fault is not None and fault.action == "delay":
                time.sleep(fault.delay)
            elif fault is not None and self._html_fault(fault.status):
                self._log(match.method.id, http_method, request.path, who, fault.status)
                return html_error(fault.status)
            elif fault is not None:
                raise fault.error(grpc)
            with self.world.lock:
                limited = self.world.faults.check_rate(who, time.time(), grpc, api=match.method.api)
            if limited is not None:
                raise limited
            self._check_abuse(match, http_method, who, grpc)
            reply = self._handle(request, match, query, principal, base_url)
            response = json_response(reply.status, reply.body)
        except ApiError as error:
            response = error_response(error)
        self._log(
            match.method.id,
            http_method,
            request.path,
            principal.email if principal else None,
            response.status_code,
        )
        return response

    def _html_fault(self, status: int) -> bool:
        with self.world.lock:
            return self.world.strictness.html_error_bodies and status in HTML_ERROR_STATUSES

    def _check_abuse(
        self, match: RouteMatch, http_method: str, who: str | None, grpc: bool
    ) -> None:
        """A Calendar write by a user the anti-abuse limiter blocks: 403 ``quotaExceeded``."""
        if match.method.api != "calendar" or http_method == "GET" or who is None:
            return
        with self.world.lock:
            blocked = self.world.abuse.blocked(who, self.world.clock.time())
        if blocked:
            raise ApiError(
                403,
                "quotaExceeded",
                "Calendar usage limits exceeded.",
                domain="usageLimits",
                grpc_style=grpc,
            )

    def _authenticate(self, request: Request, match: RouteMatch) -> Principal | None:
        if match.method.api not in AUTHENTICATED_APIS:
            return None
        with self.world.lock:
            return authenticate(
                self.world, request.headers.get("Authorization"), match.method.scopes
            )

    def _handle(
        self,
        request: Request,
        match: RouteMatch,
        query: MultiDict[str, str],
        principal: Principal | None,
        base_url: str,
    ) -> Reply:
        method = match.method
        params = validate_params(method, match.path_params, query)
        raw = request.get_data(as_text=True) if query is request.args else ""
        try:
            decoded = json.loads(raw) if raw.strip() else None
        except ValueError:
            raise ApiError(
                400, "parseError", "Parse Error", grpc_style=method.document.proto_json
            ) from None
        body = validate_body(method, decoded)
        handler = self.handlers.get(method.id)
        if handler is None:
            raise ApiError(
                501,
                "notImplemented",
                f"The sandbox does not implement {method.id} yet.",
                grpc_style=method.document.proto_json,
            )
        call = Call(self.world, method, principal, params, body, dict(request.headers), base_url)
        with self.world.lock:
            self.world.settle()
            return handler(call)

    def _log(
        self, method_id: str, http_method: str, path: str, user: str | None, status: int
    ) -> None:
        with self.world.lock:
            self.world.requests.add(method_id, http_method, path, user, status)
