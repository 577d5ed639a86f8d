"""Organizer mode: events in the organizer's own calendar, fallback and moves without duplicates."""

from __future__ import annotations

import json
from typing import Any

import pytest

from calsync.entrypoints.disconnects import hand_back_and_revoke
from calsync.entrypoints.platform_events import Outcome, handle_platform_event
from calsync.entrypoints.services import Services, services
from calsync.organizers.grants import OrganizerGrants
from calsync_dev.dates import at
from tests.integration.conftest import wait_for_tasks
from tests.integration.oauth_fixtures import Browser
from tests.unit.factories import NEW_YORK, item_dict, settings_message, upsert_message

pytest_plugins = ["tests.integration.oauth_fixtures"]


def deliver(message: dict[str, Any]) -> Outcome:
    return handle_platform_event(services(), json.dumps(message).encode())


def connect(browser: Browser, sandbox: Any, email: str) -> None:
    """Connect as a person would, then let the re-sync it triggers finish."""
    assert browser.connect(email).status_code == 200
    wait_for_tasks(sandbox)


def view(sandbox: Any, email: str) -> list[dict[str, Any]]:
    return list(sandbox.calendar_view(email))


def organizers_of(sandbox: Any, email: str) -> set[str]:
    return {e["organizer"] for e in view(sandbox, email)}


@pytest.fixture
def team(organizers: tuple[str, ...], sandbox: Any) -> tuple[str, ...]:
    """Alice and Bob (organizers) plus Dan, a host, in organizer mode."""
    sandbox.seed_user("dan@acme.com")
    return organizers


def test_connected_organizer_owns_the_events(
    team: tuple[str, ...], browser: Browser, sandbox: Any, svc: Services
) -> None:
    """With alice connected, her parts are on her own calendar, written as her."""
    connect(browser, sandbox, "alice@acme.com")
    assert deliver(upsert_message(version=1)) is Outcome.ACK
    assert organizers_of(sandbox, "bob@acme.com") == {"alice@acme.com"}
    assert {e["calendar_id"] for e in view(sandbox, "alice@acme.com")} == {"alice@acme.com"}
    writers = {r["user"] for r in sandbox.requests(method_id="calendar.events.insert")}
    assert writers == {"alice@acme.com"}
    tenant = svc.store.get_tenant("acme")
    assert tenant is not None
    assert tenant.platform_calendar_id is None  # the platform account was never needed


def test_unconnected_organizer_falls_back_to_the_platform_and_says_so(
    team: tuple[str, ...], sandbox: Any, results: Any
) -> None:
    """No grant: the events go to the platform account with a needs_consent result."""
    deliver(upsert_message(version=1))
    needs = results.wait_for(2, status="needs_consent")
    assert {r["error_code"] for r in needs} == {"organizer_not_connected"}
    assert all(r["event_id"] for r in needs)
    assert len(view(sandbox, "alice@acme.com")) == 2
    assert organizers_of(sandbox, "bob@acme.com") != {"alice@acme.com"}


def test_after_connecting_events_move_to_the_organizer_without_duplicates(
    team: tuple[str, ...], browser: Browser, sandbox: Any
) -> None:
    """Platform copy cancelled first, then created by alice: bob never holds two."""
    deliver(upsert_message(version=1))
    connect(browser, sandbox, "alice@acme.com")
    deliver(upsert_message(version=2))
    bob = view(sandbox, "bob@acme.com")
    assert len(bob) == 1
    assert bob[0]["organizer"] == "alice@acme.com"
    kinds = [n["kind"] for n in sandbox.notifications(recipient="bob@acme.com")]
    assert kinds == ["invitation", "cancellation", "invitation"]


def test_new_organizer_takes_the_item_over(
    team: tuple[str, ...], browser: Browser, sandbox: Any
) -> None:
    """An item whose organizer changes moves to the new organizer's calendar."""
    connect(browser, sandbox, "alice@acme.com")
    connect(browser, sandbox, "bob@acme.com")
    deliver(
        upsert_message(
            version=1,
            host_emails=["dan@acme.com"],
            parts=[
                {
                    "key": "p",
                    "start": at(1, "10:00", NEW_YORK),
                    "end": at(1, "11:00", NEW_YORK),
                }
            ],
        )
    )
    deliver(
        upsert_message(
            version=2,
            organizer_email="bob@acme.com",
            host_emails=["dan@acme.com"],
            parts=[
                {
                    "key": "p",
                    "start": at(1, "10:00", NEW_YORK),
                    "end": at(1, "11:00", NEW_YORK),
                }
            ],
        )
    )
    assert organizers_of(sandbox, "dan@acme.com") == {"bob@acme.com"}
    assert len(view(sandbox, "dan@acme.com")) == 1
    assert view(sandbox, "alice@acme.com") == []


def test_revoked_grant_marks_needs_consent_and_keeps_people_informed(
    team: tuple[str, ...], browser: Browser, sandbox: Any, grants: OrganizerGrants, results: Any
) -> None:
    """invalid_grant: alice is marked needs_consent; her existing events stay, nothing doubles."""
    connect(browser, sandbox, "alice@acme.com")
    deliver(upsert_message(version=1))
    credentials = grants.credentials("acme", "alice@acme.com")
    assert credentials is not None
    sandbox.revoke_grant(credentials.refresh_token)
    sandbox.expire_tokens()
    assert deliver(upsert_message(version=2, title="Renamed")) is Outcome.ACK
    assert grants.status("acme", "alice@acme.com")["health"] == "needs_consent"
    needs = results.wait_for(2, status="needs_consent")
    assert {r["error_code"] for r in needs} == {"owner_not_connected"}
    assert len(view(sandbox, "bob@acme.com")) == 1  # still alice's event, not a second copy


def test_switching_the_tenant_to_organizer_mode_migrates_future_events(
    team: tuple[str, ...], browser: Browser, sandbox: Any
) -> None:
    """Platform-mode events move to the connected organizer when the tenant switches."""
    deliver(settings_message(version=2, use_organizer_accounts=False))
    deliver(upsert_message(version=1))
    connect(browser, sandbox, "alice@acme.com")
    deliver(settings_message(version=3, use_organizer_accounts=True))
    sandbox.run_tasks(include_future=True)
    wait_for_tasks(sandbox)
    bob = view(sandbox, "bob@acme.com")
    assert [e["organizer"] for e in bob] == ["alice@acme.com"]
    assert len(view(sandbox, "alice@acme.com")) == 2


def test_past_parts_stay_where_they_are(
    team: tuple[str, ...], browser: Browser, sandbox: Any
) -> None:
    """Moving an item never touches a part that already happened."""
    past = {"key": "old", "start": "2025-01-01T10:00:00Z", "end": "2025-01-01T11:00:00Z"}
    future = {"key": "new", "start": at(1, "10:00"), "end": at(1, "11:00")}
    deliver(upsert_message(version=1, parts=[past, future]))
    connect(browser, sandbox, "alice@acme.com")
    deliver(upsert_message(version=2, parts=[past, future]))
    by_year = {e["start"]["dateTime"][:4]: e["organizer"] for e in view(sandbox, "bob@acme.com")}
    assert by_year[future["start"][:4]] == "alice@acme.com"
    assert by_year["2025"] != "alice@acme.com"


def test_connecting_brings_waiting_items_back_to_the_organizer(
    team: tuple[str, ...], browser: Browser, sandbox: Any
) -> None:
    """Reconnecting alone (no new version) moves her fallback events to her calendar."""
    deliver(upsert_message(version=1))
    assert organizers_of(sandbox, "bob@acme.com") != {"alice@acme.com"}
    connect(browser, sandbox, "alice@acme.com")
    wait_for_tasks(sandbox)
    assert organizers_of(sandbox, "bob@acme.com") == {"alice@acme.com"}
    assert len(view(sandbox, "alice@acme.com")) == 2


def assert_handed_back_to_the_platform(sandbox: Any, grants: OrganizerGrants) -> None:
    """After alice's disconnect: bob's one entry is the platform calendar's, alice organizes
    nothing and still attends both parts, and her grant is gone."""
    bob = view(sandbox, "bob@acme.com")
    assert len(bob) == 1
    assert bob[0]["organizer"].endswith("@group.calendar.google.com")
    assert "alice@acme.com" not in organizers_of(sandbox, "alice@acme.com")
    assert len(view(sandbox, "alice@acme.com")) == 2  # she still attends them
    assert grants.status("acme", "alice@acme.com")["health"] == "not_connected"


def test_disconnecting_moves_the_organizers_future_events_to_the_platform_calendar(
    team: tuple[str, ...], browser: Browser, sandbox: Any, grants: OrganizerGrants
) -> None:
    """Her grant still works while the disconnect is handled: each future event is cancelled in
    her calendar and recreated in the platform calendar, then the grant is revoked. (Before,
    the grant went first and her events stayed, stale, in her calendar for good.)"""
    connect(browser, sandbox, "alice@acme.com")
    deliver(upsert_message(version=1))
    credentials = grants.credentials("acme", "alice@acme.com")
    assert credentials is not None
    assert browser.disconnect("alice@acme.com").status_code == 200
    wait_for_tasks(sandbox)
    assert_handed_back_to_the_platform(sandbox, grants)
    kinds = [n["kind"] for n in sandbox.notifications(recipient="bob@acme.com")]
    assert kinds == ["invitation", "cancellation", "invitation"]


def test_an_item_changed_after_a_disconnect_is_updated_in_the_platform_calendar(
    team: tuple[str, ...], browser: Browser, sandbox: Any
) -> None:
    """The next version after a disconnect lands on the moved events, not on stale copies."""
    connect(browser, sandbox, "alice@acme.com")
    deliver(upsert_message(version=1))
    browser.disconnect("alice@acme.com")
    wait_for_tasks(sandbox)
    deliver(upsert_message(version=2, title="Renamed"))
    bob = view(sandbox, "bob@acme.com")
    assert [e["summary"].startswith("Renamed") for e in bob] == [True]


def test_connecting_again_before_the_disconnect_task_runs_keeps_the_new_grant(
    team: tuple[str, ...], browser: Browser, sandbox: Any, grants: OrganizerGrants, svc: Services
) -> None:
    """The revoke_grant task revokes only the grant that was disconnecting, never a newer one
    (the task is played here after the reconnect, as a slow queue would deliver it)."""
    connect(browser, sandbox, "alice@acme.com")
    deliver(upsert_message(version=1))
    leaving = grants.begin_disconnect("acme", "alice@acme.com")
    assert leaving is not None
    connect(browser, sandbox, "alice@acme.com")
    hand_back_and_revoke(svc, "acme", "alice@acme.com", leaving)
    wait_for_tasks(sandbox)
    assert grants.status("acme", "alice@acme.com")["health"] == "connected"
    credentials = grants.credentials("acme", "alice@acme.com")
    assert credentials is not None
    assert credentials.grant_id != leaving
    assert organizers_of(sandbox, "bob@acme.com") == {"alice@acme.com"}


def test_a_disconnect_also_moves_parts_of_items_she_no_longer_organizes(
    team: tuple[str, ...], browser: Browser, sandbox: Any, grants: OrganizerGrants, svc: Services
) -> None:
    """The platform named bob organizer, but that version's reconcile has not run when her
    revoke_grant task does (it waits for the item's lease): her event is still in her calendar,
    so the task moves it too, while her grant works. (Before, only items she organized were
    looked at, and the event stayed hers, stale, for good; seen in the model-based test.)"""
    from calsync.contracts import Item, ItemRef

    connect(browser, sandbox, "alice@acme.com")
    deliver(upsert_message(version=1))
    leaving = grants.begin_disconnect("acme", "alice@acme.com")
    assert leaving is not None
    item = Item.model_validate(item_dict(organizer_email="bob@acme.com"))
    svc.store.record_item("acme", ItemRef(kind="event", id="evt_123"), 2, item)
    hand_back_and_revoke(svc, "acme", "alice@acme.com", leaving)
    wait_for_tasks(sandbox)
    assert "alice@acme.com" not in organizers_of(sandbox, "bob@acme.com")
    assert "alice@acme.com" not in organizers_of(sandbox, "alice@acme.com")
    assert grants.status("acme", "alice@acme.com")["health"] == "not_connected"


def test_a_disconnect_while_the_tenants_sync_is_off_still_moves_her_events(
    team: tuple[str, ...], browser: Browser, sandbox: Any, grants: OrganizerGrants
) -> None:
    """Sync paused, then alice disconnects: her events leave her calendar anyway, since after
    the revoke nobody could move or delete them. (Before: the hand-back's reconcile skipped
    them, and they stayed hers; seen in the model-based test, seed 89320526.)"""
    connect(browser, sandbox, "alice@acme.com")
    deliver(upsert_message(version=1))
    deliver(settings_message(version=2, use_organizer_accounts=True, sync_enabled=False))
    assert browser.disconnect("alice@acme.com").status_code == 200
    wait_for_tasks(sandbox)
    assert "alice@acme.com" not in organizers_of(sandbox, "bob@acme.com")
    assert "alice@acme.com" not in organizers_of(sandbox, "alice@acme.com")
    assert grants.status("acme", "alice@acme.com")["health"] == "not_connected"


def test_a_disconnect_tried_again_after_a_failed_attempt_still_hands_her_events_back(
    team: tuple[str, ...], browser: Browser, sandbox: Any, grants: OrganizerGrants
) -> None:
    """Cloud Tasks refuses the first attempt's ``revoke_grant`` task (503: "try again"), after
    her grant was already marked ``disconnecting``; she tries again. The second attempt must
    pick up the grant that is leaving, not take it for "no grant": before, it revoked her
    sign-in (Google revokes the whole grant) and scheduled the task without a grant id, so
    nothing moved and her events stayed, stale, in her calendar for good (model-based test,
    seed 730516563)."""
    connect(browser, sandbox, "alice@acme.com")
    deliver(upsert_message(version=1))
    assert organizers_of(sandbox, "bob@acme.com") == {"alice@acme.com"}
    sandbox.inject_fault("cloudtasks.projects.locations.queues.tasks.create", count=1)
    assert browser.disconnect("alice@acme.com").status_code == 503
    assert grants.status("acme", "alice@acme.com")["health"] == "disconnecting"
    assert browser.disconnect("alice@acme.com").status_code == 200
    wait_for_tasks(sandbox)
    assert_handed_back_to_the_platform(sandbox, grants)


def test_a_reconnect_moves_parts_left_in_her_calendar_for_items_she_no_longer_organizes(
    team: tuple[str, ...], browser: Browser, sandbox: Any, grants: OrganizerGrants, svc: Services
) -> None:
    """Alice's grant is dead when the platform names bob organizer: her event cannot be
    cancelled as her, so it stays in her calendar (``needs_consent``). When she reconnects,
    that item must be re-synced too, though she no longer organizes it: before, only the items
    she organized were, and dan kept alice's stale event instead of bob's for good (seen in
    the model-based test, seed 1946436493: "'Course evt_a' is bob@acme.com's, not dan's")."""
    connect(browser, sandbox, "alice@acme.com")
    connect(browser, sandbox, "bob@acme.com")
    deliver(upsert_message(version=1, host_emails=["dan@acme.com"]))
    assert organizers_of(sandbox, "dan@acme.com") == {"alice@acme.com"}
    credentials = grants.credentials("acme", "alice@acme.com")
    assert credentials is not None
    sandbox.revoke_grant(credentials.refresh_token)
    sandbox.expire_tokens()
    deliver(upsert_message(version=2, organizer_email="bob@acme.com", host_emails=["dan@acme.com"]))
    assert organizers_of(sandbox, "dan@acme.com") == {"alice@acme.com"}  # left with her
    connect(browser, sandbox, "alice@acme.com")
    assert organizers_of(sandbox, "dan@acme.com") == {"bob@acme.com"}
    assert len(view(sandbox, "dan@acme.com")) == 2
    mappings = svc.store.mappings("acme", "event:evt_123")
    assert {m.owner_email for m in mappings.values()} == {"bob@acme.com"}
