"""Control calls for the strictness switches (how strictly the sandbox reads Google).

    GET  /_sandbox/strictness                                    ctl.strictness_switches()
    POST /_sandbox/strictness  {"revoke_kills_all_grants": false}  ctl.strictness(...)

``POST /_sandbox/reset`` restores the defaults (the strict reading). :class:`StrictnessRoutes`
answers the routes in the sandbox; :class:`StrictnessCalls` is the client side, part of
:class:`~calsync_sandbox.control.client.SandboxControl`.
"""

from __future__ import annotations

from typing import Any

from ..state.world import World
from .routes import JSON, Route
from .transport import ControlTransport

__all__ = ["StrictnessCalls", "StrictnessRoutes"]


class StrictnessRoutes:
    """Reading and changing the strictness switches."""

    def __init__(self, world: World) -> None:
        self.world = world

    def routes(self) -> list[Route]:
        """The routes this group answers."""
        return [
            Route("GET", "/_sandbox/strictness", self.read),
            Route("POST", "/_sandbox/strictness", self.change),
        ]

    def read(self, body: JSON) -> JSON:
        return {"switches": self.world.strictness.as_dict()}

    def change(self, body: JSON) -> JSON:
        self.world.strictness.update(body)
        return self.read(body)


class StrictnessCalls(ControlTransport):
    """Reading and changing the strictness switches."""

    def strictness(self, **switches: Any) -> dict[str, Any]:
        """Set the named switches (400 on an unknown name); returns every switch."""
        return dict(self._call("POST", "strictness", switches)["switches"])

    def strictness_switches(self) -> dict[str, Any]:
        """Every switch by name, with its current value."""
        return dict(self._call("GET", "strictness")["switches"])
