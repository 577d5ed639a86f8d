"""The orphan sweeper against the sandbox's Directory and Data Transfer.

Alice (organizer, connected) owns an event with a room and Meet; her account is
suspended; the sweeper finds her through the Directory and hands her future
events to a successor.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

import calsync.sweeper.transfers as transfers_module
from calsync.contracts import EnrollmentChange, ItemRef
from calsync.entrypoints.platform_events import handle_platform_event
from calsync.entrypoints.services import Services, reset_services, services
from calsync.sweeper.successors import choose_successor
from calsync.sweeper.sweep import Sweeper
from calsync_dev.dates import at
from tests.integration.conftest import wait_for_tasks
from tests.integration.oauth_fixtures import Browser
from tests.unit.factories import NEW_YORK, item_dict, settings_message, upsert_message

pytest_plugins = ["tests.integration.oauth_fixtures"]

PINE = "hq-4-pine@resource.calendar.google.com"
FUTURE = [{"key": "p", "start": at(1, "10:00", NEW_YORK), "end": at(1, "11:00", NEW_YORK)}]


def deliver(message: dict[str, Any]) -> None:
    handle_platform_event(services(), json.dumps(message).encode())


@pytest.fixture
def tenant(organizers: tuple[str, ...], browser: Browser, sandbox: Any) -> Services:
    """acme in organizer mode with an admin identity; alice connected and organizing."""
    for email in ("dan@acme.com", "ops@acme.com", "carol@acme.com"):
        sandbox.seed_user(email)
    sandbox.seed_user("gadmin@acme.com", admin=True)
    sandbox.seed_room(PINE, "Pine", 8, "HQ", "4", domain="acme.com")
    sandbox.set_meet(delay=0.0, fail=False)
    sandbox.set_transfer_delay(0.0)
    key = sandbox.create_service_account(
        "calsync-admin@platform-project.iam.gserviceaccount.com", domain_wide_delegation=True
    )
    os.environ["CALSYNC_ADMIN_CREDENTIALS"] = json.dumps(key)
    reset_services()
    deliver(
        settings_message(
            version=5,
            use_organizer_accounts=True,
            admin_email="gadmin@acme.com",
            fallback_organizer_email="ops@acme.com",
        )
    )
    assert browser.connect("alice@acme.com").status_code == 200
    wait_for_tasks(sandbox)
    return services()


def _alice_item(version: int = 1, **fields: Any) -> dict[str, Any]:
    base = {
        "host_emails": ["dan@acme.com"],
        "room_emails": [PINE],
        "conference": {"kind": "google_meet"},
        "parts": FUTURE,
    }
    return upsert_message(version=version, **{**base, **fields})


def test_successor_order_is_host_then_fallback_then_platform() -> None:
    """An active host first, then the tenant's fallback organizer, then the platform."""
    from calsync.contracts import Item

    item = Item.model_validate(item_dict(host_emails=["bob@acme.com"]))  # day2 is dan's
    domains = ["acme.com"]
    alice = {"alice@acme.com"}  # the organizer
    assert choose_successor(item, alice, "ops@acme.com", domains) == "bob@acme.com"
    bob = {*alice, "bob@acme.com"}
    assert choose_successor(item, bob, "ops@acme.com", domains) == "dan@acme.com"
    both = {*bob, "dan@acme.com"}
    assert choose_successor(item, both, "ops@acme.com", domains) == "ops@acme.com"
    assert choose_successor(item, both, None, domains) == "platform"


def test_an_item_whose_own_organizer_is_active_goes_back_to_them() -> None:
    """Parts left with a suspended person (a revoked grant blocked their move) belong to the
    item's organizer of now, not to a host."""
    from calsync.contracts import Item

    item = Item.model_validate(item_dict(host_emails=["bob@acme.com"]))
    assert choose_successor(item, {"dan@acme.com"}, None, ["acme.com"]) == "alice@acme.com"


def test_a_host_outside_the_tenants_domains_is_never_the_successor() -> None:
    """Attack: the platform names a host of another Workspace (globex); calsync would act
    as them through delegation, so the next candidate takes over instead."""
    from calsync.contracts import Item

    item = Item.model_validate(item_dict(host_emails=["ceo@globex.com"]))  # day2 is dan's
    alice = {"alice@acme.com"}  # the organizer
    assert choose_successor(item, alice, "ops@acme.com", ["acme.com"]) == "dan@acme.com"
    dan_gone = {*alice, "dan@acme.com"}
    assert choose_successor(item, dan_gone, None, ["acme.com"]) == "platform"


def test_suspended_organizers_events_move_to_an_active_host(
    tenant: Services, sandbox: Any, results: Any
) -> None:
    """Data Transfer moves alice's event to dan; calsync re-maps it and re-books the room."""
    deliver(_alice_item())
    tenant.store.record_attendance(
        "acme",
        ItemRef(kind="event", id="evt_123"),
        [EnrollmentChange(email="carol@acme.com", status="enrolled", version=1)],
    )
    tenant.reconciler.reconcile("acme", ItemRef(kind="event", id="evt_123"))
    sandbox.update_user("alice@acme.com", suspended=True)
    report = Sweeper(tenant).sweep()
    assert report.suspended_organizers == ["acme:alice@acme.com"]
    assert (report.parts_transferred, report.parts_recreated, report.parts_failed) == (1, 0, 0)
    transferred = results.wait_for(1, status="transferred")
    assert "dan@acme.com" in transferred[0]["error_message"]
    carol = sandbox.calendar_view("carol@acme.com")
    assert [e["organizer"] for e in carol] == ["dan@acme.com"]  # one entry, now dan's
    assert PINE in carol[0]["attendees"]  # re-booked after the transfer released it
    mapping = tenant.store.mappings("acme", "event:evt_123")["p"]
    assert (mapping.owner_email, mapping.event_id) == ("dan@acme.com", carol[0]["event_id"])


def test_detection_costs_directory_calls_per_suspended_page_not_per_organizer(
    tenant: Services, sandbox: Any
) -> None:
    """One users.list page finds the suspended; no call per organizer."""
    deliver(_alice_item())
    sandbox.update_user("alice@acme.com", suspended=True)
    Sweeper(tenant).sweep(dry_run=True)
    assert len(sandbox.requests(method_id="directory.users.list")) == 1


def test_dry_run_reports_and_changes_nothing(tenant: Services, sandbox: Any) -> None:
    """A dry run lists the planned hand-over and leaves every mapping alone."""
    deliver(_alice_item())
    sandbox.update_user("alice@acme.com", suspended=True)
    report = Sweeper(tenant).sweep(dry_run=True)
    assert report.actions[0]["to"] == "dan@acme.com"
    assert report.parts_transferred == 0
    assert sandbox.transfers() == []
    mapping = tenant.store.mappings("acme", "event:evt_123")["p"]
    assert mapping.owner_email == "alice@acme.com"


def test_second_sweep_finds_nothing_to_do(tenant: Services, sandbox: Any) -> None:
    """Idempotent: the parts no longer belong to the suspended organizer."""
    deliver(_alice_item())
    sandbox.update_user("alice@acme.com", suspended=True)
    Sweeper(tenant).sweep()
    again = Sweeper(tenant).sweep()
    assert again.actions == []
    assert len(sandbox.transfers()) == 1


def test_overlapping_sweeps_never_transfer_twice(tenant: Services, sandbox: Any) -> None:
    """A sweep that finds the tenant's lease taken skips the tenant."""
    deliver(_alice_item())
    sandbox.update_user("alice@acme.com", suspended=True)
    assert tenant.store.acquire_tenant_lease("acme", "sweep", "someone-else", 60)
    report = Sweeper(tenant).sweep()
    assert report.skipped == {"acme": "another sweep is running"}
    assert sandbox.transfers() == []


def test_sweep_resumes_a_transfer_still_in_progress(
    tenant: Services, sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sweep that stops while Google is still transferring is finished by the next one."""
    deliver(_alice_item())
    sandbox.update_user("alice@acme.com", suspended=True)
    sandbox.set_transfer_delay(600.0)
    monkeypatch.setattr(transfers_module, "TRANSFER_WAIT_SECONDS", 0.3)
    first = Sweeper(tenant).sweep()
    assert first.transfers_in_progress == 1
    sandbox.complete_pending()
    second = Sweeper(tenant).sweep()
    assert second.parts_transferred == 1
    assert len(sandbox.transfers()) == 1  # the same transfer, not a second one


def test_without_a_person_successor_the_part_is_recreated_in_the_platform_account(
    tenant: Services, sandbox: Any, results: Any
) -> None:
    """No active host or fallback: recreated under the platform account, original reported."""
    deliver(settings_message(version=6, use_organizer_accounts=True, admin_email="gadmin@acme.com"))
    deliver(_alice_item(host_emails=[], room_emails=[], conference=None))
    sandbox.update_user("alice@acme.com", suspended=True)
    report = Sweeper(tenant).sweep()
    assert report.parts_recreated == 1
    assert results.wait_for(1, status="transferred")
    entries = tenant.store.ledger("acme", "event:evt_123")
    assert any("original stays" in e.outcome for e in entries)


def test_past_events_are_left_alone(tenant: Services, sandbox: Any) -> None:
    """Only future parts move."""
    deliver(
        _alice_item(
            parts=[{"key": "old", "start": "2025-01-01T10:00:00Z", "end": "2025-01-01T11:00:00Z"}],
            room_emails=[],
            conference=None,
        )
    )
    sandbox.update_user("alice@acme.com", suspended=True)
    assert Sweeper(tenant).sweep().actions == []


def test_scheduled_sweep_delivered_twice_runs_once(tenant: Services, sandbox: Any) -> None:
    """Cloud Scheduler's job name and schedule time make a repeated delivery harmless."""
    from functions_framework import create_app

    from calsync_dev.stack import repo_root

    deliver(_alice_item())
    sandbox.update_user("alice@acme.com", suspended=True)
    client = create_app(
        "orphan_sweeper", str(repo_root() / "functions" / "orphan_sweeper" / "main.py")
    ).test_client()
    headers = {
        "X-CloudScheduler-JobName": "calsync-sweep",
        "X-CloudScheduler-ScheduleTime": "2025-11-24T03:00:00Z",
    }
    first = client.post("/", headers=headers)
    second = client.post("/", headers=headers)
    assert first.get_json()["parts_transferred"] == 1
    assert second.get_json()["parts_transferred"] == 1
    assert len(sandbox.transfers()) == 1


def test_targeted_check_after_invalid_grant_asks_for_one_user(
    tenant: Services, sandbox: Any
) -> None:
    """The check for one organizer uses users.get, not a scan of the suspended."""
    deliver(_alice_item())
    sandbox.update_user("alice@acme.com", suspended=True)
    report = Sweeper(tenant).sweep(tenant_id="acme", organizer="alice@acme.com")
    assert report.parts_transferred == 1
    assert sandbox.requests(method_id="directory.users.list") == []


def test_invalid_grant_schedules_the_targeted_check(tenant: Services, sandbox: Any) -> None:
    """When Google refuses an organizer's grant, a sweep of that organizer is queued."""
    deliver(_alice_item())
    sandbox.update_user("alice@acme.com", suspended=True)
    sandbox.expire_tokens()
    tasks_before = len(sandbox.tasks())
    deliver(_alice_item(version=2, title="Renamed"))
    assert len(sandbox.tasks()) > tasks_before
    # let the queued sweep finish here: run by the functions during the next test, it would
    # hold that test's sweep lease ("another sweep is running")
    wait_for_tasks(sandbox)


def test_a_later_suspension_of_the_same_person_is_transferred_again(
    tenant: Services, sandbox: Any
) -> None:
    """Suspended, reinstated, suspended again: the second sweep starts a second transfer."""
    deliver(_alice_item())
    sandbox.update_user("alice@acme.com", suspended=True)
    Sweeper(tenant).sweep()
    sandbox.update_user("alice@acme.com", suspended=False)
    deliver({**_alice_item(), "item": {**_alice_item()["item"], "id": "evt_later"}})
    deliver(
        upsert_message(
            version=1,
            id="evt_later",
            organizer_email="alice@acme.com",
            host_emails=["dan@acme.com"],
            parts=FUTURE,
        )
    )
    sandbox.update_user("alice@acme.com", suspended=True)
    report = Sweeper(tenant).sweep()
    assert report.parts_transferred == 1
    assert len(sandbox.transfers()) == 2


@pytest.mark.parametrize("who", ["successor", "receiver"])
def test_a_hand_over_to_someone_outside_the_tenants_domains_is_refused(
    tenant: Services, who: str
) -> None:
    """Attack: a hand-over naming a person of another Workspace as successor or receiver;
    refused before anything is recorded, so calsync never acts as them."""
    from calsync.errors import OutsideDomains
    from calsync.records import PartMapping
    from calsync.sweeper.hand_over import HandOvers
    from calsync.sweeper.report import SweepReport

    alice = "alice@acme.com"
    parts = [PartMapping(part_key="p", calendar_id=alice, event_id="e1", owner_email=alice)]
    people = {"successor": "dan@acme.com", "receiver": "dan@acme.com", who: "ceo@globex.com"}
    with pytest.raises(OutsideDomains, match=r"ceo@globex\.com"):
        HandOvers(tenant).start(
            "acme",
            "course:evt_1",
            parts,
            people["successor"],
            people["receiver"],
            {},
            {"method": "transfer"},
            SweepReport(dry_run=False),
        )
    assert tenant.store.hand_over("acme", "course:evt_1") is None


def test_parts_left_with_a_suspended_person_go_to_the_items_active_organizer(
    tenant: Services, sandbox: Any, grants: Any
) -> None:
    """Alice revoked her grant, so her event could not move when ops became its organizer;
    once she is suspended the sweep gives it to ops (the organizer of now), not to host dan,
    and names no successor. (Before: dan, and ops never got the item back.)"""
    deliver(_alice_item(room_emails=[], conference=None))
    tenant.store.record_attendance(
        "acme",
        ItemRef(kind="event", id="evt_123"),
        [EnrollmentChange(email="carol@acme.com", status="enrolled", version=1)],
    )
    tenant.reconciler.reconcile("acme", ItemRef(kind="event", id="evt_123"))
    credentials = grants.credentials("acme", "alice@acme.com")
    sandbox.revoke_grant(credentials.refresh_token)
    sandbox.expire_tokens()
    deliver(_alice_item(version=2, organizer_email="ops@acme.com", room_emails=[], conference=None))
    assert [e["organizer"] for e in sandbox.calendar_view("carol@acme.com")] == ["alice@acme.com"]
    wait_for_tasks(sandbox)  # the targeted check the invalid_grant scheduled (it holds the lease)
    sandbox.update_user("alice@acme.com", suspended=True)
    report = Sweeper(tenant).sweep()
    assert [a["to"] for a in report.actions] == ["ops@acme.com"]
    wait_for_tasks(sandbox)
    assert [e["organizer"] for e in sandbox.calendar_view("carol@acme.com")] == ["ops@acme.com"]
    record = tenant.store.get_item("acme", "event:evt_123")
    assert record is not None
    assert record.successor is None


def test_items_of_a_suspended_organizer_held_by_the_platform_go_to_a_successor(
    tenant: Services, sandbox: Any
) -> None:
    """Bob never connected, so his item lives in the platform calendar with him attending; once
    he is suspended the sweep names host dan its successor and the item moves to dan's calendar,
    without bob. (Before: the sweep only looked at parts in suspended people's calendars.)"""
    deliver(_alice_item(organizer_email="bob@acme.com", room_emails=[], conference=None))
    tenant.store.record_attendance(
        "acme",
        ItemRef(kind="event", id="evt_123"),
        [EnrollmentChange(email="carol@acme.com", status="enrolled", version=1)],
    )
    tenant.reconciler.reconcile("acme", ItemRef(kind="event", id="evt_123"))
    carol = sandbox.calendar_view("carol@acme.com")
    assert carol[0]["organizer"].endswith("@group.calendar.google.com")
    sandbox.update_user("bob@acme.com", suspended=True)
    report = Sweeper(tenant).sweep()
    assert report.suspended_organizers == ["acme:bob@acme.com"]
    assert [(a["method"], a["to"]) for a in report.actions] == [("reassign", "dan@acme.com")]
    wait_for_tasks(sandbox)
    assert [e["organizer"] for e in sandbox.calendar_view("carol@acme.com")] == ["dan@acme.com"]
    assert sandbox.calendar_view("bob@acme.com") == []
    assert Sweeper(tenant).sweep().actions == []  # a second sweep finds nothing
