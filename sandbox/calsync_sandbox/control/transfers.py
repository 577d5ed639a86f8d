"""Control calls for Admin Data Transfer: how long a transfer takes, and what was requested.

    POST /_sandbox/transfers/config  {"delay": 0}   ctl.set_transfer_delay(0)
    GET  /_sandbox/transfers                        ctl.transfers()

:class:`TransferRoutes` answers the routes in the sandbox; :class:`TransferCalls` is the client
side, part of :class:`~calsync_sandbox.control.client.SandboxControl`.
"""

from __future__ import annotations

from typing import Any

from ..state.world import World
from .routes import JSON, Route, number
from .transport import ControlTransport

__all__ = ["TransferCalls", "TransferRoutes"]


class TransferRoutes:
    """The transfer delay and the transfers requested so far."""

    def __init__(self, world: World) -> None:
        self.world = world

    def routes(self) -> list[Route]:
        """The routes this group answers."""
        return [
            Route("POST", "/_sandbox/transfers/config", self.transfer_config),
            Route("GET", "/_sandbox/transfers", self.list_transfers),
        ]

    def transfer_config(self, body: JSON) -> JSON:
        if body.get("delay") is not None:
            self.world.settings.transfer_delay = number(body, "delay")
        return {"delay": self.world.settings.transfer_delay}

    def list_transfers(self, body: JSON) -> JSON:
        return {"transfers": list(self.world.transfers.values())}


class TransferCalls(ControlTransport):
    """The transfer delay and the transfers requested so far."""

    def set_transfer_delay(self, seconds: float) -> float:
        """Seconds a Data Transfer stays ``inProgress`` before it runs and is ``completed``."""
        return float(self._call("POST", "transfers/config", {"delay": seconds})["delay"])

    def transfers(self) -> list[dict[str, Any]]:
        """Every Data Transfer requested so far (DataTransfer resources)."""
        return list(self._call("GET", "transfers")["transfers"])
