"""Data Transfer: applications, transfer status, and what the Calendar transfer moves."""

from __future__ import annotations

from typing import Any

import pytest
from googleapiclient.errors import HttpError
from sandbox_helpers import slot

from calsync_sandbox import SandboxControl

CALENDAR_APP = "435070579839"
ROOM = "room-a@resource.calendar.google.com"
RELEASE = [{"key": "RELEASE_RESOURCES", "value": ["TRUE"]}]


@pytest.fixture
def people(ctl: SandboxControl) -> dict[str, str]:
    """ops (admin), carl (old owner, to be suspended), dana (new owner): email -> id."""
    ids = {}
    for email, admin in (
        ("ops@acme.com", True),
        ("carl@acme.com", False),
        ("dana@acme.com", False),
    ):
        ids[email] = str(ctl.seed_user(email, admin=admin)["id"])
    ctl.seed_room(ROOM, "Room A", 8)
    return ids


@pytest.fixture
def transfers(admin_api, people: dict[str, str]) -> Any:
    """Data Transfer service of the admin."""
    return admin_api("ops@acme.com", version="datatransfer_v1").transfers()


def _start(transfers: Any, people: dict[str, str], params: list[Any] | None = None) -> Any:
    body = {
        "oldOwnerUserId": people["carl@acme.com"],
        "newOwnerUserId": people["dana@acme.com"],
        "applicationDataTransfers": [
            {"applicationId": CALENDAR_APP, "applicationTransferParams": params or []}
        ],
    }
    return transfers.insert(body=body).execute()


def _carl_events(calendar_for) -> Any:
    """Carl's events: with a guest, with a room, private, without guests, in the past."""
    carl = calendar_for("carl@acme.com")
    guest = [{"email": "bob@acme.com"}]
    for event_id, body in (
        (
            "evtguest1",
            slot(
                1,
                10,
                11,
                attendees=guest,
                extendedProperties={"private": {"k": "v"}, "shared": {"s": "t"}},
            ),
        ),
        ("evtroom01", slot(2, 10, 11, attendees=[{"email": ROOM, "resource": True}])),
        ("evtpriv01", slot(3, 10, 11, attendees=guest, visibility="private")),
        ("evtalone1", slot(4, 10, 11)),
        (
            "evtpast01",
            {
                **slot(1, 10, 11, attendees=guest),
                "start": {"dateTime": "2020-01-01T10:00:00Z"},
                "end": {"dateTime": "2020-01-01T11:00:00Z"},
            },
        ),
    ):
        carl.events().insert(calendarId="primary", body={**body, "id": event_id}).execute()
    return carl


def test_applications_list_has_calendar(admin_api, people: dict[str, str]) -> None:
    """applications.list includes Calendar (435070579839) with RELEASE_RESOURCES."""
    apps = admin_api("ops@acme.com", version="datatransfer_v1").applications().list().execute()
    calendar = next(a for a in apps["applications"] if a["id"] == CALENDAR_APP)
    assert calendar["name"] == "Calendar"
    assert calendar["transferParams"] == RELEASE


def test_transfer_is_in_progress_then_completed(transfers: Any, people, ctl) -> None:
    """insert answers inProgress; after the delay get shows completed."""
    started = _start(transfers, people)
    assert started["overallTransferStatusCode"] == "inProgress"
    assert started["kind"] == "admin#datatransfer#DataTransfer"
    ctl.advance_clock(1)
    done = transfers.get(dataTransferId=started["id"]).execute()
    assert done["overallTransferStatusCode"] == "completed"
    assert done["applicationDataTransfers"][0]["applicationTransferStatus"] == "completed"


def test_transfer_moves_future_public_events_with_guests(
    transfers: Any, people, ctl: SandboxControl, calendar_for
) -> None:
    """Only future, non-private events with guests or rooms move, into 'Transferred from'."""
    _carl_events(calendar_for)
    ctl.update_user("carl@acme.com", suspended=True)
    _start(transfers, people)
    ctl.complete_pending(["transfer"])
    dana = calendar_for("dana@acme.com")
    calendars = dana.calendarList().list().execute()["items"]
    target = next(c for c in calendars if c["summary"] == "Transferred from carl@acme.com")
    moved = dana.events().list(calendarId=target["id"]).execute()["items"]
    assert sorted(e["id"] for e in moved) == ["evtguest1", "evtroom01"]
    assert {e["organizer"]["email"] for e in moved} == {"dana@acme.com"}


def _moved(ctl: SandboxControl, calendar_for) -> list[dict[str, Any]]:
    ctl.complete_pending()
    dana = calendar_for("dana@acme.com")
    target = next(
        c["id"] for c in dana.calendarList().list().execute()["items"] if not c.get("primary")
    )
    return list(dana.events().list(calendarId=target).execute()["items"])


def test_moved_event_loses_private_properties_and_keeps_shared_ones(
    transfers: Any, people, ctl: SandboxControl, calendar_for
) -> None:
    """Strict reading (Google documents nothing about them): the moved copy has no private
    extended properties; shared ones, attendees, id and iCalUID are kept."""
    _carl_events(calendar_for)
    original = calendar_for("carl@acme.com").events().get(calendarId="primary", eventId="evtguest1")
    ical_uid = original.execute()["iCalUID"]
    _start(transfers, people)
    moved = next(e for e in _moved(ctl, calendar_for) if e["id"] == "evtguest1")
    assert moved["extendedProperties"] == {"shared": {"s": "t"}}
    assert moved["iCalUID"] == ical_uid
    assert [a["email"] for a in moved["attendees"]] == ["bob@acme.com"]


def test_moved_events_get_new_ids_when_switched_on(
    transfers: Any, people, ctl: SandboxControl, calendar_for
) -> None:
    """transfer_changes_event_ids: the moved copies have new ids, their iCalUIDs are kept."""
    ctl.strictness(transfer_changes_event_ids=True)
    _carl_events(calendar_for)
    _start(transfers, people)
    moved = _moved(ctl, calendar_for)
    assert len(moved) == 2
    assert not {e["id"] for e in moved} & {"evtguest1", "evtroom01"}
    assert {e["iCalUID"].split("@")[0] for e in moved} == {"evtguest1", "evtroom01"}


def test_moved_event_keeps_private_properties_when_switched_on(
    transfers: Any, people, ctl: SandboxControl, calendar_for
) -> None:
    """transfer_keeps_private_properties: the new owner finds the event by
    privateExtendedProperty; attendees are kept."""
    ctl.strictness(transfer_keeps_private_properties=True)
    _carl_events(calendar_for)
    _start(transfers, people)
    ctl.complete_pending()
    dana = calendar_for("dana@acme.com")
    target = next(
        c["id"] for c in dana.calendarList().list().execute()["items"] if not c.get("primary")
    )
    found = dana.events().list(calendarId=target, privateExtendedProperty="k=v").execute()["items"]
    assert [e["id"] for e in found] == ["evtguest1"]
    assert [a["email"] for a in found[0]["attendees"]] == ["bob@acme.com"]


def test_old_calendar_keeps_cancelled_tombstones(
    transfers: Any, people, ctl: SandboxControl, calendar_for
) -> None:
    """The moved events are cancelled on the old owner's calendar; the others stay."""
    carl = _carl_events(calendar_for)
    _start(transfers, people)
    ctl.complete_pending()
    live = carl.events().list(calendarId="primary").execute()["items"]
    assert sorted(e["id"] for e in live) == ["evtalone1", "evtpast01", "evtpriv01"]
    tomb = carl.events().get(calendarId="primary", eventId="evtguest1").execute()
    assert tomb["status"] == "cancelled"


def test_release_resources_removes_rooms(
    transfers: Any, people, ctl: SandboxControl, calendar_for
) -> None:
    """RELEASE_RESOURCES=TRUE takes the room off the moved event; the room is free again."""
    _carl_events(calendar_for)
    _start(transfers, people, RELEASE)
    ctl.complete_pending()
    room_view = calendar_for("bob@acme.com").events().list(calendarId=ROOM).execute()["items"]
    assert room_view == []


def test_without_release_resources_rooms_stay_booked(
    transfers: Any, people, ctl: SandboxControl, calendar_for
) -> None:
    """Without the parameter the room stays on the moved event, accepted."""
    _carl_events(calendar_for)
    _start(transfers, people)
    ctl.complete_pending()
    room_view = calendar_for("bob@acme.com").events().list(calendarId=ROOM).execute()["items"]
    assert [e["organizer"]["email"] for e in room_view] == ["dana@acme.com"]


def test_unknown_user_id_is_invalid(transfers: Any, people) -> None:
    """A user id that is not a Directory id -> 400."""
    with pytest.raises(HttpError) as caught:
        _start(transfers, {**people, "carl@acme.com": "carl@acme.com"})
    assert caught.value.status_code == 400


def test_non_admin_cannot_start_a_transfer(admin_api, people: dict[str, str]) -> None:
    """Non-admins get 403."""
    bob = admin_api("bob@acme.com", version="datatransfer_v1").transfers()
    with pytest.raises(HttpError) as caught:
        _start(bob, people)
    assert caught.value.status_code == 403


def test_pending_meet_and_room_answers_follow_the_moved_event(
    transfers: Any, people, ctl: SandboxControl, calendar_for
) -> None:
    """Async work started before the transfer lands on the moved copy."""
    ctl.update_room(ROOM, answer_delay=60)
    ctl.set_meet(delay=60)
    carl = calendar_for("carl@acme.com")
    meet = {"createRequest": {"requestId": "r1", "conferenceSolutionKey": {"type": "hangoutsMeet"}}}
    body = slot(5, 10, 11, id="evtmeet01", attendees=[{"email": ROOM}], conferenceData=meet)
    carl.events().insert(calendarId="primary", body=body, conferenceDataVersion=1).execute()
    _start(transfers, people)
    ctl.complete_pending(["transfer"])
    ctl.complete_pending()
    (moved,) = calendar_for("bob@acme.com").events().list(calendarId=ROOM).execute()["items"]
    assert moved["organizer"]["email"] == "dana@acme.com"
    assert moved["attendees"][0]["responseStatus"] == "accepted"
    assert moved["hangoutLink"].startswith("https://meet.google.com/")
