"""Rooms and Google Meet: reading Google's answers and reporting them (pure).

Both are asynchronous in Google: a room answers the invitation (``accepted``,
or ``declined`` when double-booked), possibly later; a Meet link is created
``pending`` and becomes ``success`` or ``failure``. ``observe`` reads one event
resource; ``outcomes`` turns what it saw into extra results for the platform;
``pending`` says whether a follow-up check is needed; ``late_answers`` which rooms
answered since calsync recorded their answers (two-way sync's reads,
``calsync.sync.room_answers``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from calsync.contracts import Result, ResultStatus

__all__ = ["ROOM_ANSWERS", "Amenities", "late_answers", "observe", "outcomes"]

ROOM_ANSWERS = frozenset({"accepted", "declined", "tentative"})
"""What a room can say to an invitation (anything else is no answer yet)."""


@dataclass(frozen=True)
class Amenities:
    """What Google says about an event's rooms and Meet link."""

    room_responses: dict[str, str] = field(default_factory=dict)
    meet_status: str = ""
    meet_url: str | None = None

    @property
    def pending(self) -> bool:
        """A room has not answered yet or the Meet link is still being created."""
        return self.meet_status == "pending" or "needsAction" in self.room_responses.values()

    @property
    def declined_rooms(self) -> list[str]:
        """Rooms that said no (double-booked or unavailable)."""
        return sorted(r for r, status in self.room_responses.items() if status == "declined")


def observe(event: dict[str, Any] | None) -> Amenities:
    """Room answers and Meet state of an event resource (None: nothing known)."""
    if not event:
        return Amenities()
    rooms = {
        str(a.get("email", "")).lower(): str(a.get("responseStatus", "needsAction"))
        for a in event.get("attendees", [])
        if a.get("resource")
    }
    conference = event.get("conferenceData") or {}
    status = str(
        ((conference.get("createRequest") or {}).get("status") or {}).get("statusCode", "")
    )
    url = event.get("hangoutLink") or next(
        (
            str(point.get("uri"))
            for point in conference.get("entryPoints", [])
            if point.get("entryPointType") == "video"
        ),
        None,
    )
    if conference and not status and url:
        status = "success"
    return Amenities(rooms, status, url)


def outcomes(base: Result, seen: Amenities) -> list[Result]:
    """Extra results for declined rooms and a failed Meet (beside the part's own result)."""
    extra: list[Result] = []
    if seen.declined_rooms:
        extra.append(
            base.model_copy(
                update={
                    "status": ResultStatus.ROOM_DECLINED,
                    "error_code": "room_declined",
                    "error_message": (
                        "declined (already booked for that time, or not available): "
                        + ", ".join(seen.declined_rooms)
                    ),
                }
            )
        )
    if seen.meet_status == "failure":
        extra.append(
            base.model_copy(
                update={
                    "status": ResultStatus.MEET_FAILED,
                    "error_code": "meet_failed",
                    "error_message": (
                        "Google could not create the Meet link; calsync asks again a few "
                        "times, then an edit of the item asks again"
                    ),
                }
            )
        )
    return extra


def late_answers(known: Mapping[str, str], seen: Amenities) -> dict[str, str]:
    """room → its answer in ``seen``, for the rooms of ``known`` (the answers calsync recorded
    for the rooms it invited) that answered something else since.

    A room back to ``needsAction`` has not answered: only a write asks a room again, and that
    write's result and follow-ups report it. A room calsync did not invite (added by hand in
    Google Calendar) is drift, not an answer to report.
    """
    return {
        room: status
        for room, status in seen.room_responses.items()
        if room in known and status in ROOM_ANSWERS and status != known[room]
    }
