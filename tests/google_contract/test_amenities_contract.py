"""Google conformance: Meet (conferenceData), rooms, freeBusy."""

from __future__ import annotations

from typing import Any

from calsync_dev.dates import at
from tests.google_contract.helpers import slot, wait_for
from tests.google_contract.target import RESOURCE_READONLY_SCOPE, GoogleTarget, new_event_id


def _meet(request_id: str) -> dict[str, Any]:
    return {
        "createRequest": {
            "requestId": request_id,
            "conferenceSolutionKey": {"type": "hangoutsMeet"},
        }
    }


def _read(google: GoogleTarget, event_id: str) -> dict[str, Any]:
    event: dict[str, Any] = (
        google.calendar(google.organizer)
        .events()
        .get(calendarId="primary", eventId=event_id)
        .execute()
    )
    return event


def test_meet_is_created_asynchronously(google: GoogleTarget) -> None:
    """A createRequest answers pending or success; the conference then succeeds with a link."""
    event = google.insert(slot(conferenceData=_meet(new_event_id())), conferenceDataVersion=1)
    status = event["conferenceData"]["createRequest"]["status"]["statusCode"]
    assert status in ("pending", "success")
    done = wait_for(lambda: _read(google, event["id"]).get("hangoutLink"))
    assert str(done).startswith("https://meet.google.com/")


def test_a_reused_meet_request_id_is_ignored(google: GoogleTarget) -> None:
    """After Meet was removed, a createRequest with the first requestId creates nothing
    (CreateConferenceRequest: "if an ID is the same as for the previous request, the request is
    ignored")."""
    request_id = new_event_id()
    event = google.insert(slot(conferenceData=_meet(request_id)), conferenceDataVersion=1)
    wait_for(lambda: _read(google, event["id"]).get("hangoutLink"))
    events = google.calendar(google.organizer).events()
    for conference in (None, _meet(request_id)):
        events.patch(
            calendarId="primary",
            eventId=event["id"],
            body={"conferenceData": conference},
            conferenceDataVersion=1,
        ).execute()
    assert "hangoutLink" not in _read(google, event["id"])


def test_rooms_are_listed_by_the_directory(google: GoogleTarget) -> None:
    """resources.calendars.list(customer=my_customer) lists the tenant's rooms by email."""
    resources = google.admin_api("directory_v1", [RESOURCE_READONLY_SCOPE]).resources()
    items = resources.calendars().list(customer="my_customer").execute().get("items", [])
    assert google.room in {r["resourceEmail"] for r in items}


def _room_answer(google: GoogleTarget, event_id: str) -> str:
    attendees = _read(google, event_id).get("attendees", [])
    return next((a.get("responseStatus", "") for a in attendees if a["email"] == google.room), "")


def test_a_room_answers_and_is_then_busy_in_free_busy(google: GoogleTarget) -> None:
    """A room listed as a resource attendee answers (possibly later); once accepted, freeBusy
    shows the slot busy on the room's calendar."""
    event = google.insert(slot(5, attendees=[{"email": google.room, "resource": True}]))
    answer = wait_for(lambda: _room_answer(google, event["id"]) not in ("", "needsAction"))
    assert answer
    assert _room_answer(google, event["id"]) == "accepted"
    busy = (
        google.calendar(google.organizer)
        .freebusy()
        .query(
            body={
                "timeMin": at(5, "00:00"),
                "timeMax": at(6, "00:00"),
                "items": [{"id": google.room}],
            }
        )
        .execute()["calendars"][google.room]["busy"]
    )
    assert len(busy) == 1
