"""Control calls for "a person edits in Google Calendar": move, retitle, delete, add or remove
a guest (answering an invitation is ``respond``, in :mod:`.calendars`).

    POST /_sandbox/edits/move          {"calendar_id", "event_id", "start", "end"}
    POST /_sandbox/edits/retitle       {"calendar_id", "event_id", "summary"}
    POST /_sandbox/edits/delete        {"calendar_id", "event_id"}
    POST /_sandbox/edits/add-guest     {"calendar_id", "event_id", "email"}
    POST /_sandbox/edits/remove-guest  {"calendar_id", "event_id", "email"}

Each also takes ``send_updates`` (``none`` by default, ``all``, ``externalOnly``) and answers
the event as its organizer sees it (:mod:`calsync_sandbox.calendar.person_edits`).
:class:`EditRoutes` answers the routes in the sandbox; :class:`EditCalls` is the client side,
part of :class:`~calsync_sandbox.control.client.SandboxControl`.
"""

from __future__ import annotations

from typing import Any

from ..calendar import person_edits
from ..state.world import World
from .routes import JSON, Route, need
from .transport import ControlTransport

__all__ = ["EditCalls", "EditRoutes"]


class EditRoutes:
    """A person's edits of an event, made in Google Calendar's UI."""

    def __init__(self, world: World) -> None:
        self.world = world

    def routes(self) -> list[Route]:
        """The routes this group answers."""
        return [
            Route("POST", "/_sandbox/edits/move", self.move),
            Route("POST", "/_sandbox/edits/retitle", self.retitle),
            Route("POST", "/_sandbox/edits/delete", self.delete),
            Route("POST", "/_sandbox/edits/add-guest", self.add_guest),
            Route("POST", "/_sandbox/edits/remove-guest", self.remove_guest),
        ]

    @staticmethod
    def _target(body: JSON) -> tuple[str, str, str]:
        send = str(body.get("send_updates") or "none")
        return str(need(body, "calendar_id")), str(need(body, "event_id")), send

    def move(self, body: JSON) -> JSON:
        calendar_id, event_id, send = self._target(body)
        start, end = need(body, "start"), need(body, "end")
        return person_edits.move(self.world, calendar_id, event_id, start, end, send)

    def retitle(self, body: JSON) -> JSON:
        calendar_id, event_id, send = self._target(body)
        summary = str(need(body, "summary"))
        return person_edits.retitle(self.world, calendar_id, event_id, summary, send)

    def delete(self, body: JSON) -> JSON:
        calendar_id, event_id, send = self._target(body)
        return person_edits.delete(self.world, calendar_id, event_id, send)

    def add_guest(self, body: JSON) -> JSON:
        calendar_id, event_id, send = self._target(body)
        email = str(need(body, "email"))
        return person_edits.add_guest(self.world, calendar_id, event_id, email, send)

    def remove_guest(self, body: JSON) -> JSON:
        calendar_id, event_id, send = self._target(body)
        email = str(need(body, "email"))
        return person_edits.remove_guest(self.world, calendar_id, event_id, email, send)


class EditCalls(ControlTransport):
    """A person's edits of an event, made in Google Calendar's UI (each answers the event as
    its organizer sees it; ``send_updates``: ``none``, ``all`` or ``externalOnly``)."""

    def _edit(self, action: str, calendar_id: str, event_id: str, **fields: Any) -> dict[str, Any]:
        return self._call(
            "POST", f"edits/{action}", {"calendar_id": calendar_id, "event_id": event_id, **fields}
        )

    def edit_move(
        self,
        calendar_id: str,
        event_id: str,
        start: dict[str, Any],
        end: dict[str, Any],
        *,
        send_updates: str = "none",
    ) -> dict[str, Any]:
        """Drag the event to new times (``{"dateTime": ..., "timeZone": ...}`` objects)."""
        return self._edit(
            "move", calendar_id, event_id, start=start, end=end, send_updates=send_updates
        )

    def edit_retitle(
        self, calendar_id: str, event_id: str, summary: str, *, send_updates: str = "none"
    ) -> dict[str, Any]:
        """Give the event a new title."""
        return self._edit(
            "retitle", calendar_id, event_id, summary=summary, send_updates=send_updates
        )

    def edit_delete(
        self, calendar_id: str, event_id: str, *, send_updates: str = "none"
    ) -> dict[str, Any]:
        """Delete the event (a cancelled tombstone stays)."""
        return self._edit("delete", calendar_id, event_id, send_updates=send_updates)

    def edit_add_guest(
        self, calendar_id: str, event_id: str, email: str, *, send_updates: str = "none"
    ) -> dict[str, Any]:
        """Invite one more guest."""
        return self._edit(
            "add-guest", calendar_id, event_id, email=email, send_updates=send_updates
        )

    def edit_remove_guest(
        self, calendar_id: str, event_id: str, email: str, *, send_updates: str = "none"
    ) -> dict[str, Any]:
        """Take a guest off the event."""
        return self._edit(
            "remove-guest", calendar_id, event_id, email=email, send_updates=send_updates
        )
