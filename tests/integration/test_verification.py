"""Two-way sync's safety net: the verification pass finds what notifications missed, a drift
found while a reconcile holds the item is checked again, and a reported drift is reported once.

Notifications are lost the way they are in production: Google stops sending them (here the
channel is stopped in Google behind calsync's back, as an expired channel would be). The pass
starts as Cloud Scheduler starts it, ``POST /verify`` on the orphan_sweeper function; its pages
run as Cloud Tasks in the stack's reconcile function.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from calsync.entrypoints.services import Services, reset_services
from calsync.state.store import Fence
from calsync.sync.event_ids import event_id
from calsync_dev.dates import at
from tests.integration.conftest import Deliver
from tests.integration.test_drift import ITEM, event, ledger, settle, synced
from tests.integration.test_watch_channels import live_channels
from tests.unit.factories import settings_message, upsert_message


def lose_notifications(svc: Services, sandbox: Any) -> None:
    """Google stops every channel (as when one expires): nothing more is posted to calsync."""
    for channel in live_channels(sandbox):
        svc.platform_gateway().stop_channel(channel["id"], channel["resource_id"])
    assert live_channels(sandbox) == []


def run_pass(schedule_time: str) -> dict[str, Any]:
    """What Cloud Scheduler does: POST /verify to the orphan_sweeper function."""
    from functions_framework import create_app

    from calsync_dev.stack import repo_root

    source = str(repo_root() / "functions" / "orphan_sweeper" / "main.py")
    client = create_app("orphan_sweeper", source).test_client()
    answer = client.post("/verify", headers={"X-CloudScheduler-ScheduleTime": schedule_time})
    assert answer.status_code == 200
    body: dict[str, Any] = answer.get_json()
    return body


def moved(sandbox: Any, calendar_id: str, eid: str) -> None:
    start = {"dateTime": at(40, "09:00"), "timeZone": "UTC"}
    end = {"dateTime": at(40, "10:00"), "timeZone": "UTC"}
    sandbox.edit_move(calendar_id, eid, start, end)


@pytest.fixture
def repair(acme: str, deliver: Deliver, svc: Services, sandbox: Any) -> str:
    return synced(deliver, svc, sandbox, "repair")


@pytest.fixture
def report(acme: str, deliver: Deliver, svc: Services, sandbox: Any) -> str:
    return synced(deliver, svc, sandbox, "report")


def test_a_move_nobody_was_told_about_is_put_back_by_the_verification_pass(
    repair: str, svc: Services, sandbox: Any, results: Any
) -> None:
    """With the channel gone the move stays; the pass checks both parts, puts day 1 back and
    stores how many it checked and how many had drifted."""
    day1 = svc.store.mappings("acme", ITEM)["day1"]
    before = event(svc, repair, day1.event_id)
    lose_notifications(svc, sandbox)
    moved(sandbox, repair, day1.event_id)
    settle(sandbox)
    assert event(svc, repair, day1.event_id)["start"] != before["start"]  # nobody noticed

    answer = run_pass("2026-01-01T03:00:00Z")
    assert answer["tenants"] == ["acme"]
    settle(sandbox)

    assert event(svc, repair, day1.event_id)["start"] == before["start"]
    (drifted,) = results.wait_for(1, status="drifted")
    assert (drifted["part_key"], drifted["drifted_fields"]) == ("day1", ["time"])
    totals = svc.store.verification_run("acme", answer["run"])
    assert totals is not None
    assert (totals["items"], totals["checked"], totals["drifted"]) == (1, 2, 1)


def test_an_event_deleted_without_a_notification_is_recreated_by_the_pass(
    repair: str, svc: Services, sandbox: Any
) -> None:
    """A delete nobody heard of: the pass recreates the part under its next generation."""
    day2 = svc.store.mappings("acme", ITEM)["day2"]
    lose_notifications(svc, sandbox)
    sandbox.edit_delete(repair, day2.event_id)
    run_pass("2026-01-01T03:00:00Z")
    settle(sandbox)
    again = svc.store.mappings("acme", ITEM)["day2"]
    assert again.event_id == event_id("acme", ITEM, "day2", 1)
    assert event(svc, repair, again.event_id)["status"] == "confirmed"


def test_a_pass_walks_the_tenant_page_by_page_and_sums_the_pages(
    repair: str, deliver: Deliver, svc: Services, sandbox: Any
) -> None:
    """Three items, one per page: three page tasks, one total, nothing drifted."""
    for number in (2, 3):
        deliver(upsert_message(version=1, id=f"evt_{number}"))
    settle(sandbox)
    os.environ["CALSYNC_VERIFY_PAGE_SIZE"] = "1"
    reset_services()
    answer = run_pass("2026-01-02T03:00:00Z")
    settle(sandbox)
    totals = svc.store.verification_run("acme", answer["run"])
    assert totals is not None
    assert (totals["pages"], totals["items"], totals["checked"], totals["drifted"]) == (
        4,  # the fourth page finds nothing after the third item and ends the pass
        3,
        6,
        0,
    )


def test_a_tenant_without_two_way_sync_is_not_verified(
    acme: str, deliver: Deliver, svc: Services, sandbox: Any
) -> None:
    """Sync on, two-way sync off: the pass leaves the tenant alone and reads nothing."""
    deliver(settings_message(version=2))
    deliver(upsert_message(version=1))
    settle(sandbox)
    reads = len(sandbox.requests(method_id="calendar.events.get"))
    assert run_pass("2026-01-01T03:00:00Z")["tenants"] == []
    settle(sandbox)
    assert len(sandbox.requests(method_id="calendar.events.get")) == reads


def test_a_drift_seen_while_a_reconcile_holds_the_item_is_not_lost(
    repair: str, svc: Services, sandbox: Any
) -> None:
    """Regression: the repair used to mark the mapping stale outside the item's lease. A
    reconcile holding the item then saved the part as it knew it, the mark was lost, and the
    repair reconcile found nothing to do: the move stayed. Now the mark waits for the lease,
    and the item is checked again once it is free."""
    day1 = svc.store.mappings("acme", ITEM)["day1"]
    before = event(svc, repair, day1.event_id)
    lose_notifications(svc, sandbox)  # the read below is the test's own, in-process
    assert svc.store.acquire_lease("acme", ITEM, "slow-reconcile", 60)
    moved(sandbox, repair, day1.event_id)

    svc.changes.read("acme", repair)  # the calendar_changed task, while the item is held

    # the slow reconcile ends: it saves day 1 as it knew it, and lets the item go
    assert svc.store.save_mapping("acme", ITEM, day1, Fence("slow-reconcile", None))
    svc.store.release_lease("acme", ITEM, "slow-reconcile")
    settle(sandbox)
    assert event(svc, repair, day1.event_id)["start"] == before["start"]
    assert [e.outcome for e in ledger(svc, "drift")] == ["repaired"]


def test_a_reported_drift_is_reported_once(
    report: str, svc: Services, sandbox: Any, results: Any
) -> None:
    """Regression: under report every later change of the event (here bob's answer) and every
    pass reported the same hand-added guest again. A new drift is still reported."""
    day1 = svc.store.mappings("acme", ITEM)["day1"]
    sandbox.edit_add_guest(report, day1.event_id, "erin@acme.com")
    settle(sandbox)
    sandbox.respond("bob@acme.com", report, day1.event_id, "accepted")
    settle(sandbox)
    run_pass("2026-01-01T03:00:00Z")
    settle(sandbox)
    seen = [r for r in results.drain() if r["status"] == "drifted"]
    assert [r["drifted_fields"] for r in seen] == [["attendees"]]

    sandbox.edit_retitle(report, day1.event_id, "Pizza party")
    settle(sandbox)
    first, again = results.wait_for(2, status="drifted")
    assert (first["drifted_fields"], again["drifted_fields"]) == (
        ["attendees"],
        ["title", "attendees"],
    )
