"""calendarList.list under the strict reading: subscribed calendars are listed too, and some of
them answer 403 to events.list."""

from __future__ import annotations

from typing import Any

import pytest
from googleapiclient.errors import HttpError
from sandbox_helpers import error_reason

from calsync_sandbox import SandboxControl

HOLIDAYS = "en.usa#holiday@group.v.calendar.google.com"
ROOM = "room-a@resource.calendar.google.com"


@pytest.fixture
def dana(calendar_for, ctl: SandboxControl) -> Any:
    """Dana, subscribed to a holiday calendar, a room and Carl's calendar (free/busy only)."""
    service = calendar_for("dana@acme.com")
    ctl.seed_user("carl@acme.com")
    ctl.seed_room(ROOM, "Room A", 8)
    ctl.subscribe("dana@acme.com", HOLIDAYS, summary="Holidays in United States")
    ctl.subscribe("dana@acme.com", ROOM)
    ctl.subscribe("dana@acme.com", "carl@acme.com", access_role="freeBusyReader")
    return service


def _listed(service: Any) -> dict[str, str]:
    items = service.calendarList().list().execute()["items"]
    return {c["id"]: c["accessRole"] for c in items}


def test_calendar_list_includes_subscribed_calendars(dana: Any) -> None:
    """Strict reading: the list holds the subscriptions with their access roles, not only the
    calendars the user owns."""
    assert _listed(dana) == {
        "dana@acme.com": "owner",
        HOLIDAYS: "reader",
        ROOM: "reader",
        "carl@acme.com": "freeBusyReader",
    }


def test_events_list_on_a_free_busy_subscription_is_403(dana: Any) -> None:
    """A calendar shared as free/busy only answers 403 requiredAccessLevel to events.list."""
    with pytest.raises(HttpError) as caught:
        dana.events().list(calendarId="carl@acme.com").execute()
    assert caught.value.status_code == 403
    assert error_reason(caught.value) == "requiredAccessLevel"


def test_events_list_on_a_reader_subscription_works(dana: Any) -> None:
    """A holiday calendar shared for reading lists its events (none here)."""
    assert dana.events().list(calendarId=HOLIDAYS).execute()["items"] == []


def test_calendar_list_holds_only_owned_calendars_when_lenient(
    dana: Any, ctl: SandboxControl
) -> None:
    """calendar_list_includes_subscriptions off: only the user's own calendars are listed."""
    ctl.strictness(calendar_list_includes_subscriptions=False)
    assert _listed(dana) == {"dana@acme.com": "owner"}
