"""Attendee copies, responses, calendar_view and service-account invitation rules."""

from __future__ import annotations

from typing import Any

import pytest
from googleapiclient.errors import HttpError
from sandbox_helpers import error_reason, timed_event

from calsync_sandbox import SandboxControl


@pytest.fixture
def alice(calendar_for) -> Any:
    """Alice (organizer) with Bob seeded."""
    service = calendar_for("alice@acme.com")
    return service


@pytest.fixture
def bob(calendar_for) -> Any:
    """Bob's Calendar service."""
    return calendar_for("bob@acme.com")


def _invite(alice: Any, *emails: str) -> dict[str, Any]:
    body = timed_event(id="evt00001", attendees=[{"email": e} for e in emails])
    result: dict[str, Any] = alice.events().insert(calendarId="primary", body=body).execute()
    return result


def test_invited_user_sees_the_event_on_their_primary_calendar(alice: Any, bob: Any) -> None:
    """Same id on Bob's primary, his attendee entry marked self with his responseStatus."""
    _invite(alice, "bob@acme.com")
    items = bob.events().list(calendarId="primary").execute()["items"]
    assert [e["id"] for e in items] == ["evt00001"]
    me = [a for a in items[0]["attendees"] if a.get("self")]
    assert me == [{"email": "bob@acme.com", "responseStatus": "needsAction", "self": True}]
    fetched = bob.events().get(calendarId="bob@acme.com", eventId="evt00001").execute()
    assert fetched["organizer"]["email"] == "alice@acme.com"


def test_attendee_copy_hides_the_organizers_private_properties(alice: Any, bob: Any) -> None:
    """Private extended properties belong to the organizer's copy only."""
    body = timed_event(
        id="evt00001",
        attendees=[{"email": "bob@acme.com"}],
        extendedProperties={"private": {"tenant": "acme"}, "shared": {"k": "v"}},
    )
    alice.events().insert(calendarId="primary", body=body).execute()
    copy = bob.events().get(calendarId="primary", eventId="evt00001").execute()
    assert copy["extendedProperties"] == {"shared": {"k": "v"}}


def _invite_hidden(alice: Any) -> None:
    body = timed_event(
        id="evt00001",
        guestsCanSeeOtherGuests=False,
        attendees=[{"email": "bob@acme.com"}, {"email": "carol@acme.com"}],
    )
    alice.events().insert(calendarId="primary", body=body).execute()


def test_attendee_copy_hides_other_guests_when_they_may_not_see_them(alice: Any, bob: Any) -> None:
    """Strict reading: with guestsCanSeeOtherGuests=false, Bob's copy (get and list) lists only
    Bob; the organizer's copy still lists everyone."""
    _invite_hidden(alice)
    fetched = bob.events().get(calendarId="primary", eventId="evt00001").execute()
    listed = bob.events().list(calendarId="primary").execute()["items"][0]
    for copy in (fetched, listed):
        assert [a["email"] for a in copy["attendees"]] == ["bob@acme.com"]
    own = alice.events().get(calendarId="primary", eventId="evt00001").execute()
    assert [a["email"] for a in own["attendees"]] == ["bob@acme.com", "carol@acme.com"]


def test_attendee_copy_lists_every_guest_when_lenient(
    alice: Any, bob: Any, ctl: SandboxControl
) -> None:
    """hide_guests_in_copies off: Bob's copy lists every guest."""
    ctl.strictness(hide_guests_in_copies=False)
    _invite_hidden(alice)
    fetched = bob.events().get(calendarId="primary", eventId="evt00001").execute()
    assert [a["email"] for a in fetched["attendees"]] == ["bob@acme.com", "carol@acme.com"]


def test_removed_attendee_loses_the_event(alice: Any, bob: Any) -> None:
    """Taking Bob off the list removes the event from his calendar."""
    _invite(alice, "bob@acme.com")
    alice.events().patch(calendarId="primary", eventId="evt00001", body={"attendees": []}).execute()
    assert bob.events().list(calendarId="primary").execute()["items"] == []


def test_cancelled_event_leaves_the_attendees_list(alice: Any, bob: Any) -> None:
    """A deleted event disappears from attendees' lists."""
    _invite(alice, "bob@acme.com")
    alice.events().delete(calendarId="primary", eventId="evt00001").execute()
    assert bob.events().list(calendarId="primary").execute()["items"] == []


def test_attendee_cannot_edit_the_organizers_event(alice: Any, bob: Any) -> None:
    """Writes through an attendee copy are forbiddenForNonOrganizer."""
    _invite(alice, "bob@acme.com")
    with pytest.raises(HttpError) as caught:
        bob.events().patch(
            calendarId="primary", eventId="evt00001", body={"summary": "x"}
        ).execute()
    assert error_reason(caught.value) == "forbiddenForNonOrganizer"


def test_response_shows_on_the_organizers_copy(alice: Any, bob: Any, ctl: SandboxControl) -> None:
    """respond() sets Bob's responseStatus, visible to Alice."""
    _invite(alice, "bob@acme.com")
    ctl.respond("bob@acme.com", "alice@acme.com", "evt00001", "accepted")
    event = alice.events().get(calendarId="primary", eventId="evt00001").execute()
    assert event["attendees"] == [{"email": "bob@acme.com", "responseStatus": "accepted"}]


def test_calendar_view_lists_what_a_person_sees(alice: Any, bob: Any, ctl: SandboxControl) -> None:
    """calendar_view shows live events with the person's response and the organizer."""
    _invite(alice, "bob@acme.com", "carol@elsewhere.com")
    ctl.respond("bob@acme.com", "primary", "evt00001", "tentative")
    view = ctl.calendar_view("bob@acme.com")
    assert len(view) == 1
    entry = view[0]
    assert entry["event_id"] == "evt00001"
    assert entry["summary"] == "Intro to Python"
    assert entry["response_status"] == "tentative"
    assert entry["organizer"] == "alice@acme.com"
    assert entry["attendees"] == ["bob@acme.com", "carol@elsewhere.com"]


def test_bare_service_account_cannot_invite(
    ctl: SandboxControl, calendar_as_service_account
) -> None:
    """A service account without subject gets 403 forbiddenForServiceAccounts for attendees."""
    key = ctl.create_service_account("robot@proj.iam.gserviceaccount.com")
    cal = calendar_as_service_account(key)
    with pytest.raises(HttpError) as caught:
        cal.events().insert(
            calendarId="primary", body=timed_event(attendees=[{"email": "bob@acme.com"}])
        ).execute()
    assert caught.value.status_code == 403
    assert caught.value.error_details == [
        {
            "domain": "calendar",
            "reason": "forbiddenForServiceAccounts",
            "message": "Service accounts cannot invite attendees without Domain-Wide Delegation of "
            "Authority.",
        }
    ]


def test_bare_service_account_can_write_events_without_attendees(
    ctl: SandboxControl, calendar_as_service_account
) -> None:
    """Owning calendars and writing attendee-less events is allowed."""
    key = ctl.create_service_account("robot@proj.iam.gserviceaccount.com")
    cal = calendar_as_service_account(key)
    owned = cal.calendars().insert(body={"summary": "Platform"}).execute()
    event = cal.events().insert(calendarId=owned["id"], body=timed_event()).execute()
    assert event["status"] == "confirmed"


def test_bare_service_account_cannot_patch_in_attendees(
    ctl: SandboxControl, calendar_as_service_account
) -> None:
    """Adding attendees by patch is refused the same way."""
    key = ctl.create_service_account("robot@proj.iam.gserviceaccount.com")
    cal = calendar_as_service_account(key)
    cal.events().insert(calendarId="primary", body=timed_event(id="evt00001")).execute()
    with pytest.raises(HttpError) as caught:
        cal.events().patch(
            calendarId="primary", eventId="evt00001", body={"attendees": [{"email": "b@x.com"}]}
        ).execute()
    assert error_reason(caught.value) == "forbiddenForServiceAccounts"


def test_delegated_service_account_can_invite(
    ctl: SandboxControl, calendar_as_service_account, bob: Any
) -> None:
    """With domain-wide delegation the service account invites as the user."""
    ctl.seed_user("ops@acme.com")
    key = ctl.create_service_account(
        "dwd@proj.iam.gserviceaccount.com", domain_wide_delegation=True
    )
    cal = calendar_as_service_account(key, subject="ops@acme.com")
    event = (
        cal.events()
        .insert(calendarId="primary", body=timed_event(attendees=[{"email": "bob@acme.com"}]))
        .execute()
    )
    assert event["organizer"]["email"] == "ops@acme.com"
    assert [e["id"] for e in bob.events().list(calendarId="primary").execute()["items"]] == [
        event["id"]
    ]
