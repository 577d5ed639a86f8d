"""Control calls that read the logs: the would-be emails and the answered API requests.

    GET /_sandbox/notifications/counts   ctl.notification_counts()   # {"bob@acme.com": {...}}
    GET /_sandbox/requests/counts        ctl.request_counts()        # {"counts", "total", "writes"}

:class:`LogRoutes` answers the routes in the sandbox; :class:`LogCalls` is the client side,
part of :class:`~calsync_sandbox.control.client.SandboxControl`.
"""

from __future__ import annotations

from typing import Any

from ..state.world import World
from .routes import JSON, Route
from .transport import ControlTransport

__all__ = ["LogCalls", "LogRoutes"]


class LogRoutes:
    """The notification log and the request log."""

    def __init__(self, world: World) -> None:
        self.world = world

    def routes(self) -> list[Route]:
        """The routes this group answers."""
        return [
            Route("GET", "/_sandbox/notifications", self.notifications),
            Route("GET", "/_sandbox/notifications/counts", self.notification_counts),
            Route("GET", "/_sandbox/requests", self.requests),
            Route("GET", "/_sandbox/requests/counts", self.request_counts),
        ]

    def notifications(self, body: JSON) -> JSON:
        return {"notifications": self.world.notifications.as_dicts(body.get("recipient"))}

    def notification_counts(self, body: JSON) -> JSON:
        return {"counts": self.world.notifications.counts()}

    def requests(self, body: JSON) -> JSON:
        log = self.world.requests
        return {"requests": log.as_dicts(body.get("method_id"), body.get("user"))}

    def request_counts(self, body: JSON) -> JSON:
        log = self.world.requests
        return {"counts": log.counts(), "total": len(log.entries), "writes": log.writes()}


class LogCalls(ControlTransport):
    """The notification log and the request log."""

    def notifications(self, recipient: str | None = None) -> list[dict[str, Any]]:
        """The would-be emails, optionally for one recipient."""
        params = {"recipient": recipient} if recipient else None
        return list(self._call("GET", "notifications", params=params)["notifications"])

    def notification_counts(self) -> dict[str, dict[str, int]]:
        """``{recipient: {kind: count}}``."""
        counts: dict[str, dict[str, int]] = self._call("GET", "notifications/counts")["counts"]
        return counts

    def requests(
        self, method_id: str | None = None, user: str | None = None
    ) -> list[dict[str, Any]]:
        """The request log, optionally filtered."""
        params = {k: v for k, v in (("method_id", method_id), ("user", user)) if v}
        return list(self._call("GET", "requests", params=params)["requests"])

    def request_counts(self) -> dict[str, Any]:
        """``{"counts": {method_id: n}, "total": n, "writes": n}``."""
        return self._call("GET", "requests/counts")
