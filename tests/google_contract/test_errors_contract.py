"""Google conformance: error shapes, the anti-abuse limiter, calendarList, Cloud Tasks names."""

from __future__ import annotations

import json
import time

import pytest
from google.api_core import exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import tasks_v2
from googleapiclient.errors import HttpError

from calsync_sandbox import SandboxControl
from tests.google_contract.helpers import error_reason, slot
from tests.google_contract.target import GoogleTarget, new_event_id


def test_errors_have_googles_json_shape(google: GoogleTarget) -> None:
    """A missing event is 404 {"error": {"errors": [{domain, reason, message}], code, message}}."""
    with pytest.raises(HttpError) as caught:
        google.calendar(google.organizer).events().get(
            calendarId="primary", eventId=new_event_id()
        ).execute()
    error = json.loads(caught.value.content)["error"]
    assert error["code"] == 404
    assert error["message"]
    assert error["errors"][0]["reason"] == "notFound"
    assert error["errors"][0]["domain"] == "global"


@pytest.mark.sandbox_only
def test_quota_exceeded_blocks_a_users_writes_for_a_while(
    google: GoogleTarget, ctl: SandboxControl
) -> None:
    """After many attendee-changing writes a user's writes fail with 403 quotaExceeded (domain
    usageLimits), for longer than a rate limit.

    By hand: not safely (it blocks the account for hours); when calsync meets quotaExceeded in
    production, the error body it logs should have this shape."""
    ctl.strictness(abuse_limit_writes=2, abuse_block_seconds=3600)
    for _ in range(2):
        google.insert(slot(attendees=[{"email": google.guest}]))
    ctl.advance_clock(600)
    with pytest.raises(HttpError) as caught:
        google.insert(slot(attendees=[{"email": google.guest}]))
    assert caught.value.status_code == 403
    assert error_reason(caught.value) == "quotaExceeded"
    assert caught.value.error_details[0]["domain"] == "usageLimits"


@pytest.mark.sandbox_only
def test_gateway_errors_may_have_html_bodies(google: GoogleTarget, ctl: SandboxControl) -> None:
    """A 502 from Google's front end is an HTML page, not the JSON error shape.

    By hand: only seen in production logs (OutlookGoogleCalendarSync issue 1062); check that
    calsync logs such answers as transient errors."""
    ctl.inject_fault("calendar.events.get", status=502, count=1)
    with pytest.raises(HttpError) as caught:
        google.calendar(google.organizer).events().get(
            calendarId="primary", eventId=new_event_id()
        ).execute()
    assert caught.value.status_code == 502
    assert caught.value.resp["content-type"].startswith("text/html")


@pytest.mark.sandbox_only
def test_calendar_list_includes_subscribed_calendars(
    google: GoogleTarget, ctl: SandboxControl
) -> None:
    """calendarList.list returns calendars the user only subscribed to; a free/busy-only one
    answers 403 to events.list.

    By hand: subscribe a test user to a holiday calendar and to a colleague's calendar shared
    as "See only free/busy", then list their calendars and the colleague's events."""
    ctl.subscribe(google.organizer, google.guest, access_role="freeBusyReader")
    cal = google.calendar(google.organizer)
    listed = {c["id"] for c in cal.calendarList().list().execute()["items"]}
    assert google.guest in listed
    with pytest.raises(HttpError) as caught:
        cal.events().list(calendarId=google.guest).execute()
    assert caught.value.status_code == 403


def _tasks(google: GoogleTarget) -> tasks_v2.CloudTasksClient:
    return tasks_v2.CloudTasksClient(
        transport="rest",
        client_options={"api_endpoint": google.base_url},
        credentials=AnonymousCredentials(),
    )


@pytest.mark.sandbox_only
def test_a_task_name_is_taken_until_about_an_hour_after_the_task_ended(
    google: GoogleTarget, ctl: SandboxControl
) -> None:
    """Creating a task whose name a deleted task had is 409 (Conflict over REST) for about an
    hour, then allowed.

    By hand: in a test project, create a named task, delete it, create it again (409), and
    again after an hour (created)."""
    queue = "projects/contract/locations/us-central1/queues/q"
    ctl.create_queue(queue)
    client = _tasks(google)
    task = {"name": f"{queue}/tasks/t1", "http_request": {"url": "http://127.0.0.1:9/x"}}
    later = {"seconds": int(time.time()) + 86400}
    client.create_task(parent=queue, task={**task, "schedule_time": later})
    client.delete_task(name=task["name"])
    with pytest.raises(exceptions.Conflict):
        client.create_task(parent=queue, task=task)
    ctl.advance_clock(3601)
    client.create_task(parent=queue, task={**task, "schedule_time": later})


@pytest.mark.sandbox_only
def test_a_task_over_100_kb_is_rejected(google: GoogleTarget, ctl: SandboxControl) -> None:
    """Tasks over the documented size limit are refused with 400.

    By hand: create a task with a 101 KB body in a test queue."""
    queue = "projects/contract/locations/us-central1/queues/big"
    ctl.create_queue(queue)
    body = {"url": "http://127.0.0.1:9/x", "body": b"x" * (101 * 1024)}
    with pytest.raises(exceptions.BadRequest):
        _tasks(google).create_task(parent=queue, task={"http_request": body})
