"""conferenceData: asynchronous Meet creation, idempotent request ids, removal, failures."""

from __future__ import annotations

import re
from typing import Any

import pytest
from googleapiclient.errors import HttpError
from sandbox_helpers import error_reason, timed_event

from calsync_sandbox import SandboxControl

MEET = {"createRequest": {"requestId": "req-1", "conferenceSolutionKey": {"type": "hangoutsMeet"}}}


@pytest.fixture
def alice(calendar_for) -> Any:
    """Alice's Calendar service."""
    return calendar_for("alice@acme.com")


def _insert(service: Any, **extra: Any) -> Any:
    body = timed_event(id="evt00001", conferenceData=MEET, **extra)
    return (
        service.events().insert(calendarId="primary", body=body, conferenceDataVersion=1).execute()
    )


def _get(service: Any) -> Any:
    return service.events().get(calendarId="primary", eventId="evt00001").execute()


def _status(event: dict[str, Any]) -> str:
    return str(event["conferenceData"]["createRequest"]["status"]["statusCode"])


def test_meet_creation_is_pending_in_the_insert_reply(alice: Any) -> None:
    """The reply carries the create request with status pending and no link yet."""
    event = _insert(alice)
    assert _status(event) == "pending"
    assert event["conferenceData"]["createRequest"]["requestId"] == "req-1"
    assert "hangoutLink" not in event


def test_meet_creation_succeeds_with_a_link(alice: Any, ctl: SandboxControl) -> None:
    """After completion: success, conferenceId, a video entry point and hangoutLink."""
    _insert(alice)
    ctl.complete_pending(["meet"])
    event = _get(alice)
    conference = event["conferenceData"]
    assert _status(event) == "success"
    assert re.fullmatch(r"[a-z]{3}-[a-z]{4}-[a-z]{3}", conference["conferenceId"])
    link = f"https://meet.google.com/{conference['conferenceId']}"
    assert conference["entryPoints"][0] == {
        "entryPointType": "video",
        "uri": link,
        "label": link.removeprefix("https://"),
    }
    assert conference["conferenceSolution"]["key"] == {"type": "hangoutsMeet"}
    assert event["hangoutLink"] == link


def test_meet_creation_finishes_by_itself_after_the_delay(alice: Any, ctl: SandboxControl) -> None:
    """Without help, the link appears once meet_delay has passed on the sandbox clock."""
    ctl.set_meet(delay=5)
    _insert(alice)
    assert _status(_get(alice)) == "pending"
    ctl.advance_clock(5)
    assert _status(_get(alice)) == "success"


def test_zero_meet_delay_succeeds_in_the_reply(alice: Any, ctl: SandboxControl) -> None:
    """set_meet(delay=0) makes the link part of the insert reply."""
    ctl.set_meet(delay=0)
    event = _insert(alice)
    assert _status(event) == "success"
    assert event["hangoutLink"].startswith("https://meet.google.com/")


def test_failure_switch_makes_creation_fail(alice: Any, ctl: SandboxControl) -> None:
    """set_meet(fail=True): status failure, no entry points, no hangoutLink."""
    ctl.set_meet(fail=True)
    _insert(alice)
    ctl.complete_pending()
    event = _get(alice)
    assert _status(event) == "failure"
    assert "entryPoints" not in event["conferenceData"]
    assert "hangoutLink" not in event


def test_same_request_id_does_not_make_a_new_link(alice: Any, ctl: SandboxControl) -> None:
    """Re-sending the same requestId keeps the existing conference."""
    _insert(alice)
    ctl.complete_pending()
    link = _get(alice)["hangoutLink"]
    again = (
        alice.events()
        .patch(
            calendarId="primary",
            eventId="evt00001",
            body={"conferenceData": MEET},
            conferenceDataVersion=1,
        )
        .execute()
    )
    assert again["hangoutLink"] == link
    assert ctl.pending() == []


def test_new_request_id_makes_a_new_conference(alice: Any, ctl: SandboxControl) -> None:
    """A different requestId starts a new creation that replaces the link."""
    _insert(alice)
    ctl.complete_pending()
    first = _get(alice)["hangoutLink"]
    new = {
        "createRequest": {"requestId": "req-2", "conferenceSolutionKey": {"type": "hangoutsMeet"}}
    }
    alice.events().patch(
        calendarId="primary",
        eventId="evt00001",
        body={"conferenceData": new},
        conferenceDataVersion=1,
    ).execute()
    ctl.complete_pending()
    assert _get(alice)["hangoutLink"] != first


def _turn_meet_off_and_on_again(alice: Any, ctl: SandboxControl) -> dict[str, Any]:
    _insert(alice)
    ctl.complete_pending()
    for conference in (None, MEET):
        alice.events().patch(
            calendarId="primary",
            eventId="evt00001",
            body={"conferenceData": conference},
            conferenceDataVersion=1,
        ).execute()
    ctl.complete_pending()
    return dict(_get(alice))


def test_a_request_id_used_before_on_the_event_is_ignored(alice: Any, ctl: SandboxControl) -> None:
    """Strict reading: after Meet was removed, a createRequest re-using the first requestId
    creates nothing, so the event stays without a conference."""
    event = _turn_meet_off_and_on_again(alice, ctl)
    assert "conferenceData" not in event
    assert "hangoutLink" not in event


def test_a_reused_request_id_creates_a_conference_when_lenient(
    alice: Any, ctl: SandboxControl
) -> None:
    """meet_request_id_reuse_ignored off: only the stored requestId is ignored, so Meet off and
    on again with the same requestId makes a new conference."""
    ctl.strictness(meet_request_id_reuse_ignored=False)
    event = _turn_meet_off_and_on_again(alice, ctl)
    assert _status(event) == "success"


def test_patch_without_conference_data_keeps_it(alice: Any, ctl: SandboxControl) -> None:
    """A patch that does not mention conferenceData leaves the link alone."""
    _insert(alice)
    ctl.complete_pending()
    link = _get(alice)["hangoutLink"]
    patched = (
        alice.events()
        .patch(
            calendarId="primary",
            eventId="evt00001",
            body={"summary": "Renamed"},
            conferenceDataVersion=1,
        )
        .execute()
    )
    assert patched["hangoutLink"] == link


def test_patch_to_null_removes_the_conference(alice: Any, ctl: SandboxControl) -> None:
    """conferenceData: null with conferenceDataVersion=1 removes it and hangoutLink."""
    _insert(alice)
    ctl.complete_pending()
    patched = (
        alice.events()
        .patch(
            calendarId="primary",
            eventId="evt00001",
            body={"conferenceData": None},
            conferenceDataVersion=1,
        )
        .execute()
    )
    assert "conferenceData" not in patched
    assert "hangoutLink" not in patched


def test_conference_data_is_ignored_without_version_1(alice: Any, ctl: SandboxControl) -> None:
    """Version 0: a create request in the body does nothing; null does not remove."""
    event = (
        alice.events().insert(calendarId="primary", body=timed_event(conferenceData=MEET)).execute()
    )
    assert "conferenceData" not in event
    _insert(alice)
    ctl.complete_pending()
    patched = (
        alice.events()
        .patch(calendarId="primary", eventId="evt00001", body={"conferenceData": None})
        .execute()
    )
    assert _status(patched) == "success"


def test_update_with_version_1_and_no_conference_data_removes_it(
    alice: Any, ctl: SandboxControl
) -> None:
    """A full update under version 1 replaces conferenceData too (Google's wipe warning)."""
    _insert(alice)
    ctl.complete_pending()
    updated = (
        alice.events()
        .update(
            calendarId="primary", eventId="evt00001", body=timed_event(), conferenceDataVersion=1
        )
        .execute()
    )
    assert "conferenceData" not in updated


def test_bare_service_account_gets_invalid_conference_type(
    ctl: SandboxControl, calendar_as_service_account
) -> None:
    """A service account without subject asking for Meet -> 400 'Invalid conference type value.'"""
    key = ctl.create_service_account("robot@proj.iam.gserviceaccount.com")
    cal = calendar_as_service_account(key)
    with pytest.raises(HttpError) as caught:
        _insert(cal)
    assert caught.value.status_code == 400
    assert caught.value.error_details == [
        {"domain": "global", "reason": "invalid", "message": "Invalid conference type value."}
    ]


def test_non_meet_conference_type_is_invalid(alice: Any) -> None:
    """Types other than hangoutsMeet (e.g. eventHangout) are refused."""
    old = {"createRequest": {"requestId": "r", "conferenceSolutionKey": {"type": "eventHangout"}}}
    with pytest.raises(HttpError) as caught:
        alice.events().insert(
            calendarId="primary", body=timed_event(conferenceData=old), conferenceDataVersion=1
        ).execute()
    assert error_reason(caught.value) == "invalid"
