"""Control calls for the sandbox clock and the asynchronous work waiting on it.

    POST /_sandbox/clock/advance     {"seconds": 3600}    ctl.advance_clock(3600)
    POST /_sandbox/pending/complete  {"kinds": ["meet"]}  ctl.complete_pending(["meet"])

:class:`ClockRoutes` answers the routes in the sandbox; :class:`ClockCalls` is the client side,
part of :class:`~calsync_sandbox.control.client.SandboxControl`.
"""

from __future__ import annotations

from typing import Any

from ..clock import rfc3339
from ..state.world import World
from .routes import JSON, Route, number
from .transport import ControlTransport

__all__ = ["ClockCalls", "ClockRoutes"]

_KINDS = ("meet", "room", "transfer")


class ClockRoutes:
    """The clock, moving it forward, and pending work (Meet, room answers, transfers)."""

    def __init__(self, world: World) -> None:
        self.world = world

    def routes(self) -> list[Route]:
        """The routes this group answers."""
        return [
            Route("GET", "/_sandbox/clock", self.clock),
            Route("POST", "/_sandbox/clock/advance", self.advance),
            Route("GET", "/_sandbox/pending", self.pending),
            Route("POST", "/_sandbox/pending/complete", self.complete),
        ]

    def clock(self, body: JSON) -> JSON:
        return {"now": rfc3339(self.world.clock.now()), "offset": self.world.clock.offset}

    def advance(self, body: JSON) -> JSON:
        self.world.clock.advance(number(body, "seconds"))
        ran = self.world.pending.run_due(self.world, self.world.clock.time())
        return {**self.clock(body), "ran": [a.as_dict() for a in ran]}

    def pending(self, body: JSON) -> JSON:
        return {"pending": [a.as_dict() for a in self.world.pending.actions]}

    def complete(self, body: JSON) -> JSON:
        kinds = body.get("kinds")
        if kinds is not None and (
            not isinstance(kinds, list) or any(k not in _KINDS for k in kinds)
        ):
            raise ValueError(f"kinds must be a list of {_KINDS}")
        ran = self.world.pending.run_all(self.world, tuple(kinds) if kinds is not None else None)
        return {"ran": [a.as_dict() for a in ran]}


class ClockCalls(ControlTransport):
    """The clock, moving it forward, and pending work (Meet, room answers, transfers)."""

    def clock(self) -> dict[str, Any]:
        """``{"now": RFC 3339, "offset": seconds ahead of real time}``."""
        return self._call("GET", "clock")

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        """Move the sandbox clock forward and run what became due:
        ``{"now", "offset", "ran": [{seq, kind, target, due}]}``."""
        return self._call("POST", "clock/advance", {"seconds": seconds})

    def pending(self) -> list[dict[str, Any]]:
        """Async work not done yet: ``[{seq, kind, target, due}]`` (kind meet/room/transfer)."""
        return list(self._call("GET", "pending")["pending"])

    def complete_pending(self, kinds: list[str] | None = None) -> list[dict[str, Any]]:
        """Finish pending async work now (all, or only ``kinds``); returns what ran."""
        return list(self._call("POST", "pending/complete", {"kinds": kinds})["ran"])
