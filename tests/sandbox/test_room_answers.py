"""How rooms answer under the strict reading: asynchronously, never for unknown resources, and
not for people without booking rights."""

from __future__ import annotations

from typing import Any

import pytest
from sandbox_helpers import slot

from calsync_sandbox import SandboxControl

ROOM = "room-a@resource.calendar.google.com"


@pytest.fixture
def alice(calendar_for, ctl: SandboxControl) -> Any:
    """Alice's Calendar service, with Room A seeded in acme.com (strict defaults)."""
    ctl.seed_room(ROOM, "Room A", 8)
    return calendar_for("alice@acme.com")


def _status(event: dict[str, Any], room: str = ROOM) -> str:
    return str(next(a["responseStatus"] for a in event["attendees"] if a["email"] == room))


def _book(service: Any, room: str = ROOM, **extra: Any) -> Any:
    body = slot(1, 10, 11, id="evt00001", attendees=[{"email": room, "resource": True, **extra}])
    return service.events().insert(calendarId="primary", body=body).execute()


def _read(service: Any) -> Any:
    return service.events().get(calendarId="primary", eventId="evt00001").execute()


def test_a_room_answers_after_the_write_not_in_its_reply(alice: Any) -> None:
    """Strict reading: the insert's reply says needsAction; the next read has the answer."""
    assert _status(_book(alice)) == "needsAction"
    assert _status(_read(alice)) == "accepted"


def test_a_room_answers_in_the_reply_when_lenient(alice: Any, ctl: SandboxControl) -> None:
    """rooms_answer_async off: a room without answer_delay answers in the write's reply."""
    ctl.strictness(rooms_answer_async=False)
    assert _status(_book(alice)) == "accepted"


def test_an_unknown_resource_never_answers(alice: Any, ctl: SandboxControl) -> None:
    """A resource address that is no room stays needsAction, whatever the write claims."""
    unknown = "nowhere@resource.calendar.google.com"
    _book(alice, unknown, responseStatus="accepted")
    ctl.advance_clock(86400)
    assert _status(_read(alice), unknown) == "needsAction"


def test_a_room_declines_people_without_booking_rights(
    alice: Any, calendar_for, ctl: SandboxControl
) -> None:
    """A room restricted to some bookers declines everyone else, and accepts them."""
    ctl.update_room(ROOM, bookers=["bob@acme.com"])
    _book(alice)
    assert _status(_read(alice)) == "declined"
    bob = calendar_for("bob@acme.com")
    _book(bob)
    assert _status(_read(bob)) == "accepted"
