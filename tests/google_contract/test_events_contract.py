"""Google conformance: event ids, 409/410/412, etags, extended properties, attendee copies,
sendUpdates recipients, returned times."""

from __future__ import annotations

import datetime as dt

import pytest
from googleapiclient.errors import HttpError

from calsync_dev.dates import at
from calsync_sandbox import SandboxControl
from tests.google_contract.helpers import error_reason, slot
from tests.google_contract.target import GoogleTarget, new_event_id


def test_client_event_ids_must_be_base32hex(google: GoogleTarget) -> None:
    """An id with letters past 'v' is 400 invalid."""
    with pytest.raises(HttpError) as caught:
        google.insert(slot(id="calsync-wxyz"))
    assert caught.value.status_code == 400
    assert error_reason(caught.value) == "invalid"


def test_an_id_stays_taken_after_its_event_is_deleted(google: GoogleTarget) -> None:
    """Deleted events stay as tombstones: inserting the id again is 409 duplicate."""
    event = google.insert(slot())
    cal = google.calendar(google.organizer)
    cal.events().delete(calendarId="primary", eventId=event["id"]).execute()
    with pytest.raises(HttpError) as caught:
        cal.events().insert(calendarId="primary", body=slot(id=event["id"])).execute()
    assert caught.value.status_code == 409
    assert error_reason(caught.value) == "duplicate"


def test_deleting_a_deleted_event_is_410_deleted(google: GoogleTarget) -> None:
    """A second delete of the same event is 410 with reason deleted."""
    event = google.insert(slot())
    cal = google.calendar(google.organizer)
    cal.events().delete(calendarId="primary", eventId=event["id"]).execute()
    with pytest.raises(HttpError) as caught:
        cal.events().delete(calendarId="primary", eventId=event["id"]).execute()
    assert caught.value.status_code == 410
    assert error_reason(caught.value) == "deleted"


def test_a_stale_if_match_etag_is_412_condition_not_met(google: GoogleTarget) -> None:
    """An update with If-Match of an older etag is refused with 412 conditionNotMet."""
    event = google.insert(slot())
    cal = google.calendar(google.organizer)
    cal.events().patch(calendarId="primary", eventId=event["id"], body={"summary": "b"}).execute()
    request = cal.events().update(
        calendarId="primary", eventId=event["id"], body={**slot(), "summary": "c"}
    )
    request.headers["If-Match"] = event["etag"]
    with pytest.raises(HttpError) as caught:
        request.execute()
    assert caught.value.status_code == 412
    assert error_reason(caught.value) == "conditionNotMet"


def test_every_write_changes_the_etag(google: GoogleTarget) -> None:
    """A patch answers with a new etag, which a get returns too."""
    event = google.insert(slot())
    cal = google.calendar(google.organizer)
    patched = (
        cal.events()
        .patch(calendarId="primary", eventId=event["id"], body={"summary": "renamed"})
        .execute()
    )
    assert patched["etag"] != event["etag"]
    read = cal.events().get(calendarId="primary", eventId=event["id"]).execute()
    assert read["etag"] == patched["etag"]


def test_private_extended_properties_find_the_event(google: GoogleTarget) -> None:
    """events.list with privateExtendedProperty=key=value finds the event that carries it."""
    marker = new_event_id()
    event = google.insert(slot(extendedProperties={"private": {"calsyncTest": marker}}))
    found = (
        google.calendar(google.organizer)
        .events()
        .list(calendarId="primary", privateExtendedProperty=f"calsyncTest={marker}")
        .execute()["items"]
    )
    assert [e["id"] for e in found] == [event["id"]]


def test_attendee_copies_hide_the_organizers_private_properties(google: GoogleTarget) -> None:
    """The guest's copy has the same id and no private extended properties."""
    event = google.insert(
        slot(
            attendees=[{"email": google.guest}],
            extendedProperties={"private": {"calsyncTest": "1"}, "shared": {"calsyncShared": "1"}},
        )
    )
    copy = (
        google.calendar(google.guest).events().get(calendarId="primary", eventId=event["id"])
    ).execute()
    assert copy["id"] == event["id"]
    assert "private" not in copy.get("extendedProperties", {})


@pytest.mark.sandbox_only
def test_send_updates_all_on_an_attendee_change_mails_every_remaining_guest(
    google: GoogleTarget, ctl: SandboxControl
) -> None:
    """Adding one guest with sendUpdates=all sends an update to the guest already on the event.

    By hand: with two test mailboxes, insert an event with guest A (sendUpdates=none), patch the
    attendees to A and B with sendUpdates=all, and look whether A received an "Updated
    invitation" mail."""
    event = google.insert(slot(attendees=[{"email": google.guest}]))
    google.calendar(google.organizer).events().patch(
        calendarId="primary",
        eventId=event["id"],
        sendUpdates="all",
        body={"attendees": [{"email": google.guest}, {"email": google.external_guest}]},
    ).execute()
    assert ctl.notification_counts()[google.guest] == {"update": 1}


def test_returned_times_are_the_same_instant_as_written(google: GoogleTarget) -> None:
    """A dateTime written in UTC with milliseconds comes back as the same instant (Google may
    re-express it in the event's time zone and drop the fraction: compare instants)."""
    start = dt.datetime.fromisoformat(at(4, "15:00")).astimezone(dt.UTC)
    body = slot(4)
    body["start"] = {
        "dateTime": start.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "timeZone": "America/New_York",
    }
    body["end"] = {
        "dateTime": (start + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "timeZone": "America/New_York",
    }
    event = google.insert(body)
    assert dt.datetime.fromisoformat(event["start"]["dateTime"]) == start
