"""Google's usage limits are on by default: the per-minute quotas at their published figures,
and the anti-abuse counts of calendars created, events created and invitations to external
guests per acting user (facts §6.4; docs/sandbox.md, "Rate limits and faults")."""

from __future__ import annotations

from typing import Any

import pytest
from googleapiclient.errors import HttpError
from sandbox_helpers import error_reason, timed_event

from calsync_sandbox import SandboxControl


@pytest.fixture
def alice(calendar_for, ctl: SandboxControl) -> Any:
    """Alice, a Workspace user of acme.com."""
    ctl.seed_domain("acme.com")
    ctl.seed_user("alice@acme.com")
    return calendar_for("alice@acme.com")


def _quota_exceeded(call: Any) -> HttpError:
    with pytest.raises(HttpError) as caught:
        call.execute()
    assert caught.value.status_code == 403
    assert error_reason(caught.value) == "quotaExceeded"
    assert caught.value.error_details[0]["domain"] == "usageLimits"
    return caught.value


def test_the_published_per_minute_quotas_are_on_by_default(ctl: SandboxControl) -> None:
    """600 requests per minute per user and 10,000 per project, answered with 403."""
    assert ctl.rate_limit() == {
        "per_user_per_minute": 600,
        "per_project_per_minute": 10000,
        "status": 403,
    }


def test_the_per_user_quota_answers_google_s_user_rate_limit_shape(
    alice: Any, ctl: SandboxControl
) -> None:
    """Over the per-user limit: 403 usageLimits userRateLimitExceeded."""
    ctl.set_rate_limit(per_user_per_minute=3, per_project_per_minute=10000)
    for _ in range(3):
        alice.events().list(calendarId="primary").execute()
    with pytest.raises(HttpError) as caught:
        alice.events().list(calendarId="primary").execute()
    assert caught.value.status_code == 403
    assert error_reason(caught.value) == "userRateLimitExceeded"
    assert caught.value.error_details[0]["domain"] == "usageLimits"


def test_each_api_has_its_own_per_minute_quota(
    alice: Any, admin_api, calendar_for, ctl: SandboxControl
) -> None:
    """A user's Directory calls do not use up her Calendar quota: each API counts apart."""
    ctl.seed_user("gadmin@acme.com", admin=True)
    ctl.set_rate_limit(per_user_per_minute=2)
    directory = admin_api("gadmin@acme.com")
    calendar = calendar_for("gadmin@acme.com")
    for _ in range(2):
        directory.users().get(userKey="alice@acme.com").execute()
    for _ in range(2):
        calendar.events().list(calendarId="primary").execute()
    with pytest.raises(HttpError) as caught:
        calendar.events().list(calendarId="primary").execute()
    assert error_reason(caught.value) == "userRateLimitExceeded"


def test_the_sixty_first_calendar_in_a_day_makes_the_user_read_only(
    alice: Any, calendar_for, ctl: SandboxControl
) -> None:
    """Google: creating more than 60 calendars in a short period makes the account read-only
    for hours. Her reads still work, and another user's writes are not affected."""
    for n in range(59):
        alice.calendars().insert(body={"summary": f"Tenant {n}"}).execute()
    alice.calendars().insert(body={"summary": "Tenant 59"}).execute()  # the 60th: the limit
    _quota_exceeded(alice.calendars().insert(body={"summary": "Tenant 60"}))
    _quota_exceeded(alice.events().insert(calendarId="primary", body=timed_event()))
    assert alice.calendarList().list().execute()["items"]
    ctl.seed_user("bob@acme.com")
    calendar_for("bob@acme.com").calendars().insert(body={"summary": "Bob's"}).execute()


def test_calendars_created_a_day_apart_do_not_add_up(alice: Any, ctl: SandboxControl) -> None:
    """The count is over a sliding window (a day, the stricter reading of "a short period")."""
    ctl.strictness(abuse_calendars_created=2)
    alice.calendars().insert(body={"summary": "One"}).execute()
    ctl.advance_clock(86401)
    alice.calendars().insert(body={"summary": "Two"}).execute()
    ctl.advance_clock(86401)
    alice.calendars().insert(body={"summary": "Three"}).execute()


def test_too_many_events_created_block_the_user_s_writes_for_hours(
    alice: Any, ctl: SandboxControl
) -> None:
    """Events created count per acting user; the block lasts abuse_volume_block_seconds."""
    ctl.strictness(abuse_events_created=3, abuse_volume_block_seconds=7200)
    for n in range(3):
        alice.events().insert(calendarId="primary", body=timed_event(id=f"evt{n:05d}")).execute()
    _quota_exceeded(
        alice.events().patch(calendarId="primary", eventId="evt00000", body={"summary": "x"})
    )
    ctl.advance_clock(7199)
    _quota_exceeded(alice.events().insert(calendarId="primary", body=timed_event()))
    ctl.advance_clock(2)
    alice.events().insert(calendarId="primary", body=timed_event()).execute()


def test_updates_do_not_count_as_events_created(alice: Any, ctl: SandboxControl) -> None:
    """Only inserts count toward the events-created limit."""
    ctl.strictness(abuse_events_created=2)
    alice.events().insert(calendarId="primary", body=timed_event(id="evt00001")).execute()
    for n in range(5):
        alice.events().patch(
            calendarId="primary", eventId="evt00001", body={"summary": f"Title {n}"}
        ).execute()


def test_invitations_to_external_guests_count_each_guest(alice: Any, ctl: SandboxControl) -> None:
    """Each external guest added is one invitation; a third in one write reaches a limit of 3."""
    ctl.strictness(abuse_external_invitations=3, abuse_limit_writes=0)
    guests = [{"email": "ext1@example.org"}, {"email": "ext2@example.org"}]
    alice.events().insert(
        calendarId="primary", body=timed_event(id="evt00001", attendees=guests)
    ).execute()
    guests.append({"email": "ext3@example.org"})
    alice.events().patch(
        calendarId="primary", eventId="evt00001", body={"attendees": guests}
    ).execute()
    _quota_exceeded(alice.events().insert(calendarId="primary", body=timed_event()))


def test_invitations_to_workspace_users_are_not_external(alice: Any, ctl: SandboxControl) -> None:
    """Guests who are Workspace users of the domain do not count, however many."""
    ctl.strictness(abuse_external_invitations=2, abuse_limit_writes=0)
    for person in ("bob", "carol", "dan"):
        ctl.seed_user(f"{person}@acme.com")
    for n, person in enumerate(("bob", "carol", "dan")):
        alice.events().insert(
            calendarId="primary",
            body=timed_event(id=f"evt0000{n}", attendees=[{"email": f"{person}@acme.com"}]),
        ).execute()


def test_a_domain_address_without_a_workspace_account_is_external(
    alice: Any, ctl: SandboxControl
) -> None:
    """Google counts users in your domain who are not on Google Workspace as external."""
    ctl.strictness(abuse_external_invitations=1, abuse_limit_writes=0)
    alice.events().insert(
        calendarId="primary",
        body=timed_event(id="evt00001", attendees=[{"email": "nobody@acme.com"}]),
    ).execute()
    _quota_exceeded(alice.events().insert(calendarId="primary", body=timed_event()))
