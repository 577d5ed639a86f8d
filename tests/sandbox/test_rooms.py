"""Rooms: booking answers, double bookings, delayed answers, freeing and the room's calendar."""

from __future__ import annotations

from typing import Any

import pytest
from googleapiclient.errors import HttpError
from sandbox_helpers import error_reason, slot

from calsync_dev.dates import at
from calsync_sandbox import SandboxControl

ROOM = "room-a@resource.calendar.google.com"


@pytest.fixture
def alice(calendar_for, ctl: SandboxControl) -> Any:
    """Alice's Calendar service, with Room A seeded in acme.com. These tests are about what a
    room decides, so its answer comes in the write's reply (rooms_answer_async off); the strict
    asynchronous answer is tested in test_room_answers.py."""
    ctl.strictness(rooms_answer_async=False)
    ctl.seed_room(ROOM, "Room A", 8, "HQ", "2")
    return calendar_for("alice@acme.com")


def _room_status(event: dict[str, Any]) -> str:
    return next(a["responseStatus"] for a in event["attendees"] if a["email"] == ROOM)


def _book(service: Any, event_id: str, day: int = 1, start: int = 10, end: int = 11) -> Any:
    body = slot(day, start, end, id=event_id, attendees=[{"email": ROOM, "resource": True}])
    return service.events().insert(calendarId="primary", body=body).execute()


def test_free_room_accepts_at_once(alice: Any) -> None:
    """A free room answers accepted in the insert reply."""
    assert _room_status(_book(alice, "evt00001")) == "accepted"


def test_room_declines_an_overlapping_booking(alice: Any, calendar_for) -> None:
    """A second overlapping booking, by anyone, is declined."""
    _book(alice, "evt00001", start=10, end=12)
    bob = calendar_for("bob@acme.com")
    assert _room_status(_book(bob, "evt00002", start=11, end=13)) == "declined"


def test_room_accepts_back_to_back_bookings(alice: Any) -> None:
    """Touching slots (end == next start) do not overlap."""
    _book(alice, "evt00001", start=10, end=11)
    assert _room_status(_book(alice, "evt00002", start=11, end=12)) == "accepted"


def test_room_status_sent_by_the_client_is_ignored(alice: Any) -> None:
    """The room decides: a client-sent 'accepted' for a busy room still ends declined."""
    _book(alice, "evt00001")
    body = slot(
        1, 10, 11, attendees=[{"email": ROOM, "resource": True, "responseStatus": "accepted"}]
    )
    event = alice.events().insert(calendarId="primary", body=body).execute()
    assert _room_status(event) == "declined"


def test_room_email_without_resource_flag_is_still_a_room(alice: Any) -> None:
    """A seeded room's address is marked resource: true and answers."""
    body = slot(1, 10, 11, attendees=[{"email": ROOM}])
    event = alice.events().insert(calendarId="primary", body=body).execute()
    assert event["attendees"] == [{"email": ROOM, "resource": True, "responseStatus": "accepted"}]


def test_delayed_room_answers_needs_action_first(alice: Any, ctl: SandboxControl) -> None:
    """With answer_delay the room is needsAction until the answer is due."""
    ctl.update_room(ROOM, answer_delay=30)
    assert _room_status(_book(alice, "evt00001")) == "needsAction"
    assert [p["kind"] for p in ctl.pending()] == ["room"]
    ctl.complete_pending()
    event = alice.events().get(calendarId="primary", eventId="evt00001").execute()
    assert _room_status(event) == "accepted"


def test_delayed_answer_changes_the_etag(alice: Any, ctl: SandboxControl) -> None:
    """The room's late answer is a change of the organizer's event (new etag)."""
    ctl.update_room(ROOM, answer_delay=30)
    before = _book(alice, "evt00001")
    ctl.advance_clock(31)
    after = alice.events().get(calendarId="primary", eventId="evt00001").execute()
    assert after["etag"] != before["etag"]
    assert _room_status(after) == "accepted"


def test_delayed_answers_decline_the_later_of_two_overlapping(
    alice: Any, ctl: SandboxControl
) -> None:
    """Two pending bookings of one slot: the first answered wins, the other is declined."""
    ctl.update_room(ROOM, answer_delay=5)
    _book(alice, "evt00001")
    _book(alice, "evt00002")
    ctl.complete_pending(["room"])
    statuses = [
        _room_status(alice.events().get(calendarId="primary", eventId=e).execute())
        for e in ("evt00001", "evt00002")
    ]
    assert statuses == ["accepted", "declined"]


def test_room_without_auto_accept_never_answers(alice: Any, ctl: SandboxControl) -> None:
    """auto_accept=False leaves needsAction with nothing pending."""
    ctl.update_room(ROOM, auto_accept=False)
    assert _room_status(_book(alice, "evt00001")) == "needsAction"
    assert ctl.pending() == []


def test_removing_the_room_frees_the_slot(alice: Any) -> None:
    """After the room leaves the first event, a new booking is accepted."""
    _book(alice, "evt00001")
    alice.events().patch(calendarId="primary", eventId="evt00001", body={"attendees": []}).execute()
    assert _room_status(_book(alice, "evt00002")) == "accepted"


def test_cancelling_the_event_frees_the_room(alice: Any) -> None:
    """A deleted (cancelled) booking no longer blocks the room."""
    _book(alice, "evt00001")
    alice.events().delete(calendarId="primary", eventId="evt00001").execute()
    assert _room_status(_book(alice, "evt00002")) == "accepted"


def test_moving_the_event_rebooks_the_room(alice: Any) -> None:
    """Changing the time asks the room again: onto a busy slot it declines."""
    _book(alice, "evt00001", start=10, end=11)
    _book(alice, "evt00002", start=14, end=15)
    moved = (
        alice.events()
        .patch(
            calendarId="primary",
            eventId="evt00002",
            body={
                "start": {"dateTime": at(1, "10:30")},
                "end": {"dateTime": at(1, "11:30")},
            },
        )
        .execute()
    )
    assert _room_status(moved) == "declined"


def test_cosmetic_patch_keeps_the_rooms_answer(alice: Any) -> None:
    """A patch that does not move the event keeps the room's stored answer."""
    _book(alice, "evt00001")
    patched = (
        alice.events()
        .patch(calendarId="primary", eventId="evt00001", body={"summary": "Renamed"})
        .execute()
    )
    assert _room_status(patched) == "accepted"


def test_room_calendar_is_readable_by_domain_users(alice: Any, calendar_for) -> None:
    """Bob (same domain) lists the room's calendar and sees Alice's booking."""
    _book(alice, "evt00001")
    bob = calendar_for("bob@acme.com")
    listed = bob.events().list(calendarId=ROOM).execute()
    assert [e["id"] for e in listed["items"]] == ["evt00001"]
    assert listed["accessRole"] == "reader"


def test_room_calendar_hides_declined_bookings(alice: Any) -> None:
    """A booking the room declined does not show on the room's calendar."""
    _book(alice, "evt00001")
    _book(alice, "evt00002")
    listed = alice.events().list(calendarId=ROOM).execute()
    assert [e["id"] for e in listed["items"]] == ["evt00001"]


def test_room_calendar_is_hidden_from_other_domains(alice: Any, calendar_for, ctl) -> None:
    """A user of another domain gets 404 notFound."""
    ctl.seed_domain("other.org")
    outsider = calendar_for("olga@other.org")
    with pytest.raises(HttpError) as caught:
        outsider.events().list(calendarId=ROOM).execute()
    assert caught.value.status_code == 404


def test_room_calendar_is_read_only(alice: Any) -> None:
    """Writing into the room's calendar is 403 requiredAccessLevel."""
    with pytest.raises(HttpError) as caught:
        alice.events().insert(calendarId=ROOM, body=slot(1, 10, 11)).execute()
    assert caught.value.status_code == 403
    assert error_reason(caught.value) == "requiredAccessLevel"
