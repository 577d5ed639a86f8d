"""Hardening of the sync core (issue 11): deferrals, moves, leases, read-backs, follow-ups.

Each test names what it protects; its docstring gives the sequence that used to break it.
The library runs in-process against the emulators and the sandbox; Cloud Tasks are real
sandbox tasks run by the ``reconcile`` function under functions-framework.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from calsync.contracts import EnrollmentChange, EnrollmentStatus, Item, ItemRef
from calsync.entrypoints.platform_events import Outcome, handle_platform_event
from calsync.entrypoints.services import Services, services
from calsync.errors import LeaseLost
from calsync.records import PartMapping
from calsync.sync.reconciler import Reconciler
from tests.integration.conftest import Deliver, calendar, wait_for_tasks
from tests.integration.oauth_fixtures import Browser
from tests.unit.factories import delete_message, settings_message, upsert_message

pytest_plugins = ["tests.integration.oauth_fixtures"]

ITEM_KEY = "event:evt_123"


def _scheduled_delays(sandbox: Any) -> list[float]:
    """Seconds from now until each task still waiting in the queue runs."""
    now = datetime.now(UTC)
    return [
        (datetime.fromisoformat(t["schedule_time"].replace("Z", "+00:00")) - now).total_seconds()
        for t in sandbox.tasks()
        if t["state"] == "scheduled"
    ]


# -- a. quotaExceeded ---------------------------------------------------------------------


def test_quota_exceeded_twice_on_one_version_still_syncs_the_item(
    acme: str, deliver: Deliver, sandbox: Any
) -> None:
    """quotaExceeded on the message and again on its deferred retry: the item still syncs.

    Defect: the retry task was named ``quota/<version>``; when the retry itself met
    quotaExceeded it asked for a task of the same name while that task was running, Cloud
    Tasks answered ALREADY_EXISTS, the adapter read that as "already scheduled", and (the
    version being marked synced) nothing ever brought the item to Google.
    """
    sandbox.inject_fault("calendar.events.insert", status=403, reason="quotaExceeded")
    assert deliver(upsert_message(version=1)) is Outcome.ACK
    sandbox.run_tasks(include_future=True)  # the deferred retry is refused again
    assert len(_scheduled_delays(sandbox)) == 1, sandbox.tasks()
    sandbox.clear_faults()
    sandbox.run_tasks(include_future=True)
    wait_for_tasks(sandbox)
    assert len(calendar(sandbox, "alice@acme.com")) == 2


def test_quota_deferral_leaves_the_version_unsynced(
    acme: str, deliver: Deliver, sandbox: Any, svc: Services, results: Any
) -> None:
    """A deferred item is not marked synced: nothing was written for that version.

    Defect: after scheduling the retry, the reconcile marked the version synced, so a
    redelivered message was dropped as stale and turning sync on did not pick it up.
    """
    sandbox.inject_fault("calendar.events.insert", status=403, reason="quotaExceeded")
    assert deliver(upsert_message(version=1)) is Outcome.ACK
    assert results.wait_for(1, status="failed")[0]["error_code"] == "quotaExceeded"
    record = svc.store.get_item("acme", ITEM_KEY)
    assert record is not None
    assert record.needs_sync
    assert record.synced_version == -1


def test_quota_retries_wait_longer_each_time(acme: str, deliver: Deliver, sandbox: Any) -> None:
    """Each deferral of one item waits longer than the one before (minutes, then more).

    Defect: every deferral waited the same 15 minutes under the same task name, so a second
    refusal was not retried at all.
    """
    sandbox.inject_fault("calendar.events.insert", status=403, reason="quotaExceeded")
    assert deliver(upsert_message(version=1)) is Outcome.ACK
    delays = []
    for _ in range(3):
        waiting = _scheduled_delays(sandbox)
        assert len(waiting) == 1, sandbox.tasks()
        delays.append(waiting[0])
        sandbox.run_tasks(include_future=True)
    assert 60 < delays[0] <= 180
    assert delays[1] > delays[0] + 60
    assert delays[2] > delays[1] + 120


def test_item_deleted_while_its_quota_retry_waits_reports_each_part_deleted(
    acme: str, deliver: Deliver, sandbox: Any, results: Any
) -> None:
    """An item whose first write Google's limiter refused, then deleted before the retry:
    the platform hears ``deleted`` for every part, not only the item-level ``failed``.

    Defect (found by the model-based test, seed 3): a deletion reported only parts that had
    a mapping, so parts Google never held kept ``failed: quotaExceeded`` as their last word.
    """
    sandbox.inject_fault("calendar.events.insert", status=403, reason="quotaExceeded")
    assert deliver(upsert_message(version=1)) is Outcome.ACK
    assert results.wait_for(1, status="failed")[0]["error_code"] == "quotaExceeded"
    sandbox.clear_faults()
    assert deliver(delete_message(version=2)) is Outcome.ACK
    deleted = results.wait_for(2, status="deleted")
    assert sorted(r["part_key"] for r in deleted) == ["day1", "day2"]
    sandbox.run_tasks(include_future=True)  # the retry finds the item deleted: nothing written
    wait_for_tasks(sandbox)
    assert calendar(sandbox, "alice@acme.com") == []


# -- e. a move whose cancel fails ------------------------------------------------------------


def _deliver(message: dict[str, Any]) -> Outcome:
    return handle_platform_event(services(), json.dumps(message).encode())


def test_move_whose_cancel_is_refused_creates_nothing_and_keeps_the_mapping(
    organizers: tuple[str, ...], browser: Browser, sandbox: Any, svc: Services, results: Any
) -> None:
    """A part moving to its connected organizer whose old event cannot be cancelled stays put.

    Defect: the cancel's 403 (someone changed the event's owner in Google) was ignored and
    the event was created again in the organizer's calendar: bob held two entries and the
    old event had no mapping any more.
    """
    sandbox.seed_user("dan@acme.com")
    _deliver(upsert_message(version=1))  # alice not connected: in the platform account
    before = svc.store.mappings("acme", ITEM_KEY)
    assert {m.owner_kind for m in before.values()} == {"platform"}
    sandbox.inject_fault("calendar.events.delete", status=403, reason="forbidden")
    assert browser.connect("alice@acme.com").status_code == 200
    wait_for_tasks(sandbox)  # the re-sync connecting schedules tries to move the parts
    assert len(calendar(sandbox, "bob@acme.com")) == 1
    assert sandbox.requests(method_id="calendar.events.insert", user="alice@acme.com") == []
    failed = results.wait_for(2, status="failed")
    assert {r["error_code"] for r in failed} == {"forbidden"}
    assert all("cancel" in r["error_message"] for r in failed)
    assert svc.store.mappings("acme", ITEM_KEY) == before


def test_item_deleted_halfway_through_a_move_reports_each_part_deleted(
    organizers: tuple[str, ...], browser: Browser, sandbox: Any, svc: Services, results: Any
) -> None:
    """A move cancelled the old events, Google's limiter refused the new ones, and the item
    was deleted before the retry: the platform hears ``deleted`` for every part.

    Defect (found by the model-based test, seed 582501693): the cancel half of the move left
    the mappings ``deleted``, a deletion reported only parts still synced or never mapped,
    so the parts' last word stayed ``needs_consent`` from before the organizer connected.
    """
    _deliver(upsert_message(version=1))  # alice not connected: in the platform account
    sandbox.inject_fault(
        "calendar.events.insert", user="alice@acme.com", status=403, reason="quotaExceeded"
    )
    assert browser.connect("alice@acme.com").status_code == 200
    results.wait_for(1, status="failed")  # the moves were deferred after their cancels
    mappings = svc.store.mappings("acme", ITEM_KEY)
    assert mappings["day1"].state == "moving"  # cancelled where it was, not created anew
    assert _deliver(delete_message(version=2)) is Outcome.ACK
    deleted = results.wait_for(2, status="deleted")
    assert sorted(r["part_key"] for r in deleted) == ["day1", "day2"]
    assert calendar(sandbox, "bob@acme.com") == []


def test_part_removed_halfway_through_its_move_is_reported_deleted_once(
    organizers: tuple[str, ...], browser: Browser, sandbox: Any, svc: Services, results: Any
) -> None:
    """A part whose move stopped after the cancel, then removed from the item: it is
    reported ``deleted`` with nothing written, and later reconciles do not repeat it."""
    _deliver(upsert_message(version=1))
    sandbox.inject_fault(
        "calendar.events.insert", user="alice@acme.com", status=403, reason="quotaExceeded"
    )
    assert browser.connect("alice@acme.com").status_code == 200
    results.wait_for(1, status="failed")
    sandbox.clear_faults()
    day2_only = upsert_message()["item"]["parts"][1:]
    assert _deliver(upsert_message(version=2, parts=day2_only)) is Outcome.ACK
    assert [r["part_key"] for r in results.wait_for(1, status="deleted")] == ["day1"]
    assert svc.store.mappings("acme", ITEM_KEY)["day1"].state == "deleted"
    assert _deliver(upsert_message(version=3, parts=day2_only, title="Renamed")) is Outcome.ACK
    third = results.wait_for(1, source_version=3)
    assert [(r["part_key"], r["status"]) for r in third] == [("day2", "synced")]
    day1 = [r for r in results.drain() if r.get("part_key") == "day1" and r["source_version"] > 1]
    assert [r["status"] for r in day1] == ["deleted"]


# -- i. a no-op after a read-back ---------------------------------------------------------------


def test_read_back_after_a_crash_keeps_the_events_link_and_etag(
    acme: str,
    deliver: Deliver,
    sandbox: Any,
    svc: Services,
    results: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Insert, crash before the mapping is saved, redelivery: the link and etag are kept.

    Defect: the redelivery's insert answered 409, the read-back found the event up to date
    and the resulting no-op saved the mapping with no etag and no htmlLink, so the result
    had no link.
    """
    store = svc.store
    original = store.save_mapping

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("instance killed after the Google write")

    monkeypatch.setattr(store, "save_mapping", crash)
    with pytest.raises(RuntimeError):
        deliver(upsert_message(version=1))
    monkeypatch.setattr(store, "save_mapping", original)
    assert deliver(upsert_message(version=1)) is Outcome.ACK
    mappings = store.mappings("acme", ITEM_KEY)
    assert all(m.etag and m.html_link for m in mappings.values()), mappings
    synced = results.wait_for(2, status="synced")
    assert len(synced) == 2
    assert all(r["html_link"] for r in synced)


def test_read_back_after_a_crash_keeps_a_pending_meet_followed_up(
    organizers: tuple[str, ...],
    browser: Browser,
    sandbox: Any,
    svc: Services,
    results: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Crash-redelivery of an item with Meet: the pending link is still followed up.

    Defect: the no-op after the 409 read-back wiped meet_status, so the result said nothing
    about Meet and no follow-up was scheduled; the link was never reported.
    """
    sandbox.set_meet(delay=30.0, fail=False)
    assert browser.connect("alice@acme.com").status_code == 200
    wait_for_tasks(sandbox)
    message = upsert_message(
        version=1,
        parts=[upsert_message()["item"]["parts"][0]],
        conference={"kind": "google_meet"},
    )
    store = svc.store
    original = store.save_mapping

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("instance killed after the Google write")

    monkeypatch.setattr(store, "save_mapping", crash)
    with pytest.raises(RuntimeError):
        _deliver(message)
    monkeypatch.setattr(store, "save_mapping", original)
    assert _deliver(message) is Outcome.ACK
    assert results.wait_for(1, status="synced")[0].get("meet_status") == "pending"
    sandbox.complete_pending()
    sandbox.run_tasks(include_future=True)
    wait_for_tasks(sandbox)
    urls = [r.get("meet_url") for r in results.wait_for(2, status="synced")]
    assert any(url and url.startswith("https://meet.google.com/") for url in urls)


# -- follow-up names -------------------------------------------------------------------------


def test_meet_re_requested_at_the_same_version_is_followed_up_again(
    organizers: tuple[str, ...], browser: Browser, sandbox: Any, svc: Services, results: Any
) -> None:
    """A Meet link created again at the same item version gets its own follow-up.

    Defect: follow-up tasks were named by (version, attempt). After a mode switch away and
    back, the part was created again in alice's calendar at the same version with a pending
    Meet; its follow-up had the name of the first one, Cloud Tasks refused it as a
    duplicate, and the new link was never reported.
    """
    sandbox.set_meet(delay=30.0, fail=False)
    assert browser.connect("alice@acme.com").status_code == 200
    wait_for_tasks(sandbox)
    message = upsert_message(
        version=1,
        parts=[upsert_message()["item"]["parts"][0]],
        conference={"kind": "google_meet"},
    )
    assert _deliver(message) is Outcome.ACK
    sandbox.complete_pending()
    sandbox.run_tasks(include_future=True)  # the first follow-up reports the first link
    wait_for_tasks(sandbox)
    _deliver(settings_message(version=2, use_organizer_accounts=False))
    wait_for_tasks(sandbox)  # moved to the platform account (no Meet there)
    _deliver(settings_message(version=3, use_organizer_accounts=True))
    # moved back to alice by the re-sync task: a new event, its Meet link pending
    deadline = time.monotonic() + 20
    while any(t["state"] in ("running", "retrying") for t in sandbox.tasks()) or not any(
        t["state"] == "scheduled" for t in sandbox.tasks()
    ):
        assert time.monotonic() < deadline, sandbox.tasks()
        time.sleep(0.1)
    mapping = svc.store.mappings("acme", ITEM_KEY)["day1"]
    assert mapping.owner_email == "alice@acme.com"
    assert mapping.meet_status == "pending"
    sandbox.complete_pending()
    sandbox.run_tasks(include_future=True)
    wait_for_tasks(sandbox)
    reported = [
        r
        for r in results.wait_for(10, timeout=5, status="synced")
        if r["event_id"] == mapping.event_id and r.get("meet_url")
    ]
    assert reported, results.seen


# -- h. leases: renewal and fencing ----------------------------------------------------------

ITEM_REF = ItemRef(kind="event", id="evt_123")


def _enroll(svc: Services, email: str) -> None:
    change = EnrollmentChange(email=email, status=EnrollmentStatus.ENROLLED, version=1)
    svc.store.record_attendance("acme", ITEM_REF, [change])


def _short_lease(svc: Services, seconds: float) -> Reconciler:
    return Reconciler(
        svc.store,
        svc.platform_gateway,
        svc.results,
        svc.tasks,
        svc.organizers,
        lease_seconds=seconds,
    )


def _first_part_attendees(sandbox: Any) -> set[str]:
    events = sorted(calendar(sandbox, "alice@acme.com"), key=lambda e: e["start"]["dateTime"])
    return set(events[0]["attendees"])


def test_reconcile_that_outlived_its_lease_does_not_overwrite_a_newer_attendee_list(
    acme: str, deliver: Deliver, sandbox: Any, svc: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reconcile stalled past its lease stops before writing; the newer list stays.

    Defect: the lease expired mid-reconcile (nothing renewed it, nothing checked it), a
    second reconcile took it and wrote the newer attendee list (with carol); the first one
    then patched with its stale etag, got 412, re-planned from the desired state it had
    read before carol enrolled and wrote her out of the event.
    """
    deliver(upsert_message(version=1))
    _enroll(svc, "erin@acme.com")
    gateway = svc.platform_gateway()
    real_get = gateway.get_event
    stalled: list[bool] = []

    def get_then_stall(calendar_id: str, event_id: str) -> Any:
        event = real_get(calendar_id, event_id)
        if not stalled:
            stalled.append(True)
            time.sleep(1.5)  # the slow reconcile's 1 s lease runs out meanwhile
            _enroll(svc, "carol@acme.com")
            svc.reconciler.reconcile("acme", ITEM_REF)  # takes the lease, writes carol in
        return event

    monkeypatch.setattr(gateway, "get_event", get_then_stall)
    with pytest.raises(LeaseLost):  # handed back for redelivery, not reported done
        _short_lease(svc, 1.0).reconcile("acme", ITEM_REF)
    assert stalled
    assert {"erin@acme.com", "carol@acme.com"} <= _first_part_attendees(sandbox)
    svc.reconciler.reconcile("acme", ITEM_REF)  # the redelivery finds nothing left to do
    assert {"erin@acme.com", "carol@acme.com"} <= _first_part_attendees(sandbox)


def test_mapping_save_after_the_lease_was_lost_is_refused(
    acme: str, deliver: Deliver, sandbox: Any, svc: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reconcile whose lease ran out during a Google write does not save its mapping.

    Defect: mapping saves were unconditional; the slow reconcile overwrote the mapping the
    newer reconcile had just saved (its etag and fingerprint) with its own stale one.
    """
    deliver(upsert_message(version=1))
    _enroll(svc, "erin@acme.com")
    gateway = svc.platform_gateway()
    real_patch = gateway.patch_event
    newer: list[PartMapping] = []

    def patch_then_stall(*args: Any, **kwargs: Any) -> Any:
        event = real_patch(*args, **kwargs)
        if not newer:
            newer.append(PartMapping(part_key="", calendar_id="", event_id="", owner_email=""))
            time.sleep(1.5)  # the slow reconcile's 1 s lease runs out meanwhile
            _enroll(svc, "carol@acme.com")
            svc.reconciler.reconcile("acme", ITEM_REF)
            newer[0] = svc.store.mappings("acme", ITEM_KEY)["day1"]
        return event

    monkeypatch.setattr(gateway, "patch_event", patch_then_stall)
    with pytest.raises(LeaseLost):
        _short_lease(svc, 1.0).reconcile("acme", ITEM_REF)
    assert newer
    assert svc.store.mappings("acme", ITEM_KEY)["day1"] == newer[0]


def test_reconcile_longer_than_its_lease_keeps_it(
    acme: str, sandbox: Any, svc: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parts that together take longer than the lease: nobody else can take the item.

    Defect: the lease was taken once for the whole reconcile (300 s, while 100 parts with
    30 s retry deadlines can take longer) and never renewed, so another worker could take
    it mid-way and both wrote the item.
    """
    item = Item.model_validate(upsert_message()["item"])
    svc.store.record_item("acme", ITEM_REF, 1, item)
    gateway = svc.platform_gateway()
    real_insert = gateway.insert_event
    inserts: list[str] = []
    intruder: list[bool] = []

    def slow_insert(*args: Any, **kwargs: Any) -> Any:
        event = real_insert(*args, **kwargs)
        inserts.append(event["id"])
        time.sleep(1.2)  # two parts: 2.4 s in all, longer than the 2 s lease
        if len(inserts) == 2:
            intruder.append(svc.store.acquire_lease("acme", ITEM_KEY, "intruder", 60))
        return event

    monkeypatch.setattr(gateway, "insert_event", slow_insert)
    _short_lease(svc, 2.0).reconcile("acme", ITEM_REF)
    assert len(inserts) == 2
    assert intruder == [False]


def test_reconcile_planned_before_a_hand_over_stops_before_writing(
    acme: str, deliver: Deliver, sandbox: Any, svc: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sweeper names a successor while a reconcile is in flight: the reconcile stops.

    Defect: a reconcile kept planning with the record it read before ``set_successor`` and
    wrote for the old owner (and could save mappings over the sweeper's re-map).
    """
    deliver(upsert_message(version=1))
    _enroll(svc, "erin@acme.com")
    gateway = svc.platform_gateway()
    real_get = gateway.get_event

    def get_then_hand_over(calendar_id: str, event_id: str) -> Any:
        event = real_get(calendar_id, event_id)
        svc.store.set_successor("acme", ITEM_KEY, "platform")
        return event

    monkeypatch.setattr(gateway, "get_event", get_then_hand_over)
    with pytest.raises(LeaseLost):
        svc.reconciler.reconcile("acme", ITEM_REF)
    assert sandbox.requests(method_id="calendar.events.patch") == []


# -- a message for an item another worker holds --------------------------------------------


def test_a_message_for_a_busy_item_is_acknowledged_and_synced_by_a_task(
    acme: str, deliver: Deliver, sandbox: Any, svc: Services
) -> None:
    """A crashed worker holds the item's lease when its change arrives: the message is
    acknowledged (its version is recorded) and a task brings it to Google once the lease is
    free. (Before: 503 each time, so Pub/Sub dead-lettered it after five quick redeliveries
    while the lease was held, and the change never reached Google; model-based test, seed
    104638193.)"""
    assert svc.store.acquire_lease("acme", ITEM_KEY, "crashed-worker", 60.0)
    assert deliver(upsert_message(version=1)) is Outcome.ACK
    assert calendar(sandbox, "alice@acme.com") == []
    svc.store.release_lease("acme", ITEM_KEY, "crashed-worker")  # its lease ran out
    wait_for_tasks(sandbox, run_future=True)
    assert len(calendar(sandbox, "alice@acme.com")) == 2
