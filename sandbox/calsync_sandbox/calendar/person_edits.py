"""A person edits an event in Google Calendar (not through the API): the control API's way to
make the drift that two-way sync must notice.

    move(world, "alice@acme.com", "evt00001", start={"dateTime": ...}, end={"dateTime": ...})
    retitle(world, "alice@acme.com", "evt00001", "New title")
    delete(world, "alice@acme.com", "evt00001")
    add_guest(world, "alice@acme.com", "evt00001", "eve@acme.com")
    remove_guest(world, "alice@acme.com", "evt00001", "bob@acme.com")

Each edit is the calendar owner's, made on the event's own calendar (``calendar_id`` is where the
event is stored; events moved by Data Transfer are followed). It goes through the same path as an
API write (:func:`.event_store.store_change`): new ``etag`` and ``updated``, ``sequence`` + 1 when
start, end or location change, rooms asked again after a move, mail per ``send_updates``
(default ``none``: the person chose "Don't send"), and a push notification to every channel
watching the organizer's or a guest's calendar. Answering an invitation is
:func:`.invitations.respond`. Bad input is ``ValueError``, an unknown event ``LookupError``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from ..errors import ApiError
from ..state.calendars import EventRecord
from ..state.world import World
from .event_rules import check_times, render
from .event_store import store_change

__all__ = ["SEND_UPDATES", "add_guest", "delete", "move", "remove_guest", "retitle"]

SEND_UPDATES = ("none", "all", "externalOnly")


def _record(world: World, calendar_id: str, event_id: str) -> EventRecord:
    record = world.live_record(calendar_id.lower(), event_id)
    if record is None:
        raise LookupError(f"no event {event_id} on calendar {calendar_id}")
    return record


def _edit(
    world: World,
    calendar_id: str,
    event_id: str,
    change: Callable[[dict[str, Any]], None],
    send_updates: str,
    *,
    allow_cancelled: bool = False,
) -> dict[str, Any]:
    if send_updates not in SEND_UPDATES:
        raise ValueError(f"send_updates must be one of {SEND_UPDATES}")
    record = _record(world, calendar_id, event_id)
    if record.cancelled and not allow_cancelled:
        raise ValueError(f"event {event_id} is deleted")
    calendar = world.calendars[record.calendar_id]
    after = copy.deepcopy(record.data)
    change(after)
    try:
        check_times(after)
    except ApiError as error:
        raise ValueError(error.message) from None
    saved = store_change(
        world,
        calendar,
        record.data,
        after,
        actor=calendar.owner,
        send_updates=send_updates,
        order=record.order,
        count_abuse=False,
    )
    return render(saved.data, calendar.owner, own_copy=True)


def move(
    world: World,
    calendar_id: str,
    event_id: str,
    start: dict[str, Any],
    end: dict[str, Any],
    send_updates: str = "none",
) -> dict[str, Any]:
    """Drag the event to a new ``start``/``end`` (Calendar ``EventDateTime`` objects)."""
    if not isinstance(start, dict) or not isinstance(end, dict):
        raise ValueError("start and end must be objects like {'dateTime': ..., 'timeZone': ...}")

    def change(event: dict[str, Any]) -> None:
        event["start"], event["end"] = dict(start), dict(end)

    return _edit(world, calendar_id, event_id, change, send_updates)


def retitle(
    world: World, calendar_id: str, event_id: str, summary: str, send_updates: str = "none"
) -> dict[str, Any]:
    """Change the event's title."""

    def change(event: dict[str, Any]) -> None:
        event["summary"] = summary

    return _edit(world, calendar_id, event_id, change, send_updates)


def delete(
    world: World, calendar_id: str, event_id: str, send_updates: str = "none"
) -> dict[str, Any]:
    """Delete the event (it stays as a ``cancelled`` tombstone, as an API delete leaves it)."""

    def change(event: dict[str, Any]) -> None:
        event["status"] = "cancelled"

    return _edit(world, calendar_id, event_id, change, send_updates)


def add_guest(
    world: World, calendar_id: str, event_id: str, email: str, send_updates: str = "none"
) -> dict[str, Any]:
    """Invite one more guest (``needsAction``)."""
    key = email.strip().lower()
    if "@" not in key or " " in key:
        raise ValueError(f"not an email address: {email}")

    def change(event: dict[str, Any]) -> None:
        attendees = list(event.get("attendees") or [])
        if any(str(a.get("email", "")).lower() == key for a in attendees):
            raise ValueError(f"{key} is already a guest")
        attendees.append({"email": key, "responseStatus": "needsAction"})
        event["attendees"] = attendees

    return _edit(world, calendar_id, event_id, change, send_updates)


def remove_guest(
    world: World, calendar_id: str, event_id: str, email: str, send_updates: str = "none"
) -> dict[str, Any]:
    """Take a guest off the event."""
    key = email.strip().lower()

    def change(event: dict[str, Any]) -> None:
        attendees = list(event.get("attendees") or [])
        kept = [a for a in attendees if str(a.get("email", "")).lower() != key]
        if len(kept) == len(attendees):
            raise LookupError(f"{key} is not a guest of {event_id}")
        event["attendees"] = kept

    return _edit(world, calendar_id, event_id, change, send_updates)
