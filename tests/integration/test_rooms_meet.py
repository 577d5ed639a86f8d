"""Rooms and Google Meet in organizer mode, and the rooms function.

Organizer alice connects through the real OAuth flow; the sandbox's rooms answer
invitations (and decline double bookings) and its Meet links are created
asynchronously. Follow-up checks are real Cloud Tasks run by the reconcile function.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from calsync.entrypoints.platform_events import Outcome, handle_platform_event
from calsync.entrypoints.services import reset_services, services
from calsync.sync.meet_retries import MAX_MEET_RETRIES
from calsync_dev.dates import at
from tests.integration.conftest import wait_for_tasks
from tests.integration.oauth_fixtures import Browser
from tests.unit.factories import NEW_YORK, settings_message, upsert_message

pytest_plugins = ["tests.integration.oauth_fixtures"]

PINE = "hq-4-pine@resource.calendar.google.com"
OAK = "hq-2-oak@resource.calendar.google.com"
ONE_PART = [{"key": "p", "start": at(1, "10:00", NEW_YORK), "end": at(1, "11:00", NEW_YORK)}]


def deliver(message: dict[str, Any]) -> Outcome:
    return handle_platform_event(services(), json.dumps(message).encode())


def item(version: int, item_id: str = "evt_123", **fields: Any) -> dict[str, Any]:
    return upsert_message(version=version, id=item_id, parts=ONE_PART, **fields)


@pytest.fixture
def alice(organizers: tuple[str, ...], browser: Browser, sandbox: Any) -> str:
    """Alice connected, rooms Pine (8 seats) and Oak (20 seats) in building HQ."""
    sandbox.seed_room(PINE, "Pine", 8, "HQ", "4", domain="acme.com")
    sandbox.seed_room(OAK, "Oak", 20, "HQ", "2", domain="acme.com")
    sandbox.set_meet(delay=0.0, fail=False)
    assert browser.connect("alice@acme.com").status_code == 200
    wait_for_tasks(sandbox)
    return "alice@acme.com"


def answers_after_follow_ups(sandbox: Any, results: Any, count: int) -> list[dict[str, Any]]:
    """Rooms answer after the write (the strict sandbox's default, as at Google): let the
    rooms answer and the follow-up tasks read them, then every synced result so far."""
    sandbox.complete_pending()
    sandbox.run_tasks(include_future=True)
    wait_for_tasks(sandbox, run_future=True)
    return list(results.wait_for(count, status="synced"))


def test_room_is_booked_and_its_answer_reported(alice: str, sandbox: Any, results: Any) -> None:
    """A requested room becomes a resource attendee; its acceptance, which Google gives after
    the write, is reported by the follow-up."""
    deliver(item(1, room_emails=[PINE]))
    first = results.wait_for(1, status="synced")
    assert first[0]["room_responses"] == {PINE: "needsAction"}
    later = answers_after_follow_ups(sandbox, results, 2)
    assert later[-1]["room_responses"] == {PINE: "accepted"}
    event = sandbox.calendar_view("alice@acme.com")[0]
    assert PINE in event["attendees"]


def test_double_booked_room_declines_and_calsync_says_so(
    alice: str, sandbox: Any, results: Any
) -> None:
    """A second item wanting the same room at the same time gets room_declined."""
    deliver(item(1, room_emails=[PINE]))
    deliver(item(1, item_id="evt_clash", title="Clash", room_emails=[PINE]))
    answers_after_follow_ups(sandbox, results, 2)
    declined = results.wait_for(1, status="room_declined")
    assert declined[0]["item"]["id"] == "evt_clash"
    assert PINE in declined[0]["error_message"]


def test_room_that_answers_late_is_checked_again(alice: str, sandbox: Any, results: Any) -> None:
    """needsAction at write time: a follow-up task reports the later acceptance."""
    sandbox.update_room(PINE, answer_delay=30.0)
    deliver(item(1, room_emails=[PINE]))
    first = results.wait_for(1, status="synced")
    assert first[0]["room_responses"] == {PINE: "needsAction"}
    sandbox.complete_pending()
    sandbox.run_tasks(include_future=True)
    wait_for_tasks(sandbox)
    later = [
        r for r in results.wait_for(2, status="synced") if r["room_responses"] == {PINE: "accepted"}
    ]
    assert later


def test_removing_the_room_releases_it(alice: str, sandbox: Any, results: Any) -> None:
    """Once an item drops the room, another item can book it."""
    deliver(item(1, room_emails=[PINE]))
    deliver(item(2, room_emails=[]))
    deliver(item(1, item_id="evt_next", title="Next", room_emails=[PINE]))
    assert results.wait_for(1, status="room_declined", timeout=2) == []
    synced = answers_after_follow_ups(sandbox, results, 4)
    nxt = [r for r in synced if r["item"]["id"] == "evt_next"]
    assert nxt[-1]["room_responses"] == {PINE: "accepted"}
    assert results.wait_for(1, status="room_declined", timeout=1) == []


def test_meet_link_is_created_and_reported(alice: str, sandbox: Any, results: Any) -> None:
    """google_meet: the Meet URL goes out in the result."""
    deliver(item(1, conference={"kind": "google_meet"}))
    synced = results.wait_for(1, status="synced")
    assert synced[0]["meet_url"].startswith("https://meet.google.com/")


def test_pending_meet_is_followed_up(alice: str, sandbox: Any, results: Any) -> None:
    """A link still being created is checked again by a follow-up task."""
    sandbox.set_meet(delay=30.0)
    deliver(item(1, conference={"kind": "google_meet"}))
    assert results.wait_for(1, status="synced")[0]["meet_status"] == "pending"
    sandbox.complete_pending()
    sandbox.run_tasks(include_future=True)
    wait_for_tasks(sandbox)
    urls = [r.get("meet_url") for r in results.wait_for(2, status="synced")]
    assert any(url and url.startswith("https://meet.google.com/") for url in urls)


def test_failed_meet_is_reported(alice: str, sandbox: Any, results: Any) -> None:
    """Google could not create the link: a meet_failed result."""
    sandbox.set_meet(fail=True)
    deliver(item(1, conference={"kind": "google_meet"}))
    assert results.wait_for(1, status="meet_failed")


def test_failed_meet_is_retried_by_a_follow_up_with_a_new_request(
    alice: str, sandbox: Any, results: Any
) -> None:
    """After meet_failed, a delayed task asks Google again (a new requestId: Google ignores
    a repeated one), and the link it gets is reported without any edit."""
    sandbox.set_meet(fail=True)
    deliver(item(1, conference={"kind": "google_meet"}))
    assert results.wait_for(1, status="meet_failed")
    sandbox.set_meet(fail=False)
    sandbox.run_tasks(include_future=True)
    wait_for_tasks(sandbox)
    urls = [r.get("meet_url") for r in results.wait_for(2, status="synced")]
    assert any(url and url.startswith("https://meet.google.com/") for url in urls)


def test_meet_retries_are_bounded(alice: str, sandbox: Any, results: Any) -> None:
    """A Meet that keeps failing is asked for again a few times, then left to an edit."""
    sandbox.set_meet(fail=True)
    deliver(item(1, conference={"kind": "google_meet"}))
    for _ in range(MAX_MEET_RETRIES + 2):
        sandbox.run_tasks(include_future=True)  # waits for what it ran
    failures = results.wait_for(MAX_MEET_RETRIES + 2, status="meet_failed", timeout=5)
    assert len(failures) == MAX_MEET_RETRIES + 1
    assert [t for t in sandbox.tasks() if t["state"] == "scheduled"] == []


def test_meet_turned_off_and_on_again_gets_a_link(alice: str, sandbox: Any, results: Any) -> None:
    """Off, then on: the new request is not ignored as a repeat of the first."""
    if hasattr(sandbox, "strictness"):
        sandbox.strictness(meet_request_id_reuse_ignored=True)
    deliver(item(1, conference={"kind": "google_meet"}))
    first = results.wait_for(1, status="synced")[0]["meet_url"]
    deliver(item(2))
    deliver(item(3, conference={"kind": "google_meet"}))
    again = [r for r in results.wait_for(3, status="synced") if r["source_version"] == 3]
    assert again[0]["meet_url"].startswith("https://meet.google.com/")
    assert again[0]["meet_url"] != first


def test_edit_keeps_the_existing_meet_link(alice: str, sandbox: Any, results: Any) -> None:
    """A title change never regenerates the link people already have."""
    deliver(item(1, conference={"kind": "google_meet"}))
    first = results.wait_for(1, status="synced")[0]["meet_url"]
    deliver(item(2, title="Renamed", conference={"kind": "google_meet"}))
    second = [r for r in results.wait_for(2, status="synced") if r["source_version"] == 2]
    assert second[0]["meet_url"] == first


def test_turning_conferencing_off_removes_the_link(alice: str, sandbox: Any, results: Any) -> None:
    """No conference any more: the Meet link is removed from the event."""
    deliver(item(1, conference={"kind": "google_meet"}))
    deliver(item(2))
    latest = [r for r in results.wait_for(2, status="synced") if r["source_version"] == 2]
    assert latest[0].get("meet_url") is None


def test_platform_mode_syncs_without_rooms_and_meet_and_says_why(
    organizers: tuple[str, ...], sandbox: Any, results: Any
) -> None:
    """Rooms and Meet need organizer mode: synced without them, with a reason."""
    sandbox.seed_room(PINE, "Pine", 8, "HQ", "4", domain="acme.com")
    deliver(settings_message(version=2, use_organizer_accounts=False))
    deliver(item(1, room_emails=[PINE], conference={"kind": "google_meet"}))
    synced = results.wait_for(1, status="synced")
    assert synced[0]["error_code"] == "needs_organizer_mode"
    assert PINE not in sandbox.calendar_view("alice@acme.com")[0]["attendees"]


@pytest.fixture
def admin(alice: str, sandbox: Any) -> str:
    """The tenant's administrator, reached through a delegated service account."""
    sandbox.seed_user("gadmin@acme.com", admin=True)
    key = sandbox.create_service_account(
        "calsync-admin@platform-project.iam.gserviceaccount.com", domain_wide_delegation=True
    )
    os.environ["CALSYNC_ADMIN_CREDENTIALS"] = json.dumps(key)
    reset_services()
    deliver(settings_message(version=5, use_organizer_accounts=True, admin_email="gadmin@acme.com"))
    return "gadmin@acme.com"


def _rooms(query: str) -> Any:
    from functions_framework import create_app

    from calsync_dev.stack import repo_root

    source = repo_root() / "functions" / "rooms" / "main.py"
    client = create_app("rooms", str(source)).test_client()
    return client.get(f"/?{query}")


def test_rooms_function_lists_free_rooms_with_filters(admin: str) -> None:
    """Free rooms for a range, filtered by capacity and building."""
    deliver(item(1, room_emails=[PINE]))
    span = f"start={at(1, '10:30', NEW_YORK)}&end={at(1, '12:00', NEW_YORK)}"
    answer = _rooms(f"tenant=acme&{span}")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert [r["email"] for r in answer.get_json()["rooms"]] == [OAK]
    big = _rooms(f"tenant=acme&{span}&min_capacity=30")
    assert big.get_json()["rooms"] == []


def test_rooms_function_batches_many_rooms_and_long_ranges(admin: str, sandbox: Any) -> None:
    """60 rooms over 120 days: freeBusy asked within Google's limits, one answer."""
    for n in range(58):
        sandbox.seed_room(
            f"room{n:02d}@resource.calendar.google.com", f"Room {n}", 4, "Annex", domain="acme.com"
        )
    answer = _rooms(f"tenant=acme&building=Annex&start={at(1, '00:00')}&end={at(121, '00:00')}")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert len(answer.get_json()["rooms"]) == 58
    assert len(sandbox.requests(method_id="calendar.freebusy.query")) == 2 * 2


def test_organizer_without_admin_rights_cannot_list_rooms(alice: str) -> None:
    """Google lets only administrators read the Directory: a clear 502 with its reason."""
    answer = _rooms(
        f"tenant=acme&organizer=alice@acme.com&start={at(1, '10:00')}&end={at(1, '11:00')}"
    )
    assert answer.status_code == 502
    assert answer.get_json()["error"] == "forbidden"


def test_rooms_function_explains_bad_requests(alice: str) -> None:
    """Missing or reversed times are a 400 with a message; unknown tenants a 404."""
    bad = _rooms(f"tenant=acme&start={at(1, '12:00')}&end={at(1, '10:00')}")
    assert bad.status_code == 400
    assert "end must be after start" in bad.get_json()["message"]
    assert _rooms("tenant=nobody&start=x&end=y").status_code == 404
    assert (
        _rooms(f"tenant=acme&start={at(1, '10:00')}&end={at(1, '11:00')}").status_code == 409
    )  # no admin identity and no organizer named
