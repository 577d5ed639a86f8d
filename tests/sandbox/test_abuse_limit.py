"""Calendar's anti-abuse limiter: after too many attendee-changing writes, a user's writes fail
with 403 quotaExceeded for a while, apart from injected faults and the per-minute rate limits."""

from __future__ import annotations

from typing import Any

import pytest
from googleapiclient.errors import HttpError
from sandbox_helpers import error_reason, timed_event

from calsync_sandbox import SandboxControl


@pytest.fixture
def alice(calendar_for) -> Any:
    """Alice, the organizer."""
    return calendar_for("alice@acme.com")


def _invite(alice: Any, n: int) -> None:
    body = timed_event(id=f"evt{n:05d}", attendees=[{"email": f"guest{n}@acme.com"}])
    alice.events().insert(calendarId="primary", body=body).execute()


def test_too_many_attendee_changing_writes_give_quota_exceeded(
    alice: Any, ctl: SandboxControl
) -> None:
    """Beyond the count within the window, the user's next write fails with Google's
    quotaExceeded shape (403, domain usageLimits)."""
    ctl.strictness(abuse_limit_writes=3, abuse_limit_window_seconds=60, abuse_block_seconds=600)
    for n in range(3):
        _invite(alice, n)
    with pytest.raises(HttpError) as caught:
        _invite(alice, 3)
    assert caught.value.status_code == 403
    assert error_reason(caught.value) == "quotaExceeded"
    error = caught.value.error_details[0]
    assert error["domain"] == "usageLimits"


def test_the_block_lasts_its_duration_then_writes_work_again(
    alice: Any, ctl: SandboxControl
) -> None:
    """The block holds for abuse_block_seconds on the sandbox clock, also for writes without
    attendees, and ends by itself."""
    ctl.strictness(abuse_limit_writes=2, abuse_block_seconds=600)
    _invite(alice, 0)
    _invite(alice, 1)
    ctl.advance_clock(599)
    with pytest.raises(HttpError):
        alice.events().insert(calendarId="primary", body=timed_event(id="evtalone1")).execute()
    ctl.advance_clock(2)
    _invite(alice, 2)


def test_reads_and_other_users_are_not_blocked(
    alice: Any, calendar_for, ctl: SandboxControl
) -> None:
    """Only the blocked user's writes fail: their reads and another user's writes work."""
    ctl.strictness(abuse_limit_writes=1)
    _invite(alice, 0)
    assert alice.events().list(calendarId="primary").execute()["items"]
    bob = calendar_for("bob@acme.com")
    _invite(bob, 1)


def test_writes_that_keep_the_attendees_are_not_counted(alice: Any, ctl: SandboxControl) -> None:
    """A change of the title alone does not count towards the limit."""
    ctl.strictness(abuse_limit_writes=2)
    _invite(alice, 0)
    for n in range(5):
        alice.events().patch(
            calendarId="primary", eventId="evt00000", body={"summary": f"Title {n}"}
        ).execute()


def test_writes_slower_than_the_window_are_not_blocked(alice: Any, ctl: SandboxControl) -> None:
    """Writes spread over more than the window do not add up."""
    ctl.strictness(abuse_limit_writes=2, abuse_limit_window_seconds=60)
    for n in range(4):
        _invite(alice, n)
        ctl.advance_clock(61)


def test_a_limit_of_zero_turns_the_limiter_off(alice: Any, ctl: SandboxControl) -> None:
    """abuse_limit_writes=0: no block however many writes."""
    ctl.strictness(abuse_limit_writes=0)
    for n in range(30):
        _invite(alice, n)
