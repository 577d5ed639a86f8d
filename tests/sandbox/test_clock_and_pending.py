"""The sandbox clock and pending asynchronous work (control API)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sandbox_helpers import slot, timed_event

from calsync_sandbox import SandboxControl, SandboxControlError

ROOM = "room-a@resource.calendar.google.com"
MEET = {"createRequest": {"requestId": "r1", "conferenceSolutionKey": {"type": "hangoutsMeet"}}}


def _parse(stamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def test_advance_clock_moves_now_forward(ctl: SandboxControl) -> None:
    """advance_clock adds to the offset and to 'now'."""
    before = _parse(ctl.clock()["now"])
    moved = ctl.advance_clock(86400)
    assert moved["offset"] == 86400
    assert _parse(moved["now"]) - before >= dt.timedelta(days=1)


def test_clock_cannot_go_backwards(ctl: SandboxControl) -> None:
    """A negative advance is a 400."""
    with pytest.raises(SandboxControlError) as caught:
        ctl.advance_clock(-1)
    assert caught.value.status == 400


def test_event_stamps_follow_the_sandbox_clock(calendar_for, ctl: SandboxControl) -> None:
    """created/updated are written on the sandbox clock."""
    ctl.advance_clock(10 * 86400)
    event = (
        calendar_for("alice@acme.com")
        .events()
        .insert(calendarId="primary", body=timed_event())
        .execute()
    )
    assert _parse(event["updated"]) - dt.datetime.now(dt.UTC) > dt.timedelta(days=9)


def test_advancing_past_token_lifetime_expires_tokens(calendar_for, ctl: SandboxControl) -> None:
    """Tokens expire on the sandbox clock; google-auth refreshes and retries."""
    cal = calendar_for("alice@acme.com")
    cal.calendarList().list().execute()
    ctl.advance_clock(3601)
    cal.calendarList().list().execute()
    statuses = [r["status"] for r in ctl.requests(method_id="calendar.calendarList.list")]
    assert statuses == [200, 401, 200]


def test_pending_lists_async_work(calendar_for, ctl: SandboxControl) -> None:
    """pending() shows Meet creations, delayed room answers and transfers not done yet."""
    ctl.seed_room(ROOM, "Room A", answer_delay=10)
    cal = calendar_for("alice@acme.com")
    cal.events().insert(
        calendarId="primary",
        body=slot(1, 10, 11, id="evt00001", attendees=[{"email": ROOM}], conferenceData=MEET),
        conferenceDataVersion=1,
    ).execute()
    pending = ctl.pending()
    assert sorted(p["kind"] for p in pending) == ["meet", "room"]
    assert {p["target"] for p in pending} >= {"alice@acme.com/evt00001"}


def test_complete_pending_can_pick_kinds(calendar_for, ctl: SandboxControl) -> None:
    """complete_pending(["meet"]) leaves the room answer pending."""
    ctl.seed_room(ROOM, "Room A", answer_delay=10)
    cal = calendar_for("alice@acme.com")
    cal.events().insert(
        calendarId="primary",
        body=slot(1, 10, 11, attendees=[{"email": ROOM}], conferenceData=MEET),
        conferenceDataVersion=1,
    ).execute()
    ran = ctl.complete_pending(["meet"])
    assert [r["kind"] for r in ran] == ["meet"]
    assert [p["kind"] for p in ctl.pending()] == ["room"]


def test_complete_pending_rejects_unknown_kinds(ctl: SandboxControl) -> None:
    """Only meet, room and transfer are kinds."""
    with pytest.raises(SandboxControlError):
        ctl.complete_pending(["tasks"])


def test_reset_forgets_pending_work_and_the_offset(sandbox: Any, ctl: SandboxControl) -> None:
    """reset() puts the clock back to real time and drops pending work."""
    ctl.advance_clock(100)
    ctl.set_meet(delay=3)
    ctl.reset()
    assert ctl.clock()["offset"] == 0
    assert ctl.pending() == []
    assert ctl.set_meet() == {"delay": 0.2, "fail": False}


def test_seed_room_validates_input(ctl: SandboxControl) -> None:
    """Unknown category or an unseeded domain is a 400."""
    with pytest.raises(SandboxControlError) as caught:
        ctl.seed_room(ROOM, "Room A", category="BROOM_CLOSET")
    assert caught.value.status == 400
    with pytest.raises(SandboxControlError):
        ctl.seed_room(ROOM, "Room A", domain="nowhere.org")


def test_rooms_and_transfers_are_listed(ctl: SandboxControl) -> None:
    """rooms() returns the seeded rooms; transfers() starts empty; transfer delay is settable."""
    ctl.seed_room(ROOM, "Room A", 8, "HQ", "2")
    (room,) = ctl.rooms()
    assert (room["email"], room["capacity"], room["domain"]) == (ROOM, 8, "acme.com")
    assert ctl.transfers() == []
    assert ctl.set_transfer_delay(2.5) == 2.5
