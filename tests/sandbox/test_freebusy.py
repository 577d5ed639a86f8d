"""freebusy.query: busy blocks, visibility, the 50-calendar and time-range limits."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest
from googleapiclient.errors import HttpError
from sandbox_helpers import error_reason, slot

from calsync_dev.dates import at, instant
from calsync_sandbox import SandboxControl

ROOM = "room-a@resource.calendar.google.com"
DAY = {"timeMin": at(1, "00:00"), "timeMax": at(2, "00:00")}


@pytest.fixture
def alice(calendar_for, ctl: SandboxControl) -> Any:
    """Alice's Calendar service, with Room A seeded in acme.com."""
    ctl.seed_room(ROOM, "Room A", 8)
    return calendar_for("alice@acme.com")


def _query(service: Any, *ids: str, **extra: Any) -> dict[str, Any]:
    body = {**DAY, "items": [{"id": i} for i in ids], **extra}
    answer: dict[str, Any] = service.freebusy().query(body=body).execute()
    return answer


def test_room_busy_blocks_come_from_accepted_bookings(alice: Any) -> None:
    """The room is busy exactly when a booking it accepted takes place."""
    alice.events().insert(
        calendarId="primary", body=slot(1, 10, 11, attendees=[{"email": ROOM, "resource": True}])
    ).execute()
    answer = _query(alice, ROOM)
    assert answer["kind"] == "calendar#freeBusy"
    assert answer["calendars"][ROOM] == {"busy": [{"start": at(1, "10:00"), "end": at(1, "11:00")}]}


def test_declined_booking_does_not_make_the_room_busy(alice: Any, ctl: SandboxControl) -> None:
    """A booking the room has not accepted adds no block."""
    ctl.update_room(ROOM, auto_accept=False)
    alice.events().insert(
        calendarId="primary", body=slot(1, 10, 11, attendees=[{"email": ROOM, "resource": True}])
    ).execute()
    assert _query(alice, ROOM)["calendars"][ROOM] == {"busy": []}


def test_cancelled_and_transparent_events_are_free(alice: Any) -> None:
    """Deleted and transparent events don't count; overlapping busy ones merge."""
    cal = alice.events()
    cal.insert(calendarId="primary", body=slot(1, 9, 10, id="evt00001")).execute()
    cal.delete(calendarId="primary", eventId="evt00001").execute()
    cal.insert(calendarId="primary", body=slot(1, 12, 13, transparency="transparent")).execute()
    cal.insert(calendarId="primary", body=slot(1, 14, 16)).execute()
    cal.insert(calendarId="primary", body=slot(1, 15, 17)).execute()
    busy = _query(alice, "primary")["calendars"]["primary"]["busy"]
    assert busy == [{"start": at(1, "14:00"), "end": at(1, "17:00")}]


def test_busy_blocks_are_clipped_and_shown_in_the_time_zone(alice: Any) -> None:
    """Blocks are cut to the range and written in the requested timeZone."""
    alice.events().insert(
        calendarId="primary",
        body={
            "summary": "Overnight",
            "start": {"dateTime": at(0, "22:00")},
            "end": {"dateTime": at(1, "02:00")},
        },
    ).execute()
    busy = _query(alice, "alice@acme.com", timeZone="America/New_York")["calendars"][
        "alice@acme.com"
    ]["busy"]
    new_york = ZoneInfo("America/New_York")
    start, end = instant(1, "00:00").astimezone(new_york), instant(1, "02:00").astimezone(new_york)
    assert busy == [{"start": start.isoformat(), "end": end.isoformat()}]


def test_invitations_count_only_when_accepted(alice: Any, calendar_for, ctl) -> None:
    """Bob is busy for Alice's meeting only once he accepted it."""
    calendar_for("bob@acme.com")
    alice.events().insert(
        calendarId="primary",
        body=slot(1, 10, 11, id="evt00001", attendees=[{"email": "bob@acme.com"}]),
    ).execute()
    assert _query(alice, "bob@acme.com")["calendars"]["bob@acme.com"]["busy"] == []
    ctl.respond("bob@acme.com", "alice@acme.com", "evt00001", "accepted")
    assert len(_query(alice, "bob@acme.com")["calendars"]["bob@acme.com"]["busy"]) == 1


def test_unknown_and_foreign_calendars_get_not_found_errors(alice: Any, ctl) -> None:
    """Per-calendar errors with reason notFound; the other calendars still answer."""
    ctl.seed_domain("other.org")
    ctl.seed_user("olga@other.org")
    answer = _query(alice, "nobody@acme.com", "olga@other.org", ROOM)
    for missing in ("nobody@acme.com", "olga@other.org"):
        assert answer["calendars"][missing] == {
            "busy": [],
            "errors": [{"domain": "global", "reason": "notFound"}],
        }
    assert answer["calendars"][ROOM] == {"busy": []}


def test_more_than_fifty_calendars_get_too_many_calendars_errors(alice: Any) -> None:
    """Items after the 50th carry tooManyCalendarsRequested."""
    ids = [f"user{i}@acme.com" for i in range(51)]
    answer = _query(alice, *ids)
    assert answer["calendars"]["user50@acme.com"]["errors"] == [
        {"domain": "calendar", "reason": "tooManyCalendarsRequested"}
    ]
    assert answer["calendars"]["user49@acme.com"]["errors"][0]["reason"] == "notFound"


def test_calendar_expansion_max_above_fifty_is_invalid(alice: Any) -> None:
    """calendarExpansionMax over 50 is a 400."""
    with pytest.raises(HttpError) as caught:
        _query(alice, ROOM, calendarExpansionMax=51)
    assert caught.value.status_code == 400


def test_range_longer_than_62_days_is_time_range_too_long(alice: Any) -> None:
    """63 days -> 400 timeRangeTooLong; 62 days is fine."""
    body = {"timeMin": at(1, "00:00"), "items": [{"id": ROOM}]}
    alice.freebusy().query(body={**body, "timeMax": at(63, "00:00")}).execute()
    with pytest.raises(HttpError) as caught:
        alice.freebusy().query(body={**body, "timeMax": at(64, "00:00")}).execute()
    assert caught.value.status_code == 400
    assert error_reason(caught.value) == "timeRangeTooLong"


def test_reversed_range_is_time_range_empty(alice: Any) -> None:
    """timeMax before timeMin -> 400 timeRangeEmpty."""
    with pytest.raises(HttpError) as caught:
        _query(alice, ROOM, timeMax=at(0, "00:00"))
    assert error_reason(caught.value) == "timeRangeEmpty"


def test_missing_time_min_is_required(alice: Any) -> None:
    """No timeMin -> 400 required."""
    with pytest.raises(HttpError) as caught:
        alice.freebusy().query(body={"timeMax": DAY["timeMax"], "items": []}).execute()
    assert error_reason(caught.value) == "required"
