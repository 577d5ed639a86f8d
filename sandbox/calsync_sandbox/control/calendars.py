"""Control routes for rooms, Meet, Data Transfer, the sandbox clock and pending async work.

Mounted by :class:`calsync_sandbox.control.api.ControlApi` next to its own routes; documented in
``docs/sandbox.md`` and wrapped by :class:`calsync_sandbox.control.client.SandboxControl`::

    POST /_sandbox/rooms               {"email", "name", "capacity", "building", "floor", ...}
    POST /_sandbox/meet                {"delay": 0.2, "fail": false}
    POST /_sandbox/clock/advance       {"seconds": 3600}
    POST /_sandbox/pending/complete    {"kinds": ["meet", "room", "transfer"]}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..calendar.rooms import seed_room
from ..clock import rfc3339
from ..state.world import World

__all__ = ["ExtraRoutes"]

_JSON = dict[str, Any]
_KINDS = ("meet", "room", "transfer")


def _number(body: _JSON, key: str, default: float | None = None) -> float:
    value = body.get(key, default)
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{key} must be a number")
    if value < 0:
        raise ValueError(f"{key} must not be negative")
    return float(value)


class ExtraRoutes:
    """The handlers; ``routes()`` lists them as ``(verb, path, handler)``."""

    def __init__(self, world: World) -> None:
        self.world = world

    def routes(self) -> list[tuple[str, str, Callable[..., Any]]]:
        """Routes to mount."""
        return [
            ("GET", "/_sandbox/rooms", self.list_rooms),
            ("POST", "/_sandbox/rooms", self.add_room),
            ("PATCH", "/_sandbox/rooms/<email>", self.update_room),
            ("POST", "/_sandbox/meet", self.meet),
            ("POST", "/_sandbox/transfers/config", self.transfer_config),
            ("GET", "/_sandbox/transfers", self.list_transfers),
            ("GET", "/_sandbox/clock", self.clock),
            ("POST", "/_sandbox/clock/advance", self.advance),
            ("GET", "/_sandbox/pending", self.pending),
            ("POST", "/_sandbox/pending/complete", self.complete),
        ]

    def list_rooms(self, body: _JSON) -> _JSON:
        return {"rooms": [vars(r) for r in self.world.rooms.values()]}

    def add_room(self, body: _JSON) -> _JSON:
        email, name = body.get("email"), body.get("name")
        if not email or not name:
            raise ValueError("email and name are required")
        capacity = body.get("capacity")
        room = seed_room(
            self.world,
            str(email),
            str(name),
            domain=body.get("domain"),
            capacity=int(capacity) if capacity is not None else None,
            building_id=body.get("building"),
            floor_name=body.get("floor"),
            category=str(body.get("category") or "CONFERENCE_ROOM"),
            resource_type=body.get("resource_type"),
            auto_accept=bool(body.get("auto_accept", True)),
            answer_delay=_number(body, "answer_delay", 0.0),
            resource_id=body.get("resource_id"),
        )
        return vars(room)

    def update_room(self, body: _JSON, email: str) -> _JSON:
        room = self.world.rooms.get(email.lower())
        if room is None:
            raise LookupError(f"no room {email}")
        if "auto_accept" in body:
            room.auto_accept = bool(body["auto_accept"])
        if "answer_delay" in body:
            room.answer_delay = _number(body, "answer_delay")
        return vars(room)

    def meet(self, body: _JSON) -> _JSON:
        settings = self.world.settings
        if body.get("delay") is not None:
            settings.meet_delay = _number(body, "delay")
        if body.get("fail") is not None:
            settings.meet_fails = bool(body["fail"])
        return {"delay": settings.meet_delay, "fail": settings.meet_fails}

    def transfer_config(self, body: _JSON) -> _JSON:
        if body.get("delay") is not None:
            self.world.settings.transfer_delay = _number(body, "delay")
        return {"delay": self.world.settings.transfer_delay}

    def list_transfers(self, body: _JSON) -> _JSON:
        return {"transfers": list(self.world.transfers.values())}

    def clock(self, body: _JSON) -> _JSON:
        return {"now": rfc3339(self.world.clock.now()), "offset": self.world.clock.offset}

    def advance(self, body: _JSON) -> _JSON:
        self.world.clock.advance(_number(body, "seconds"))
        ran = self.world.pending.run_due(self.world, self.world.clock.time())
        return {**self.clock(body), "ran": [a.as_dict() for a in ran]}

    def pending(self, body: _JSON) -> _JSON:
        return {"pending": [a.as_dict() for a in self.world.pending.actions]}

    def complete(self, body: _JSON) -> _JSON:
        kinds = body.get("kinds")
        if kinds is not None and (
            not isinstance(kinds, list) or any(k not in _KINDS for k in kinds)
        ):
            raise ValueError(f"kinds must be a list of {_KINDS}")
        ran = self.world.pending.run_all(self.world, tuple(kinds) if kinds is not None else None)
        return {"ran": [a.as_dict() for a in ran]}
