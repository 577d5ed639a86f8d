"""Control calls for injected faults and per-minute rate limits.

    POST /_sandbox/faults      {"method": "calendar.events.insert", "status": 503, "count": 1}
                               ctl.inject_fault("calendar.events.insert", status=503, count=1)
    POST /_sandbox/rate-limit  {"per_user_per_minute": 5}   ctl.set_rate_limit(5)

:class:`FaultRoutes` answers the routes in the sandbox; :class:`FaultCalls` is the client side,
part of :class:`~calsync_sandbox.control.client.SandboxControl`.
"""

from __future__ import annotations

from typing import Any

from ..state.faults import RateLimit
from ..state.world import World
from .routes import JSON, ControlError, Route
from .transport import ControlTransport

__all__ = ["FaultCalls", "FaultRoutes"]


class FaultRoutes:
    """Rate limits and injected faults."""

    def __init__(self, world: World) -> None:
        self.world = world

    def routes(self) -> list[Route]:
        """The routes this group answers."""
        return [
            Route("GET", "/_sandbox/rate-limit", self.read_rate_limit),
            Route("POST", "/_sandbox/rate-limit", self.rate_limit),
            Route("GET", "/_sandbox/faults", self.list_faults),
            Route("POST", "/_sandbox/faults", self.add_fault),
            Route("DELETE", "/_sandbox/faults", self.clear_faults),
        ]

    def rate_limit(self, body: JSON) -> JSON:
        status = int(body.get("status", 403))
        if status not in (403, 429):
            raise ControlError(400, "status must be 403 or 429")
        limit = RateLimit(
            body.get("per_user_per_minute"), body.get("per_project_per_minute"), status
        )
        self.world.faults.set_rate(limit)
        return vars(limit)

    def read_rate_limit(self, body: JSON) -> JSON:
        return vars(self.world.faults.rate)

    def list_faults(self, body: JSON) -> JSON:
        return {"faults": self.world.faults.as_dicts()}

    def add_fault(self, body: JSON) -> JSON:
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

    def clear_faults(self, body: JSON) -> JSON:
        self.world.faults.clear()
        return {"ok": True}


class FaultCalls(ControlTransport):
    """Rate limits and injected faults."""

    def set_rate_limit(
        self,
        per_user_per_minute: int | None = None,
        per_project_per_minute: int | None = None,
        status: int = 403,
    ) -> None:
        """Per-minute request limits (None = off); ``status`` 403 (default) or 429."""
        self._call(
            "POST",
            "rate-limit",
            {
                "per_user_per_minute": per_user_per_minute,
                "per_project_per_minute": per_project_per_minute,
                "status": status,
            },
        )

    def rate_limit(self) -> dict[str, Any]:
        """The per-minute limits in force (Google's published figures unless set)."""
        return dict(self._call("GET", "rate-limit"))

    def inject_fault(
        self,
        method: str = "*",
        *,
        user: str | None = None,
        action: str = "error",
        status: int = 503,
        reason: str = "backendError",
        message: str | None = None,
        delay: float = 0.0,
        count: int | None = None,
    ) -> dict[str, Any]:
        """Make matching requests fail (``error``), wait (``delay``) or hang up (``drop``)."""
        return self._call(
            "POST",
            "faults",
            {
                "method": method,
                "user": user,
                "action": action,
                "status": status,
                "reason": reason,
                "message": message,
                "delay": delay,
                "count": count,
            },
        )

    def faults(self) -> list[dict[str, Any]]:
        """All injected faults with their hit counts."""
        return list(self._call("GET", "faults")["faults"])

    def clear_faults(self) -> None:
        """Remove every fault."""
        self._call("DELETE", "faults")
