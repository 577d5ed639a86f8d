"""Typed control calls for rooms, Meet, Data Transfer, the clock and pending async work.

A mixin of :class:`calsync_sandbox.control.client.SandboxControl` (use it through that class)::

    ctl.seed_room("room-a@resource.calendar.google.com", "Room A", 8, "HQ", "2")
    ctl.set_meet(delay=0.0)                  # Meet links at once
    ctl.complete_pending()                   # finish Meet creations, room answers, transfers
    ctl.advance_clock(3600)                  # an hour later (due async work runs)
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

__all__ = ["ExtrasControl"]


class ExtrasControl:
    """Control calls added for rooms/Meet and the orphan sweeper (see ``docs/sandbox.md``)."""

    def _call(
        self,
        verb: str,
        path: str,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        raise NotImplementedError  # provided by SandboxControl

    # ---- rooms ----------------------------------------------------------------------------

    def seed_room(
        self,
        email: str,
        name: str,
        capacity: int | None = None,
        building: str | None = None,
        floor: str | None = None,
        *,
        category: str = "CONFERENCE_ROOM",
        auto_accept: bool = True,
        answer_delay: float = 0.0,
        domain: str | None = None,
        resource_type: str | None = None,
        resource_id: str | None = None,
    ) -> dict[str, Any]:
        """Add a room (Directory resource + a calendar that answers invitations) to ``domain``
        (default: the email's domain if seeded, else the only seeded domain)."""
        return self._call(
            "POST",
            "rooms",
            {
                "email": email,
                "name": name,
                "capacity": capacity,
                "building": building,
                "floor": floor,
                "category": category,
                "auto_accept": auto_accept,
                "answer_delay": answer_delay,
                "domain": domain,
                "resource_type": resource_type,
                "resource_id": resource_id,
            },
        )

    def update_room(
        self, email: str, *, auto_accept: bool | None = None, answer_delay: float | None = None
    ) -> dict[str, Any]:
        """Change how a room answers from now on."""
        body: dict[str, Any] = {}
        if auto_accept is not None:
            body["auto_accept"] = auto_accept
        if answer_delay is not None:
            body["answer_delay"] = answer_delay
        return self._call("PATCH", f"rooms/{quote(email)}", body)

    def rooms(self) -> list[dict[str, Any]]:
        """All seeded rooms."""
        return list(self._call("GET", "rooms")["rooms"])

    # ---- Meet and Data Transfer ------------------------------------------------------------

    def set_meet(self, *, delay: float | None = None, fail: bool | None = None) -> dict[str, Any]:
        """Meet creation: seconds until it finishes (0 = in the write's reply) and whether
        creations started from now on fail. Returns ``{"delay", "fail"}``."""
        return self._call("POST", "meet", {"delay": delay, "fail": fail})

    def set_transfer_delay(self, seconds: float) -> float:
        """Seconds a Data Transfer stays ``inProgress`` before it runs and is ``completed``."""
        return float(self._call("POST", "transfers/config", {"delay": seconds})["delay"])

    def transfers(self) -> list[dict[str, Any]]:
        """Every Data Transfer requested so far (DataTransfer resources)."""
        return list(self._call("GET", "transfers")["transfers"])

    # ---- clock and pending work -------------------------------------------------------------

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
