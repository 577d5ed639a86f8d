"""Settings changes reach every event they concern, whatever fails on the way.

In-process handler calls against the emulators and the sandbox; the re-sync a
settings change starts is a chain of real Cloud Tasks, dispatched by the
sandbox to the `reconcile` function running under functions-framework.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from calsync.contracts import ItemRef
from calsync.entrypoints.enrollment_events import handle_enrollment
from calsync.entrypoints.platform_events import Outcome
from calsync.entrypoints.services import Services
from calsync.errors import TransientError
from calsync.records import ItemRecord
from calsync.state.store import firestore_client
from calsync_dev.dates import at
from tests.integration.conftest import Deliver, calendar, wait_for_tasks
from tests.integration.oauth_fixtures import Browser
from tests.unit.factories import item_dict, settings_message, upsert_message

pytest_plugins = ["tests.integration.oauth_fixtures"]

ITEM = ItemRef(kind="event", id="evt_123")


def _deliver_as_pubsub(deliver: Deliver, message: dict[str, Any]) -> None:
    """Deliver once; on a transient failure, deliver again, as Pub/Sub redelivers."""
    try:
        if deliver(message) is Outcome.ACK:
            return
    except TransientError:
        pass
    assert deliver(message) is Outcome.ACK


def _wait(check: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def _summaries(sandbox: Any, email: str = "alice@acme.com") -> list[str]:
    return sorted(str(e["summary"]) for e in calendar(sandbox, email))


# ---- b: turning sync on ------------------------------------------------------------------


def test_turning_sync_on_syncs_waiting_items_despite_a_transient_failure(
    acme: str, deliver: Deliver, sandbox: Any
) -> None:
    """Sync off; two items wait; sync on while Google answers 503 for a while.

    The first delivery of the settings fails (or not), Pub/Sub redelivers it, and the
    redelivery is stale (same version): both waiting items must still reach Google."""
    deliver(settings_message(version=2, sync_enabled=False))
    deliver(upsert_message(version=1))
    deliver(upsert_message(version=1, id="evt_other", title="Other"))
    sandbox.inject_fault("calendar.events.insert", status=503, reason="backendError")
    with contextlib.suppress(TransientError):  # Pub/Sub redelivers
        deliver(settings_message(version=3, sync_enabled=True))
    sandbox.clear_faults()
    assert deliver(settings_message(version=3, sync_enabled=True)) is Outcome.ACK  # stale now
    wait_for_tasks(sandbox, timeout=60)
    assert _summaries(sandbox) == [
        "Intro to Python (1/2)",
        "Intro to Python (2/2)",
        "Other (1/2)",
        "Other (2/2)",
    ]


def test_turning_sync_on_syncs_waiting_items_when_starting_the_resync_fails(
    acme: str, deliver: Deliver, sandbox: Any
) -> None:
    """Cloud Tasks refuses the first task of the re-sync once; the redelivered (stale)
    settings start it again, and the waiting item reaches Google."""
    deliver(settings_message(version=2, sync_enabled=False))
    deliver(upsert_message(version=1))
    sandbox.inject_fault("cloudtasks.projects.locations.queues.tasks.create", count=1)
    _deliver_as_pubsub(deliver, settings_message(version=3, sync_enabled=True))
    wait_for_tasks(sandbox, timeout=60)
    assert _summaries(sandbox) == ["Intro to Python (1/2)", "Intro to Python (2/2)"]


def test_turning_sync_on_reaches_an_item_whose_lease_is_held(
    acme: str, deliver: Deliver, sandbox: Any, svc: Services
) -> None:
    """Another worker holds the item's lease (its reconcile read the tenant while sync was
    still off, so it will only report `skipped`). The item must be retried, not dropped."""
    deliver(settings_message(version=2, sync_enabled=False))
    deliver(upsert_message(version=1))
    assert svc.store.acquire_lease("acme", ITEM.key, "a-slow-worker", 60)
    deliver(settings_message(version=3, sync_enabled=True))
    # the re-sync meets the held lease at least once (if it ever tries) ...
    _wait(lambda: any(t["last_status"] == 503 for t in sandbox.tasks()), timeout=10)
    svc.store.release_lease("acme", ITEM.key, "a-slow-worker")  # ... then the holder is done
    wait_for_tasks(sandbox, timeout=60)
    assert _summaries(sandbox) == ["Intro to Python (1/2)", "Intro to Python (2/2)"]


ITEMS_AT_SCALE = 10_000
WAITING_AT_SCALE = ("aaa", "old_05000w", "zzz")
"""Waiting items on the first, a middle and the last page (keys sort by id: old_00000…)."""


def _write_deleted_items(project: str, count: int) -> None:
    """``count`` items of tenant acme, deleted long ago and synced (small documents, written
    directly: the platform would have sent an upsert and a delete for each)."""
    db = firestore_client(project)
    items = db.collection("tenants").document("acme").collection("items")
    writer = db.bulk_writer()
    for n in range(count):
        ref = ItemRef(kind="event", id=f"old_{n:05d}")
        record = ItemRecord(tenant_id="acme", ref=ref, version=2, deleted=True, synced_version=2)
        writer.set(items.document(ref.key), record.model_dump(mode="json"))
    writer.close()


@pytest.mark.timeout(300)
def test_turning_sync_on_for_ten_thousand_items_resyncs_in_pages(
    acme: str, deliver: Deliver, sandbox: Any, svc: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """10,000 items, three waiting. The settings handler itself makes a handful of calls
    (not one per item); named page tasks walk the items, and the three reach Google."""
    deliver(settings_message(version=2, sync_enabled=False))
    for name in WAITING_AT_SCALE:
        deliver(upsert_message(version=1, id=name, title=name))
    _write_deleted_items(svc.settings.project, ITEMS_AT_SCALE)
    calls = {"n": 0}
    store = svc.store
    for name in dir(store):
        method = getattr(store, name)
        if name.startswith("_") or not callable(method):
            continue

        def counted(*args: Any, _method: Any = method, **kwargs: Any) -> Any:
            calls["n"] += 1
            return _method(*args, **kwargs)

        monkeypatch.setattr(store, name, counted)
    before = len(sandbox.tasks())
    deliver(settings_message(version=3, sync_enabled=True))
    assert calls["n"] <= 10  # not 10,000 item reads in one invocation
    assert len(sandbox.tasks()) - before <= 1  # the first page; the rest is done by tasks
    monkeypatch.undo()
    wait_for_tasks(sandbox, timeout=240)
    assert _summaries(sandbox) == sorted(f"{n} ({i}/2)" for n in WAITING_AT_SCALE for i in (1, 2))
    tasks = sandbox.tasks()
    assert all(t["state"] == "succeeded" for t in tasks), tasks
    assert len(tasks) - before < ITEMS_AT_SCALE / 50  # ~101 pages and 3 items, no per-item task


def test_a_resync_page_that_fails_is_retried_and_the_resync_completes(
    acme: str, deliver: Deliver, sandbox: Any, svc: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages of two items; once the re-sync has started, Cloud Tasks refuses every new task
    for a while. The failing page tasks are retried by Cloud Tasks and resume where they
    stopped (named tasks: nothing is done twice); every waiting item reaches Google once."""
    svc.settings = replace(svc.settings, resync_page_size=2)
    deliver(settings_message(version=2, sync_enabled=False))
    names = [f"evt_{n}" for n in range(7)]
    one_part = [item_dict()["parts"][0]]
    for name in names:
        deliver(upsert_message(version=1, id=name, title=name, parts=one_part))
    schedule = svc.tasks.schedule

    def then_cloud_tasks_fails(name: str, payload: dict[str, Any], delay: float) -> bool:
        created = schedule(name, payload, delay)
        sandbox.inject_fault("cloudtasks.projects.locations.queues.tasks.create")
        return created

    monkeypatch.setattr(svc.tasks, "schedule", then_cloud_tasks_fails)
    deliver(settings_message(version=3, sync_enabled=True))
    assert _wait(lambda: any(t["attempts"] > 1 for t in sandbox.tasks()))  # a page failed
    sandbox.clear_faults()
    wait_for_tasks(sandbox, timeout=60)
    assert _summaries(sandbox) == sorted(names)
    assert all(t["state"] == "succeeded" for t in sandbox.tasks())
    inserts = [r["status"] for r in sandbox.requests(method_id="calendar.events.insert")]
    assert inserts.count(200) == len(names)
    assert 409 not in inserts  # no part was inserted twice


# ---- c: enrollments while sync is off ------------------------------------------------------


def test_enrollments_made_while_sync_was_off_are_synced_when_it_is_turned_on(
    acme: str, deliver: Deliver, sandbox: Any, svc: Services
) -> None:
    """The item is synced; sync goes off; carol enrolls (her flush is skipped); sync goes
    back on: carol must be invited although the item's own version did not change."""
    deliver(upsert_message(version=1))
    deliver(settings_message(version=2, sync_enabled=False))
    body = {
        "type": "enrollment.changed",
        "tenant_id": "acme",
        "item": ITEM.model_dump(mode="json"),
        "changes": [{"email": "carol@acme.com", "status": "enrolled", "version": 1}],
    }
    assert handle_enrollment(svc, json.dumps(body).encode()) is Outcome.ACK
    sandbox.run_tasks(include_future=True)  # the coalesced flush: skipped, sync is off
    wait_for_tasks(sandbox)
    assert calendar(sandbox, "carol@acme.com") == []
    deliver(settings_message(version=3, sync_enabled=True))
    wait_for_tasks(sandbox, timeout=60)
    assert len(calendar(sandbox, "carol@acme.com")) == 2


# ---- d: settings that change how events look -----------------------------------------------


def _guests_can_see(svc: Services, part_key: str) -> bool:
    mapping = svc.store.mappings("acme", ITEM.key)[part_key]
    event = svc.platform_gateway().get_event(mapping.calendar_id, mapping.event_id)
    assert event is not None
    return bool(event.get("guestsCanSeeOtherGuests"))


def test_letting_guests_see_each_other_reaches_existing_events(
    acme: str, deliver: Deliver, sandbox: Any, svc: Services
) -> None:
    """A privacy setting changes every future event already in Google, both ways."""
    deliver(upsert_message(version=1))
    assert not _guests_can_see(svc, "day1")
    deliver(settings_message(version=2, guests_can_see_other_guests=True))
    wait_for_tasks(sandbox, timeout=60)
    assert _guests_can_see(svc, "day1")
    assert _guests_can_see(svc, "day2")
    deliver(settings_message(version=3, guests_can_see_other_guests=False))
    wait_for_tasks(sandbox, timeout=60)
    assert not _guests_can_see(svc, "day1")


def test_a_settings_change_that_does_not_alter_events_resyncs_nothing(
    acme: str, deliver: Deliver, sandbox: Any
) -> None:
    """Adding a domain (where the sweeper looks for suspended people) schedules no work."""
    deliver(upsert_message(version=1))
    deliver(settings_message(version=2, domains=["acme.com", "acme.org"]))
    assert sandbox.tasks() == []


def test_past_events_are_not_resynced_by_a_settings_change(
    acme: str, deliver: Deliver, sandbox: Any
) -> None:
    """Only items with a part still to come are re-synced."""
    past = {"key": "p", "start": "2025-01-01T10:00:00Z", "end": "2025-01-01T11:00:00Z"}
    deliver(upsert_message(version=1, id="evt_past", parts=[past]))
    deliver(upsert_message(version=1, parts=[{"key": "f", "start": at(1), "end": at(2)}]))
    patches_before = len(sandbox.requests(method_id="calendar.events.patch"))
    deliver(settings_message(version=2, guests_can_see_other_guests=True))
    wait_for_tasks(sandbox, timeout=60)
    patched = sandbox.requests(method_id="calendar.events.patch")[patches_before:]
    assert len(patched) == 1


def test_a_mode_switch_made_while_sync_was_off_applies_when_sync_is_turned_on(
    organizers: tuple[str, ...], browser: Browser, sandbox: Any, deliver: Deliver
) -> None:
    """Platform mode, an event synced, alice connected; sync off; organizer mode on; sync
    on: the event must move to alice's calendar (the switch itself happened while off)."""
    sandbox.seed_user("dan@acme.com")
    deliver(settings_message(version=2, use_organizer_accounts=False))
    deliver(upsert_message(version=1))
    assert browser.connect("alice@acme.com").status_code == 200
    wait_for_tasks(sandbox)
    assert {e["organizer"] for e in calendar(sandbox, "bob@acme.com")} != {"alice@acme.com"}
    deliver(settings_message(version=3, sync_enabled=False, use_organizer_accounts=False))
    deliver(settings_message(version=4, sync_enabled=False, use_organizer_accounts=True))
    deliver(settings_message(version=5, sync_enabled=True, use_organizer_accounts=True))
    wait_for_tasks(sandbox, timeout=60)
    assert {e["organizer"] for e in calendar(sandbox, "bob@acme.com")} == {"alice@acme.com"}
    assert len(calendar(sandbox, "alice@acme.com")) == 2
