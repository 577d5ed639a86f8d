"""Control calls for push notifications: the watch channels and what was POSTed to them.

    GET  /_sandbox/push/channels                         ctl.push_channels()
    GET  /_sandbox/push/deliveries?channel_id=           ctl.push_deliveries(channel_id)
    POST /_sandbox/push/drain  {"timeout": 10}           ctl.drain_push(timeout=10.0)

``drain`` waits until every queued notification was delivered, failed or dropped (retries
included) and answers the whole delivery log, so tests never sleep; after the timeout it answers
504. :class:`PushRoutes` answers the routes in the sandbox; :class:`PushCalls` is the client
side, part of :class:`~calsync_sandbox.control.client.SandboxControl`.
"""

from __future__ import annotations

from typing import Any

from ..state.world import World
from .routes import JSON, ControlError, Route, number
from .transport import ControlTransport

__all__ = ["PushCalls", "PushRoutes"]


class PushRoutes:
    """Watch channels, the notifications sent to them, and waiting for them."""

    def __init__(self, world: World) -> None:
        self.world = world

    def routes(self) -> list[Route]:
        """The routes this group answers."""
        return [
            Route("GET", "/_sandbox/push/channels", self.channels),
            Route("GET", "/_sandbox/push/deliveries", self.deliveries),
            # Waits for the delivery thread, which needs the lock: runs without it.
            Route("POST", "/_sandbox/push/drain", self.drain, under_lock=False),
        ]

    def channels(self, body: JSON) -> JSON:
        now = self.world.clock.time()
        return {"channels": [c.as_dict(now) for c in self.world.push.channels.values()]}

    def deliveries(self, body: JSON) -> JSON:
        wanted = body.get("channel_id")
        return {
            "deliveries": [
                d.as_dict()
                for d in self.world.push.deliveries
                if wanted is None or d.channel_id == wanted
            ]
        }

    def drain(self, body: JSON) -> JSON:
        timeout = number(body, "timeout", 10.0)
        if not self.world.push.wait_drained(timeout):
            raise ControlError(504, f"push notifications still pending after {timeout} s")
        with self.world.lock:
            return self.deliveries({})


class PushCalls(ControlTransport):
    """Watch channels, the notifications sent to them, and waiting for them."""

    def push_channels(self) -> list[dict[str, Any]]:
        """Every channel opened since the last reset: ``{id, resource_id, resource_uri,
        calendar_id, address, token, expiration (ms), owner, stopped, expired}``."""
        return list(self._call("GET", "push/channels")["channels"])

    def push_deliveries(self, channel_id: str | None = None) -> list[dict[str, Any]]:
        """Every notification queued (optionally for one channel): ``{seq, channel_id,
        calendar_id, address, state, message_number, headers, queued_at, status, attempts}``."""
        params = {"channel_id": channel_id} if channel_id else None
        return list(self._call("GET", "push/deliveries", params=params)["deliveries"])

    def drain_push(self, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Wait until every queued notification is delivered, failed or dropped; returns the
        delivery log. Raises ``SandboxControlError`` (504) after ``timeout`` seconds."""
        return list(self._call("POST", "push/drain", {"timeout": timeout})["deliveries"])
