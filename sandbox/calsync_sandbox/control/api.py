"""The control API under ``/_sandbox/``: seed the world, inject faults, read the logs.

JSON in, JSON out, no authentication. Every route is documented with an example in
``docs/sandbox.md``; :class:`calsync_sandbox.control.client.SandboxControl` wraps each one.
Bad input answers 400 ``{"error": "..."}``; unknown things 404.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from ..calendar.invitations import calendar_view, respond
from ..oauth import registration, tokens
from ..oauth.signing_keys import Signer
from ..state.cloud_tasks import Queue, RetryConfig
from ..state.credentials import ConsentRule
from ..state.faults import RateLimit
from ..state.world import World
from ..tasks.dispatcher import Dispatcher
from .calendars import ExtraRoutes

__all__ = ["ControlApi", "ControlError"]

_JSON = dict[str, Any]


class ControlError(Exception):
    """Bad control input: answered as ``{"error": message}`` with ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _need(body: _JSON, key: str) -> Any:
    if key not in body or body[key] in (None, ""):
        raise ControlError(400, f"missing field: {key}")
    return body[key]


class ControlApi:
    """Routes ``/_sandbox/...`` requests to the world, the signer and the dispatcher."""

    def __init__(
        self,
        world: World,
        signer: Signer,
        dispatcher: Dispatcher,
        base_url: Callable[[], str],
    ) -> None:
        self.world = world
        self.signer = signer
        self.dispatcher = dispatcher
        self.base_url = base_url
        routes: list[tuple[str, str, Callable[..., Any]]] = [
            ("GET", "/_sandbox/health", lambda b: {"ok": True}),
            ("POST", "/_sandbox/reset", self.reset),
            ("POST", "/_sandbox/domains", self.add_domain),
            ("GET", "/_sandbox/users", self.list_users),
            ("POST", "/_sandbox/users", self.add_user),
            ("PATCH", "/_sandbox/users/<email>", self.update_user),
            ("POST", "/_sandbox/oauth/clients", self.add_client),
            ("POST", "/_sandbox/oauth/grants", self.add_grant),
            ("POST", "/_sandbox/oauth/grants/revoke", self.revoke_grant),
            ("POST", "/_sandbox/oauth/tokens", self.mint),
            ("POST", "/_sandbox/oauth/token-lifetime", self.token_lifetime),
            ("POST", "/_sandbox/oauth/expire-tokens", self.expire_tokens),
            ("POST", "/_sandbox/oauth/consent", self.consent),
            ("POST", "/_sandbox/oauth/signing-keys/rotate", self.rotate_signing_key),
            ("POST", "/_sandbox/service-accounts", self.add_service_account),
            ("POST", "/_sandbox/rate-limit", self.rate_limit),
            ("GET", "/_sandbox/faults", lambda b: {"faults": self.world.faults.as_dicts()}),
            ("POST", "/_sandbox/faults", self.add_fault),
            ("DELETE", "/_sandbox/faults", self.clear_faults),
            ("GET", "/_sandbox/notifications", self.notifications),
            ("GET", "/_sandbox/notifications/counts", self.notification_counts),
            ("GET", "/_sandbox/requests", self.requests),
            ("GET", "/_sandbox/requests/counts", self.request_counts),
            ("GET", "/_sandbox/calendars/<email>/view", self.view),
            ("POST", "/_sandbox/respond", self.respond),
            ("POST", "/_sandbox/queues", self.add_queue),
            ("GET", "/_sandbox/tasks", self.tasks),
            ("POST", "/_sandbox/tasks/retry-config", self.retry_config),
            ("POST", "/_sandbox/tasks/run", self.run_tasks),
            *ExtraRoutes(world).routes(),
        ]
        self._handlers = {f"{verb} {path}": fn for verb, path, fn in routes}
        self._map = Map(
            [Rule(path, methods=[verb], endpoint=f"{verb} {path}") for verb, path, _ in routes]
        )

    def __call__(self, request: Request) -> Response:
        """Answer one control request."""
        try:
            endpoint, values = self._map.bind_to_environ(request.environ).match()
            raw = request.get_data(as_text=True)
            body = json.loads(raw) if raw.strip() else {}
            if not isinstance(body, dict):
                raise ControlError(400, "body must be a JSON object")
            body = {**request.args.to_dict(), **body}
            handler = self._handlers[str(endpoint)]
            if handler == self.run_tasks:
                return _json(200, handler(body))  # deliveries call back into the sandbox
            with self.world.lock:
                self.world.settle()
                return _json(200, handler(body, **values))
        except ControlError as exc:
            return _json(exc.status, {"error": str(exc)})
        except (ValueError, LookupError) as exc:
            status = 404 if isinstance(exc, LookupError) else 400
            return _json(status, {"error": str(exc)})
        except HTTPException as exc:
            return _json(exc.code or 404, {"error": exc.description or "not found"})

    # ---- people and credentials ------------------------------------------------------------

    def reset(self, body: _JSON) -> _JSON:
        self.world.reset()
        return {"ok": True}

    def add_domain(self, body: _JSON) -> _JSON:
        domain = str(_need(body, "domain")).lower()
        self.world.domains.add(domain)
        return {"domains": sorted(self.world.domains)}

    def list_users(self, body: _JSON) -> _JSON:
        return {"users": [vars(u) for u in self.world.users.values()]}

    def add_user(self, body: _JSON) -> _JSON:
        user = self.world.add_user(
            str(_need(body, "email")),
            display_name=body.get("display_name"),
            admin=bool(body.get("admin", False)),
            suspended=bool(body.get("suspended", False)),
            email_verified=bool(body.get("email_verified", True)),
            hosted_domain=body.get("hosted_domain"),
        )
        return vars(user)

    def update_user(self, body: _JSON, email: str) -> _JSON:
        user = self.world.users.get(email.lower())
        if user is None:
            raise ControlError(404, f"no user {email}")
        for field in ("suspended", "admin", "email_verified"):
            if field in body:
                setattr(user, field, bool(body[field]))
        if "hosted_domain" in body:
            user.hosted_domain = body["hosted_domain"]
        if body.get("display_name"):
            user.display_name = str(body["display_name"])
        return vars(user)

    def add_client(self, body: _JSON) -> _JSON:
        client = registration.create_client(
            self.world,
            list(body.get("redirect_uris") or []),
            body.get("client_id") or None,
            body.get("client_secret") or None,
        )
        return {"client_id": client.client_id, "client_secret": client.client_secret}

    def add_grant(self, body: _JSON) -> _JSON:
        grant = registration.create_grant(
            self.world,
            str(_need(body, "email")),
            str(_need(body, "client_id")),
            list(body.get("scopes") or []),
            body.get("refresh_token") or None,
        )
        return {"refresh_token": grant.refresh_token}

    def revoke_grant(self, body: _JSON) -> _JSON:
        grant = self.world.grants.get(str(_need(body, "refresh_token")))
        if grant is None:
            raise ControlError(404, "no such grant")
        grant.revoked = True
        return {"ok": True}

    def mint(self, body: _JSON) -> _JSON:
        email = str(_need(body, "email")).lower()
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

    def token_lifetime(self, body: _JSON) -> _JSON:
        seconds = int(_need(body, "seconds"))
        if seconds < 1:
            raise ControlError(400, "seconds must be positive")
        self.world.settings.token_lifetime = seconds
        return {"seconds": seconds}

    def expire_tokens(self, body: _JSON) -> _JSON:
        for token in self.world.tokens.values():
            token.expires_at = min(token.expires_at, self.world.clock.time())
        return {"expired": len(self.world.tokens)}

    def consent(self, body: _JSON) -> _JSON:
        email = str(_need(body, "email")).lower()
        scopes = body.get("scopes")
        rule = ConsentRule(
            deny=bool(body.get("deny", False)),
            scopes=tuple(str(s) for s in scopes) if scopes is not None else None,
        )
        self.world.consent[email] = rule
        return {"email": email, "deny": rule.deny, "scopes": rule.scopes}

    def rotate_signing_key(self, body: _JSON) -> _JSON:
        kid = self.signer.rotate()
        if body.get("retire_previous"):
            self.signer.retire()
        return {"kid": kid, "published": [k for _, k in self.signer.published()]}

    def add_service_account(self, body: _JSON) -> _JSON:
        return registration.create_service_account(
            self.world,
            str(_need(body, "email")),
            bool(body.get("domain_wide_delegation")),
            self.base_url() + "/token",
            body.get("private_key") or None,
            body.get("private_key_id") or None,
        )

    # ---- faults, limits, logs -------------------------------------------------------------

    def rate_limit(self, body: _JSON) -> _JSON:
        status = int(body.get("status", 403))
        if status not in (403, 429):
            raise ControlError(400, "status must be 403 or 429")
        limit = RateLimit(
            body.get("per_user_per_minute"), body.get("per_project_per_minute"), status
        )
        self.world.faults.set_rate(limit)
        return vars(limit)

    def add_fault(self, body: _JSON) -> _JSON:
        fault = self.world.faults.add(
            method=str(body.get("method", "*")),
            user=body.get("user"),
            action=str(body.get("action", "error")),
            status=int(body.get("status", 503)),
            reason=str(body.get("reason", "backendError")),
            message=body.get("message"),
            delay=float(body.get("delay", 0.0)),
            count=body.get("count"),
        )
        return vars(fault)

    def clear_faults(self, body: _JSON) -> _JSON:
        self.world.faults.clear()
        return {"ok": True}

    def notifications(self, body: _JSON) -> _JSON:
        return {"notifications": self.world.notifications.as_dicts(body.get("recipient"))}

    def notification_counts(self, body: _JSON) -> _JSON:
        return {"counts": self.world.notifications.counts()}

    def requests(self, body: _JSON) -> _JSON:
        log = self.world.requests
        return {"requests": log.as_dicts(body.get("method_id"), body.get("user"))}

    def request_counts(self, body: _JSON) -> _JSON:
        log = self.world.requests
        return {"counts": log.counts(), "total": len(log.entries), "writes": log.writes()}

    # ---- calendars and tasks ---------------------------------------------------------------

    def view(self, body: _JSON, email: str) -> _JSON:
        if email.lower() not in self.world.calendars:
            raise ControlError(404, f"no calendar for {email}")
        return {"email": email.lower(), "events": calendar_view(self.world, email)}

    def respond(self, body: _JSON) -> _JSON:
        return respond(
            self.world,
            str(_need(body, "email")),
            str(_need(body, "calendar_id")),
            str(_need(body, "event_id")),
            str(_need(body, "status")),
        )

    def add_queue(self, body: _JSON) -> _JSON:
        name = str(_need(body, "name"))
        self.world.tasks.queues.setdefault(name, Queue(name))
        return {"name": name}

    def tasks(self, body: _JSON) -> _JSON:
        queue = body.get("queue")
        return {
            "tasks": [
                t.as_dict()
                for t in self.world.tasks.tasks.values()
                if queue is None or t.queue == queue
            ]
        }

    def retry_config(self, body: _JSON) -> _JSON:
        current = vars(self.world.tasks.retry)
        config = RetryConfig(**{k: body.get(k, v) for k, v in current.items()})
        self.world.tasks.retry = config
        return vars(config)

    def run_tasks(self, body: _JSON) -> _JSON:
        names = self.dispatcher.run_due(bool(body.get("include_future", False)))
        return {"ran": names}


def _json(status: int, body: object) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")
