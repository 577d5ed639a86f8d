"""Rate limits, injected faults and the request log."""

from __future__ import annotations

import json
import time
from typing import Any

import google.auth.transport.requests
import pytest
import requests
from google.auth.exceptions import RefreshError
from googleapiclient.errors import HttpError
from sandbox_helpers import error_reason, timed_event

from calsync_sandbox import SandboxControl


@pytest.fixture
def alice(calendar_for) -> Any:
    """Alice's Calendar service."""
    return calendar_for("alice@acme.com")


def test_per_user_rate_limit_is_403_user_rate_limit_exceeded(
    alice: Any, ctl: SandboxControl
) -> None:
    """Over the per-user limit Google answers 403 usageLimits/userRateLimitExceeded."""
    ctl.set_rate_limit(per_user_per_minute=2)
    alice.calendarList().list().execute()
    alice.calendarList().list().execute()
    with pytest.raises(HttpError) as caught:
        alice.calendarList().list().execute()
    assert caught.value.status_code == 403
    assert caught.value.error_details[0]["reason"] == "userRateLimitExceeded"
    assert caught.value.error_details[0]["domain"] == "usageLimits"


def test_rate_limit_counts_each_user_separately(calendar_for, ctl: SandboxControl) -> None:
    """Another user is not limited by Alice's traffic."""
    alice, bob = calendar_for("alice@acme.com"), calendar_for("bob@acme.com")
    ctl.set_rate_limit(per_user_per_minute=1)
    alice.calendarList().list().execute()
    bob.calendarList().list().execute()


def test_rate_limit_can_answer_429(alice: Any, ctl: SandboxControl) -> None:
    """status=429 switches to 429 rateLimitExceeded."""
    ctl.set_rate_limit(per_user_per_minute=1, status=429)
    alice.calendarList().list().execute()
    with pytest.raises(HttpError) as caught:
        alice.calendarList().list().execute()
    assert (caught.value.status_code, error_reason(caught.value)) == (429, "rateLimitExceeded")


def test_counted_fault_is_spent_and_client_retry_succeeds(alice: Any, ctl: SandboxControl) -> None:
    """A 503 backendError for one call; the client's num_retries gets through."""
    ctl.inject_fault("calendar.events.insert", status=503, reason="backendError", count=1)
    event = alice.events().insert(calendarId="primary", body=timed_event()).execute(num_retries=1)
    assert event["status"] == "confirmed"
    statuses = [r["status"] for r in ctl.requests(method_id="calendar.events.insert")]
    assert statuses == [503, 200]
    assert ctl.faults()[0]["hits"] == 1


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (500, "backendError"),
        (429, "rateLimitExceeded"),
        (403, "rateLimitExceeded"),
        (403, "quotaExceeded"),
    ],
)
def test_injected_error_uses_googles_body(
    alice: Any, ctl: SandboxControl, status: int, reason: str
) -> None:
    """An injected error carries the status and reason in Google's error shape."""
    ctl.inject_fault("calendar.calendarList.list", status=status, reason=reason)
    with pytest.raises(HttpError) as caught:
        alice.calendarList().list().execute()
    assert caught.value.status_code == status
    assert error_reason(caught.value) == reason
    assert json.loads(caught.value.content)["error"]["code"] == status


@pytest.mark.parametrize("status", [502, 504])
def test_injected_gateway_errors_have_html_bodies(
    alice: Any, ctl: SandboxControl, status: int
) -> None:
    """Strict reading: 502 and 504 come from Google's front end as an HTML page, not JSON."""
    ctl.inject_fault("calendar.calendarList.list", status=status, count=1)
    with pytest.raises(HttpError) as caught:
        alice.calendarList().list().execute()
    assert caught.value.status_code == status
    assert caught.value.resp["content-type"].startswith("text/html")
    assert caught.value.content.startswith(b"<!DOCTYPE html>")


def test_injected_backend_errors_keep_json_bodies(alice: Any, ctl: SandboxControl) -> None:
    """500 and 503 (backendError) keep Google's JSON error shape under the strict reading."""
    ctl.inject_fault("calendar.calendarList.list", status=503, count=1)
    with pytest.raises(HttpError) as caught:
        alice.calendarList().list().execute()
    assert error_reason(caught.value) == "backendError"


def test_injected_gateway_errors_have_json_bodies_when_lenient(
    alice: Any, ctl: SandboxControl
) -> None:
    """html_error_bodies off: a 502 carries Google's JSON error shape."""
    ctl.strictness(html_error_bodies=False)
    ctl.inject_fault("calendar.calendarList.list", status=502, reason="backendError", count=1)
    with pytest.raises(HttpError) as caught:
        alice.calendarList().list().execute()
    assert error_reason(caught.value) == "backendError"


def test_fault_can_target_one_user(calendar_for, ctl: SandboxControl) -> None:
    """A fault with a user only hits that user's requests."""
    alice, bob = calendar_for("alice@acme.com"), calendar_for("bob@acme.com")
    ctl.inject_fault("*", user="bob@acme.com", status=500, reason="backendError")
    alice.calendarList().list().execute()
    with pytest.raises(HttpError):
        bob.calendarList().list().execute()


def test_delay_fault_slows_the_answer(alice: Any, ctl: SandboxControl) -> None:
    """A delay fault answers normally after the delay."""
    alice.calendarList().list().execute()
    ctl.inject_fault("calendar.calendarList.list", action="delay", delay=0.3, count=1)
    started = time.monotonic()
    alice.calendarList().list().execute()
    assert time.monotonic() - started >= 0.3


def test_drop_fault_closes_the_connection(ctl: SandboxControl, base_url: str) -> None:
    """A drop fault hangs up without an HTTP answer."""
    ctl.seed_user("alice@acme.com")
    token = ctl.mint_token("alice@acme.com")["access_token"]
    ctl.inject_fault("calendar.calendarList.list", action="drop", count=1)
    with pytest.raises(requests.ConnectionError):
        requests.get(
            base_url + "/calendar/v3/users/me/calendarList",
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        )


def test_clear_faults_removes_them(alice: Any, ctl: SandboxControl) -> None:
    """After clear_faults requests succeed again."""
    ctl.inject_fault("*", status=500, reason="backendError")
    ctl.clear_faults()
    alice.calendarList().list().execute()


def test_token_endpoint_fault_surfaces_as_refresh_error(
    user_credentials, ctl: SandboxControl
) -> None:
    """Faults can hit oauth2.token; the error comes back in the OAuth shape."""
    creds = user_credentials("alice@acme.com")
    ctl.inject_fault("oauth2.token", status=400, reason="invalid_grant", message="nope", count=1)
    with pytest.raises(RefreshError, match="invalid_grant"):
        creds.refresh(google.auth.transport.requests.Request())


def test_request_log_records_method_user_and_status(alice: Any, ctl: SandboxControl) -> None:
    """Each API request is logged with its method id, identity and status."""
    alice.events().insert(calendarId="primary", body=timed_event(id="evt00001")).execute()
    entry = ctl.requests(method_id="calendar.events.insert")[0]
    assert entry["http_method"] == "POST"
    assert entry["path"] == "/calendar/v3/calendars/primary/events"
    assert (entry["user"], entry["status"]) == ("alice@acme.com", 200)


def test_request_counts_and_writes(alice: Any, ctl: SandboxControl) -> None:
    """Counts per method id; writes are insert/patch/update/delete/move calls."""
    alice.calendars().insert(body={"summary": "Learning"}).execute()
    alice.events().insert(calendarId="primary", body=timed_event(id="evt00001")).execute()
    alice.events().patch(calendarId="primary", eventId="evt00001", body={"summary": "b"}).execute()
    alice.events().get(calendarId="primary", eventId="evt00001").execute()
    counts = ctl.request_counts()
    assert counts["counts"]["calendar.events.get"] == 1
    assert counts["writes"] == 3
