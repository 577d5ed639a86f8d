"""sendUpdates and the notification log, counted per recipient."""

from __future__ import annotations

from typing import Any

import pytest
from sandbox_helpers import timed_event

from calsync_dev.dates import at
from calsync_sandbox import SandboxControl
from calsync_sandbox.calendar.notifications import plan_notifications

ROOM = {"email": "hq-4-pine@resource.calendar.google.com", "resource": True}


@pytest.fixture
def alice(calendar_for) -> Any:
    """Alice, the organizer."""
    return calendar_for("alice@acme.com")


def _people(*emails: str) -> list[dict[str, Any]]:
    return [{"email": e} for e in emails]


def _insert(alice: Any, attendees: list[dict[str, Any]], send: str | None) -> None:
    kwargs: dict[str, Any] = {
        "calendarId": "primary",
        "body": timed_event(id="evt00001", attendees=attendees),
    }
    if send:
        kwargs["sendUpdates"] = send
    alice.events().insert(**kwargs).execute()


def test_insert_all_invites_everyone_but_organizer_and_rooms(
    alice: Any, ctl: SandboxControl
) -> None:
    """sendUpdates=all: one invitation per attendee, none to the organizer or the room."""
    _insert(alice, [*_people("alice@acme.com", "bob@acme.com", "x@ext.com"), ROOM], "all")
    assert ctl.notification_counts() == {
        "bob@acme.com": {"invitation": 1},
        "x@ext.com": {"invitation": 1},
    }


def test_insert_external_only_invites_outside_the_domain(alice: Any, ctl: SandboxControl) -> None:
    """sendUpdates=externalOnly: only addresses outside seeded domains get mail."""
    _insert(alice, _people("bob@acme.com", "x@ext.com"), "externalOnly")
    assert ctl.notification_counts() == {"x@ext.com": {"invitation": 1}}


@pytest.mark.parametrize("send", [None, "none"])
def test_insert_without_send_updates_sends_nothing(
    alice: Any, ctl: SandboxControl, send: str | None
) -> None:
    """Absent or none sends no mail."""
    _insert(alice, _people("bob@acme.com"), send)
    assert ctl.notifications() == []


def test_update_invites_added_and_cancels_removed(alice: Any, ctl: SandboxControl) -> None:
    """Attendee list changes (lenient reading): invitation for new people, cancellation for
    removed ones, nothing for those who stay."""
    ctl.strictness(notify_all_guests_on_attendee_change=False)
    _insert(alice, _people("bob@acme.com", "carol@acme.com"), "none")
    alice.events().patch(
        calendarId="primary",
        eventId="evt00001",
        sendUpdates="all",
        body={"attendees": _people("bob@acme.com", "dan@acme.com")},
    ).execute()
    assert ctl.notification_counts() == {
        "dan@acme.com": {"invitation": 1},
        "carol@acme.com": {"cancellation": 1},
    }


def test_adding_one_guest_with_all_mails_every_remaining_guest(
    alice: Any, ctl: SandboxControl
) -> None:
    """Strict reading (users' reports): with sendUpdates=all, a change to the attendee list
    sends an update to every guest who stays, besides the invitation to the new one."""
    _insert(alice, _people("bob@acme.com", "carol@acme.com", "x@ext.com"), "none")
    alice.events().patch(
        calendarId="primary",
        eventId="evt00001",
        sendUpdates="all",
        body={"attendees": _people("bob@acme.com", "carol@acme.com", "x@ext.com", "dan@acme.com")},
    ).execute()
    assert ctl.notification_counts() == {
        "bob@acme.com": {"update": 1},
        "carol@acme.com": {"update": 1},
        "x@ext.com": {"update": 1},
        "dan@acme.com": {"invitation": 1},
    }


def test_external_only_attendee_change_mails_every_remaining_external_guest(
    alice: Any, ctl: SandboxControl
) -> None:
    """Strict reading with externalOnly: every external guest who stays gets an update."""
    _insert(alice, _people("bob@acme.com", "x@ext.com"), "none")
    alice.events().patch(
        calendarId="primary",
        eventId="evt00001",
        sendUpdates="externalOnly",
        body={"attendees": _people("bob@acme.com", "x@ext.com", "dan@acme.com")},
    ).execute()
    assert ctl.notification_counts() == {"x@ext.com": {"update": 1}}


def test_cosmetic_change_sends_no_update(alice: Any, ctl: SandboxControl) -> None:
    """Changing colour/reminders is not worth mail."""
    _insert(alice, _people("bob@acme.com"), "none")
    alice.events().patch(
        calendarId="primary", eventId="evt00001", sendUpdates="all", body={"colorId": "5"}
    ).execute()
    assert ctl.notifications() == []


def test_time_change_sends_update_to_remaining_attendees(alice: Any, ctl: SandboxControl) -> None:
    """A new start/end sends update mail."""
    _insert(alice, _people("bob@acme.com"), "none")
    alice.events().patch(
        calendarId="primary",
        eventId="evt00001",
        sendUpdates="all",
        body={"start": {"dateTime": at(1, "09:00", "America/New_York")}},
    ).execute()
    entries = ctl.notifications("bob@acme.com")
    assert [(n["kind"], n["event_id"], n["actor"]) for n in entries] == [
        ("update", "evt00001", "alice@acme.com")
    ]


def test_delete_cancels_for_every_attendee(alice: Any, ctl: SandboxControl) -> None:
    """Delete with sendUpdates=all sends a cancellation to each attendee."""
    _insert(alice, _people("bob@acme.com", "x@ext.com"), "none")
    alice.events().delete(calendarId="primary", eventId="evt00001", sendUpdates="all").execute()
    assert ctl.notification_counts() == {
        "bob@acme.com": {"cancellation": 1},
        "x@ext.com": {"cancellation": 1},
    }


def test_restoring_a_tombstone_reinvites(alice: Any, ctl: SandboxControl) -> None:
    """Bringing back a cancelled event with sendUpdates=all sends invitations."""
    _insert(alice, _people("bob@acme.com"), "none")
    alice.events().delete(calendarId="primary", eventId="evt00001").execute()
    alice.events().patch(
        calendarId="primary", eventId="evt00001", sendUpdates="all", body={"status": "confirmed"}
    ).execute()
    assert ctl.notification_counts() == {"bob@acme.com": {"invitation": 1}}


def test_plan_for_patch_to_cancelled_is_cancellation() -> None:
    """The pure planner treats status cancelled like a delete."""
    before = {
        "status": "confirmed",
        "organizer": {"email": "o@a.com"},
        "attendees": _people("b@a.com"),
    }
    after = {**before, "status": "cancelled"}
    plan = plan_notifications(before, after, "all", owner="o@a.com", is_internal=lambda e: True)
    assert plan == [("b@a.com", "cancellation")]
