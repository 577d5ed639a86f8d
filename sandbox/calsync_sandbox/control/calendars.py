"""Control calls for calendars: what a person sees, answering invitations, rooms and Meet.

    GET  /_sandbox/calendars/{email}/view                       ctl.calendar_view(email)
    POST /_sandbox/respond  {"email", "calendar_id", "event_id", "status"}  ctl.respond(...)
    POST /_sandbox/rooms    {"email", "name", "capacity", ...}  ctl.seed_room(email, name, 8)
    POST /_sandbox/meet     {"delay": 0.2, "fail": false}       ctl.set_meet(delay=0.0)

:class:`CalendarRoutes` answers the routes in the sandbox; :class:`CalendarCalls` is the client
side, part of :class:`~calsync_sandbox.control.client.SandboxControl`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ..calendar.invitations import calendar_view, respond
from ..calendar.rooms import seed_room
from ..state.calendars import Calendar
from ..state.world import World
from .routes import JSON, ControlError, Route, need, number
from .transport import ControlTransport

__all__ = ["CalendarCalls", "CalendarRoutes"]


class CalendarRoutes:
    """Calendar views, invitation answers, rooms and Meet."""

    def __init__(self, world: World) -> None:
        self.world = world

    def routes(self) -> list[Route]:
        """The routes this group answers."""
        return [
            Route("GET", "/_sandbox/calendars/<email>/view", self.view),
            Route("POST", "/_sandbox/respond", self.respond),
            Route("GET", "/_sandbox/rooms", self.list_rooms),
            Route("POST", "/_sandbox/rooms", self.add_room),
            Route("PATCH", "/_sandbox/rooms/<email>", self.update_room),
            Route("POST", "/_sandbox/meet", self.meet),
            Route("POST", "/_sandbox/calendars/subscriptions", self.subscribe),
        ]

    def subscribe(self, body: JSON) -> JSON:
        email = str(need(body, "email")).lower()
        calendar_id = str(need(body, "calendar_id")).lower()
        role = str(body.get("access_role") or "reader")
        if role not in ("reader", "freeBusyReader"):
            raise ValueError("access_role must be reader or freeBusyReader")
        if email not in self.world.users:
            raise LookupError(f"no user {email}")
        if calendar_id not in self.world.calendars:
            summary = str(body.get("summary") or calendar_id)
            self.world.calendars[calendar_id] = Calendar(
                calendar_id, "", summary, primary=False, etag=self.world.new_etag()
            )
            self.world.events[calendar_id] = {}
        self.world.subscriptions.setdefault(email, {})[calendar_id] = role
        return {"email": email, "subscriptions": self.world.subscriptions[email]}

    def view(self, body: JSON, email: str) -> JSON:
        if email.lower() not in self.world.calendars:
            raise ControlError(404, f"no calendar for {email}")
        return {"email": email.lower(), "events": calendar_view(self.world, email)}

    def respond(self, body: JSON) -> JSON:
        return respond(
            self.world,
            str(need(body, "email")),
            str(need(body, "calendar_id")),
            str(need(body, "event_id")),
            str(need(body, "status")),
        )

    def list_rooms(self, body: JSON) -> JSON:
        return {"rooms": [vars(r) for r in self.world.rooms.values()]}

    def add_room(self, body: JSON) -> JSON:
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
            answer_delay=number(body, "answer_delay", 0.0),
            resource_id=body.get("resource_id"),
        )
        if body.get("bookers") is not None:
            room.bookers = _bookers(body["bookers"])
        return vars(room)

    def update_room(self, body: JSON, email: str) -> JSON:
        room = self.world.rooms.get(email.lower())
        if room is None:
            raise LookupError(f"no room {email}")
        if "auto_accept" in body:
            room.auto_accept = bool(body["auto_accept"])
        if "answer_delay" in body:
            room.answer_delay = number(body, "answer_delay")
        if "bookers" in body:
            room.bookers = None if body["bookers"] is None else _bookers(body["bookers"])
        return vars(room)

    def meet(self, body: JSON) -> JSON:
        settings = self.world.settings
        if body.get("delay") is not None:
            settings.meet_delay = number(body, "delay")
        if body.get("fail") is not None:
            settings.meet_fails = bool(body["fail"])
        return {"delay": settings.meet_delay, "fail": settings.meet_fails}


def _bookers(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise ValueError("bookers must be a list of email addresses (or null: everyone)")
    return tuple(x.lower() for x in value)


class CalendarCalls(ControlTransport):
    """Calendar views, invitation answers, rooms and Meet."""

    def subscribe(
        self,
        email: str,
        calendar_id: str,
        access_role: str = "reader",
        summary: str | None = None,
    ) -> dict[str, Any]:
        """Put a calendar ``email`` does not own into their calendar list (another person's
        shared calendar, a room, or a new calendar such as a holiday one, created with
        ``summary`` when the id is unknown). ``freeBusyReader``: events.list there is 403."""
        return self._call(
            "POST",
            "calendars/subscriptions",
            {
                "email": email,
                "calendar_id": calendar_id,
                "access_role": access_role,
                "summary": summary,
            },
        )

    def calendar_view(self, email: str) -> list[dict[str, Any]]:
        """What the person's primary calendar shows (non-cancelled events)."""
        return list(self._call("GET", f"calendars/{quote(email)}/view")["events"])

    def respond(self, email: str, calendar_id: str, event_id: str, status: str) -> dict[str, Any]:
        """Answer an invitation as ``email`` (accepted, declined, tentative, needsAction)."""
        return self._call(
            "POST",
            "respond",
            {"email": email, "calendar_id": calendar_id, "event_id": event_id, "status": status},
        )

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
        self,
        email: str,
        *,
        auto_accept: bool | None = None,
        answer_delay: float | None = None,
        bookers: list[str] | None = None,
        everyone_may_book: bool = False,
    ) -> dict[str, Any]:
        """Change how a room answers from now on; ``bookers`` = only these people have booking
        rights (the room declines the others), ``everyone_may_book=True`` lifts that."""
        body: dict[str, Any] = {}
        if bookers is not None:
            body["bookers"] = bookers
        if everyone_may_book:
            body["bookers"] = None
        if auto_accept is not None:
            body["auto_accept"] = auto_accept
        if answer_delay is not None:
            body["answer_delay"] = answer_delay
        return self._call("PATCH", f"rooms/{quote(email)}", body)

    def rooms(self) -> list[dict[str, Any]]:
        """All seeded rooms."""
        return list(self._call("GET", "rooms")["rooms"])

    def set_meet(self, *, delay: float | None = None, fail: bool | None = None) -> dict[str, Any]:
        """Meet creation: seconds until it finishes (0 = in the write's reply) and whether
        creations started from now on fail. Returns ``{"delay", "fail"}``."""
        return self._call("POST", "meet", {"delay": delay, "fail": fail})
