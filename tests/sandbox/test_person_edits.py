"""Control actions for "a person edits in Google Calendar": each is a real edit (etag,
updated, sequence as Google bumps them) and notifies the channels watching the calendar."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sandbox_helpers import NEW_YORK, timed_event

from calsync_dev.dates import at
from calsync_sandbox import SandboxControl, SandboxControlError
from tests.push_receiver import PushReceiver

ALICE, BOB, EVE = "alice@acme.com", "bob@acme.com", "eve@acme.com"


@pytest.fixture
def alice(calendar_for: Callable[..., Any], ctl: SandboxControl) -> Any:
    """Alice's Calendar service; Bob and Eve are seeded users."""
    ctl.seed_user(BOB)
    ctl.seed_user(EVE)
    return calendar_for(ALICE)


@pytest.fixture
def event(alice: Any) -> dict[str, Any]:
    """Alice's event with Bob invited."""
    body = timed_event(id="evtedit01", attendees=[{"email": BOB}], location="HQ")
    created: dict[str, Any] = alice.events().insert(calendarId="primary", body=body).execute()
    return created


def _read(alice: Any) -> dict[str, Any]:
    found: dict[str, Any] = alice.events().get(calendarId="primary", eventId="evtedit01").execute()
    return found


def _watch(alice: Any, receiver: PushReceiver) -> None:
    alice.events().watch(
        calendarId="primary", body={"id": "edits", "type": "web_hook", "address": receiver.url}
    ).execute()


def test_moving_bumps_sequence_and_notifies(
    alice: Any, event: dict[str, Any], ctl: SandboxControl, push_receiver: PushReceiver
) -> None:
    """A move changes start/end, etag, updated and sequence, and sends ``exists``."""
    _watch(alice, push_receiver)
    start = {"dateTime": at(2, "14:00", NEW_YORK), "timeZone": NEW_YORK}
    end = {"dateTime": at(2, "15:00", NEW_YORK), "timeZone": NEW_YORK}
    ctl.advance_clock(5)
    answer = ctl.edit_move(ALICE, "evtedit01", start, end)
    read = _read(alice)
    assert read == answer
    assert read["start"]["dateTime"] == start["dateTime"]
    assert read["sequence"] == event["sequence"] + 1
    assert read["etag"] != event["etag"]
    assert read["updated"] > event["updated"]
    ctl.drain_push()
    assert push_receiver.states() == ["sync", "exists"]


def test_retitling_keeps_the_sequence(
    alice: Any, event: dict[str, Any], ctl: SandboxControl
) -> None:
    """A new title is a new etag but not a new sequence (only time and place count)."""
    ctl.edit_retitle(ALICE, "evtedit01", "Renamed by hand")
    read = _read(alice)
    assert read["summary"] == "Renamed by hand"
    assert read["sequence"] == event["sequence"]
    assert read["etag"] != event["etag"]


def test_deleting_leaves_a_tombstone_sync_sees(alice: Any, event: dict[str, Any], ctl: Any) -> None:
    """A person's delete is a cancelled tombstone; a second one is refused."""
    token = alice.events().list(calendarId="primary").execute()["nextSyncToken"]
    ctl.edit_delete(ALICE, "evtedit01")
    assert _read(alice)["status"] == "cancelled"
    changes = alice.events().list(calendarId="primary", syncToken=token).execute()["items"]
    assert [(e["id"], e["status"]) for e in changes] == [("evtedit01", "cancelled")]
    with pytest.raises(SandboxControlError) as caught:
        ctl.edit_delete(ALICE, "evtedit01")
    assert caught.value.status == 400


def test_adding_and_removing_guests(alice: Any, event: dict[str, Any], ctl: SandboxControl) -> None:
    """A guest added by hand is needsAction and sees the event; a removed one no longer does."""
    ctl.edit_add_guest(ALICE, "evtedit01", EVE)
    guests = {a["email"]: a["responseStatus"] for a in _read(alice)["attendees"]}
    assert guests == {BOB: "needsAction", EVE: "needsAction"}
    assert [v["event_id"] for v in ctl.calendar_view(EVE)] == ["evtedit01"]
    ctl.edit_remove_guest(ALICE, "evtedit01", BOB)
    assert [a["email"] for a in _read(alice)["attendees"]] == [EVE]
    assert ctl.calendar_view(BOB) == []
    with pytest.raises(SandboxControlError) as caught:
        ctl.edit_remove_guest(ALICE, "evtedit01", BOB)
    assert caught.value.status == 404


@pytest.mark.parametrize("answer", ["accepted", "declined", "tentative"])
def test_an_attendee_responds(
    alice: Any,
    event: dict[str, Any],
    ctl: SandboxControl,
    push_receiver: PushReceiver,
    answer: str,
) -> None:
    """The answer lands on the organizer's event (new etag, same sequence) and notifies."""
    _watch(alice, push_receiver)
    ctl.respond(BOB, ALICE, "evtedit01", answer)
    read = _read(alice)
    assert read["attendees"][0]["responseStatus"] == answer
    assert read["etag"] != event["etag"]
    assert read["sequence"] == event["sequence"]
    ctl.drain_push()
    assert push_receiver.states() == ["sync", "exists"]


def test_edits_mail_only_when_asked(alice: Any, event: dict[str, Any], ctl: SandboxControl) -> None:
    """Default ``send_updates`` is none (the person chose "Don't send"); ``all`` mails."""
    start = {"dateTime": at(3, "09:00"), "timeZone": "UTC"}
    end = {"dateTime": at(3, "10:00"), "timeZone": "UTC"}
    ctl.edit_move(ALICE, "evtedit01", start, end)
    assert ctl.notification_counts().get(BOB, {}).get("update") is None
    ctl.edit_retitle(ALICE, "evtedit01", "Mailed", send_updates="all")
    assert ctl.notification_counts()[BOB]["update"] == 1


def test_bad_edits_are_refused(alice: Any, event: dict[str, Any], ctl: SandboxControl) -> None:
    """Unknown event: 404; end before start or an unknown send_updates: 400."""
    with pytest.raises(SandboxControlError) as unknown:
        ctl.edit_retitle(ALICE, "nosuchevent", "x")
    assert unknown.value.status == 404
    start = {"dateTime": at(3, "10:00"), "timeZone": "UTC"}
    end = {"dateTime": at(3, "09:00"), "timeZone": "UTC"}
    with pytest.raises(SandboxControlError) as reversed_times:
        ctl.edit_move(ALICE, "evtedit01", start, end)
    assert reversed_times.value.status == 400
    with pytest.raises(SandboxControlError) as bad_mode:
        ctl.edit_retitle(ALICE, "evtedit01", "x", send_updates="sometimes")
    assert bad_mode.value.status == 400
