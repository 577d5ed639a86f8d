"""Calendar v3 events behave like Google's: ids, tombstones, etags, sequence, properties, paging."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from googleapiclient.errors import HttpError
from sandbox_helpers import NEW_YORK, error_reason, timed_event

from calsync_dev.dates import at
from calsync_sandbox import SandboxControl


@pytest.fixture
def alice(calendar_for) -> Any:
    """Alice's Calendar service."""
    return calendar_for("alice@acme.com")


def _insert(cal: Any, **extra: Any) -> dict[str, Any]:
    result: dict[str, Any] = (
        cal.events().insert(calendarId="primary", body=timed_event(**extra)).execute()
    )
    return result


@pytest.mark.parametrize("bad_id", ["ABCDE12345", "wxyz12345", "abcd", "abc-def-123", "a" * 1025])
def test_client_event_id_must_be_base32hex(alice: Any, bad_id: str) -> None:
    """Ids outside [a-v0-9]{5,1024} are 400 invalid "Invalid resource id value."."""
    with pytest.raises(HttpError) as caught:
        _insert(alice, id=bad_id)
    assert caught.value.status_code == 400
    assert error_reason(caught.value) == "invalid"
    assert caught.value.reason == "Invalid resource id value."


def test_server_generates_an_id_when_absent(alice: Any) -> None:
    """Without a client id the server picks a base32hex one."""
    event = _insert(alice)
    assert set(event["id"]) <= set("abcdefghijklmnopqrstuv0123456789")


def test_reused_id_is_409_duplicate(alice: Any) -> None:
    """Inserting an existing id is 409 duplicate."""
    _insert(alice, id="evt00001")
    with pytest.raises(HttpError) as caught:
        _insert(alice, id="evt00001")
    assert caught.value.status_code == 409
    assert error_reason(caught.value) == "duplicate"


def test_reused_id_of_a_tombstone_is_409_duplicate(alice: Any) -> None:
    """Deleting does not free the id."""
    _insert(alice, id="evt00001")
    alice.events().delete(calendarId="primary", eventId="evt00001").execute()
    with pytest.raises(HttpError) as caught:
        _insert(alice, id="evt00001")
    assert error_reason(caught.value) == "duplicate"


def test_deleted_event_is_a_cancelled_tombstone_for_get(alice: Any) -> None:
    """get returns a deleted event with status cancelled."""
    _insert(alice, id="evt00001")
    assert alice.events().delete(calendarId="primary", eventId="evt00001").execute() == ""
    event = alice.events().get(calendarId="primary", eventId="evt00001").execute()
    assert event["status"] == "cancelled"


def test_list_hides_tombstones_unless_show_deleted(alice: Any) -> None:
    """events.list shows cancelled events only with showDeleted=true."""
    _insert(alice, id="evt00001")
    _insert(alice, id="evt00002")
    alice.events().delete(calendarId="primary", eventId="evt00001").execute()
    live = alice.events().list(calendarId="primary").execute()["items"]
    everything = alice.events().list(calendarId="primary", showDeleted=True).execute()["items"]
    assert [e["id"] for e in live] == ["evt00002"]
    assert {e["id"] for e in everything} == {"evt00001", "evt00002"}


def test_deleting_twice_is_410_deleted(alice: Any) -> None:
    """A second delete is 410 deleted."""
    _insert(alice, id="evt00001")
    alice.events().delete(calendarId="primary", eventId="evt00001").execute()
    with pytest.raises(HttpError) as caught:
        alice.events().delete(calendarId="primary", eventId="evt00001").execute()
    assert caught.value.status_code == 410
    assert error_reason(caught.value) == "deleted"


@pytest.mark.parametrize("verb", ["patch", "update"])
def test_confirmed_status_restores_a_tombstone(alice: Any, verb: str) -> None:
    """patch/update with status confirmed brings a cancelled event back."""
    _insert(alice, id="evt00001")
    alice.events().delete(calendarId="primary", eventId="evt00001").execute()
    body = timed_event(status="confirmed") if verb == "update" else {"status": "confirmed"}
    getattr(alice.events(), verb)(calendarId="primary", eventId="evt00001", body=body).execute()
    live = alice.events().list(calendarId="primary").execute()["items"]
    assert [e["status"] for e in live] == ["confirmed"]


def test_etag_changes_on_every_modification(alice: Any) -> None:
    """Each write yields a new etag."""
    first = _insert(alice, id="evt00001")
    second = (
        alice.events()
        .patch(calendarId="primary", eventId="evt00001", body={"summary": "b"})
        .execute()
    )
    third = (
        alice.events()
        .patch(calendarId="primary", eventId="evt00001", body={"summary": "c"})
        .execute()
    )
    assert len({first["etag"], second["etag"], third["etag"]}) == 3


@pytest.mark.parametrize("verb", ["patch", "update", "delete"])
def test_stale_if_match_is_412_condition_not_met(alice: Any, verb: str) -> None:
    """If-Match with an old etag is refused with Google's 412 body."""
    stale = _insert(alice, id="evt00001")["etag"]
    alice.events().patch(calendarId="primary", eventId="evt00001", body={"summary": "x"}).execute()
    kwargs: dict[str, Any] = {"calendarId": "primary", "eventId": "evt00001"}
    if verb != "delete":
        kwargs["body"] = timed_event()
    request = getattr(alice.events(), verb)(**kwargs)
    request.headers["If-Match"] = stale
    with pytest.raises(HttpError) as caught:
        request.execute()
    assert caught.value.status_code == 412
    assert caught.value.error_details == [
        {
            "domain": "global",
            "reason": "conditionNotMet",
            "message": "Precondition Failed",
            "locationType": "header",
            "location": "If-Match",
        }
    ]


def test_current_if_match_is_accepted(alice: Any) -> None:
    """If-Match with the current etag writes."""
    current = _insert(alice, id="evt00001")["etag"]
    request = alice.events().patch(calendarId="primary", eventId="evt00001", body={"summary": "y"})
    request.headers["If-Match"] = current
    assert request.execute()["summary"] == "y"


def test_sequence_bumps_on_time_or_place_not_on_title(alice: Any) -> None:
    """sequence goes up for start/end/location changes only."""
    _insert(alice, id="evt00001")
    renamed = (
        alice.events()
        .patch(calendarId="primary", eventId="evt00001", body={"summary": "renamed"})
        .execute()
    )
    moved = (
        alice.events()
        .patch(calendarId="primary", eventId="evt00001", body={"location": "Room 2"})
        .execute()
    )
    assert (renamed["sequence"], moved["sequence"]) == (0, 1)


def test_server_fields_are_populated(alice: Any) -> None:
    """created, updated, htmlLink, organizer, creator and iCalUID look like Google's."""
    event = _insert(alice, id="evt00001")
    assert event["organizer"] == {"email": "alice@acme.com", "displayName": "Alice", "self": True}
    assert event["creator"] == {"email": "alice@acme.com", "self": True}
    assert event["iCalUID"] == "evt00001@google.com"
    assert event["htmlLink"].startswith("https://www.google.com/calendar/event?eid=")
    assert event["created"].endswith("Z")
    assert event["updated"].endswith("Z")


def test_private_extended_property_filter(alice: Any) -> None:
    """privateExtendedProperty=name=value selects matching events (repeats are ANDed)."""
    _insert(alice, id="evt00001", extendedProperties={"private": {"tenant": "acme", "part": "1"}})
    _insert(alice, id="evt00002", extendedProperties={"private": {"tenant": "acme", "part": "2"}})
    _insert(alice, id="evt00003", extendedProperties={"shared": {"tenant": "acme"}})
    events = alice.events()
    one = events.list(calendarId="primary", privateExtendedProperty="tenant=acme").execute()
    both = events.list(
        calendarId="primary", privateExtendedProperty=["tenant=acme", "part=2"]
    ).execute()
    assert [e["id"] for e in one["items"]] == ["evt00001", "evt00002"]
    assert [e["id"] for e in both["items"]] == ["evt00002"]


def test_update_drops_private_properties_patch_keeps_them(alice: Any) -> None:
    """A full update removes properties it does not send; a patch merges them."""
    _insert(alice, id="evt00001", extendedProperties={"private": {"a": "1"}})
    patched = (
        alice.events()
        .patch(
            calendarId="primary",
            eventId="evt00001",
            body={"extendedProperties": {"private": {"b": "2"}}},
        )
        .execute()
    )
    updated = (
        alice.events()
        .update(calendarId="primary", eventId="evt00001", body=timed_event())
        .execute()
    )
    assert patched["extendedProperties"]["private"] == {"a": "1", "b": "2"}
    assert "extendedProperties" not in updated


def test_list_pages_with_max_results(alice: Any) -> None:
    """maxResults and pageToken walk the whole list."""
    for n in range(5):
        _insert(alice, id=f"evt0000{n}")
    seen: list[str] = []
    token = None
    while True:
        page = alice.events().list(calendarId="primary", maxResults=2, pageToken=token).execute()
        seen += [e["id"] for e in page["items"]]
        token = page.get("nextPageToken")
        if not token:
            break
    assert seen == [f"evt0000{n}" for n in range(5)]
    assert "nextSyncToken" in page


def test_end_before_start_is_400_time_range_empty(alice: Any) -> None:
    """A reversed time range is rejected."""
    body = timed_event()
    body["start"], body["end"] = body["end"], body["start"]
    with pytest.raises(HttpError) as caught:
        alice.events().insert(calendarId="primary", body=body).execute()
    assert error_reason(caught.value) == "timeRangeEmpty"


def test_other_users_calendar_is_404(calendar_for) -> None:
    """Only the owner can see a calendar; others get notFound."""
    calendar_for("alice@acme.com")
    bob = calendar_for("bob@acme.com")
    with pytest.raises(HttpError) as caught:
        bob.events().list(calendarId="alice@acme.com").execute()
    assert caught.value.status_code == 404
    assert error_reason(caught.value) == "notFound"


def test_secondary_calendar_lifecycle_and_calendar_list(alice: Any) -> None:
    """calendars.insert/get/delete and calendarList.list (primary first)."""
    created = alice.calendars().insert(body={"summary": "Learning"}).execute()
    fetched = alice.calendars().get(calendarId=created["id"]).execute()
    listed = alice.calendarList().list().execute()["items"]
    assert fetched["summary"] == "Learning"
    assert [c["id"] for c in listed] == ["alice@acme.com", created["id"]]
    assert listed[0]["primary"] is True
    alice.calendars().delete(calendarId=created["id"]).execute()
    with pytest.raises(HttpError) as caught:
        alice.calendars().get(calendarId=created["id"]).execute()
    assert caught.value.status_code == 404


def test_event_on_secondary_calendar_is_organized_by_the_calendar(alice: Any) -> None:
    """On a secondary calendar the organizer is the calendar itself."""
    created = alice.calendars().insert(body={"summary": "Learning"}).execute()
    event = alice.events().insert(calendarId=created["id"], body=timed_event()).execute()
    assert event["organizer"]["email"] == created["id"]


def test_sync_token_returns_changes_including_deletions(alice: Any) -> None:
    """A nextSyncToken lists later changes, tombstones included."""
    _insert(alice, id="evt00001")
    token = alice.events().list(calendarId="primary").execute()["nextSyncToken"]
    _insert(alice, id="evt00002")
    alice.events().delete(calendarId="primary", eventId="evt00001").execute()
    changes = alice.events().list(calendarId="primary", syncToken=token).execute()["items"]
    assert {(e["id"], e["status"]) for e in changes} == {
        ("evt00001", "cancelled"),
        ("evt00002", "confirmed"),
    }


def _insert_in_utc_with_millis(alice: Any) -> dict[str, Any]:
    start = dt.datetime.fromisoformat(at(2, "15:00")).astimezone(dt.UTC)
    body = {
        "id": "evtnorm01",
        "summary": "Zoned",
        "start": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S.250Z"), "timeZone": NEW_YORK},
        "end": {
            "dateTime": (start + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "timeZone": NEW_YORK,
        },
    }
    created: dict[str, Any] = alice.events().insert(calendarId="primary", body=body).execute()
    return created


def test_returned_times_are_in_the_event_time_zone_at_seconds_precision(alice: Any) -> None:
    """Strict reading: a dateTime sent in UTC with milliseconds comes back re-expressed in the
    event's time zone, without the fraction (the same instant, another string)."""
    created = _insert_in_utc_with_millis(alice)
    fetched = alice.events().get(calendarId="primary", eventId="evtnorm01").execute()
    for event in (created, fetched):
        text = event["start"]["dateTime"]
        assert "." not in text
        assert text.endswith(("-05:00", "-04:00"))
        sent = dt.datetime.fromisoformat(at(2, "15:00"))
        assert dt.datetime.fromisoformat(text) == sent.astimezone(dt.UTC).replace(microsecond=0)


def test_returned_times_are_as_sent_when_lenient(alice: Any, ctl: SandboxControl) -> None:
    """normalise_datetimes off: the dateTime comes back exactly as written."""
    ctl.strictness(normalise_datetimes=False)
    created = _insert_in_utc_with_millis(alice)
    assert created["start"]["dateTime"].endswith(".250Z")
