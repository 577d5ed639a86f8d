"""Rooms: the tenant's catalog (cached in Firestore) and which rooms are free when.

The catalog is Directory ``resources.calendars.list``, stored per tenant under
``tenants/{t}/rooms/{email}`` and refreshed when older than ``CATALOG_MAX_AGE``
(or on demand). Availability asks ``freeBusy`` in chunks of at most 50 calendars
and ``MAX_FREEBUSY_DAYS`` days (Google's limits), so the platform gets one answer
for any number of rooms and any range. Filtering and busy-interval arithmetic are
pure functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict

from calsync.google.calendar import CalendarGateway

__all__ = [
    "CATALOG_MAX_AGE",
    "FREEBUSY_BATCH",
    "MAX_FREEBUSY_DAYS",
    "Room",
    "RoomQuery",
    "free_rooms",
    "matching",
    "room_from_directory",
    "time_chunks",
]

CATALOG_MAX_AGE = timedelta(hours=6)
FREEBUSY_BATCH = 50
"""Google answers at most 50 calendars per freeBusy query."""
MAX_FREEBUSY_DAYS = 60
"""Longer ranges fail with 400 ``timeRangeTooLong`` (limit undocumented; facts §0.6)."""


class Room(BaseModel):
    """A bookable room, as the platform sees it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    email: str
    name: str
    capacity: int | None = None
    building: str | None = None
    floor: str | None = None
    category: str | None = None


@dataclass(frozen=True)
class RoomQuery:
    """What the platform asks: rooms free for [start, end), optionally filtered."""

    start: datetime
    end: datetime
    min_capacity: int = 0
    building: str | None = None

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("start and end need a UTC offset")
        if self.end <= self.start:
            raise ValueError("end must be after start")


def room_from_directory(resource: dict[str, Any]) -> Room | None:
    """A catalog entry from a Directory calendar resource (None for non-rooms)."""
    email = resource.get("resourceEmail")
    if not email or resource.get("resourceCategory", "CONFERENCE_ROOM") != "CONFERENCE_ROOM":
        return None
    return Room(
        email=str(email).lower(),
        name=str(resource.get("resourceName") or email),
        capacity=resource.get("capacity"),
        building=resource.get("buildingId"),
        floor=resource.get("floorName"),
        category=resource.get("resourceCategory"),
    )


def matching(rooms: Iterable[Room], query: RoomQuery) -> list[Room]:
    """Rooms with enough seats in the asked building."""
    return [
        room
        for room in rooms
        if (room.capacity or 0) >= query.min_capacity
        and (query.building is None or room.building == query.building)
    ]


def time_chunks(
    start: datetime, end: datetime, days: int = MAX_FREEBUSY_DAYS
) -> Iterator[tuple[datetime, datetime]]:
    """[start, end) cut into pieces freeBusy accepts."""
    step = timedelta(days=days)
    while start < end:
        yield start, min(start + step, end)
        start += step


def _batches(rooms: list[Room]) -> Iterator[list[Room]]:
    for index in range(0, len(rooms), FREEBUSY_BATCH):
        yield rooms[index : index + FREEBUSY_BATCH]


def free_rooms(gateway: CalendarGateway, rooms: list[Room], query: RoomQuery) -> list[Room]:
    """The rooms among ``rooms`` with no busy block overlapping the query's range."""
    busy: set[str] = set()
    unknown: set[str] = set()
    for batch in _batches(matching(rooms, query)):
        for start, end in time_chunks(query.start, query.end):
            answer = gateway.free_busy(
                start.isoformat(), end.isoformat(), [room.email for room in batch]
            )
            for email, calendar in answer.items():
                if calendar.get("errors"):
                    unknown.add(email.lower())
                elif calendar.get("busy"):
                    busy.add(email.lower())
    return [room for room in matching(rooms, query) if room.email not in busy | unknown]
