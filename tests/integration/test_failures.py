"""Failure policy: transient errors retried, permanent ones reported, quota deferred.

Faults are injected in the Google sandbox; the library runs in-process against
the emulators, through the real Google client libraries.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from calsync.contracts import ItemRef
from calsync.entrypoints.platform_events import Outcome
from calsync.entrypoints.services import Services
from calsync.errors import TransientError
from calsync.sync.quota_deferral import QUOTA_RETRY_SECONDS
from tests.integration.conftest import Deliver, calendar, wait_for_tasks
from tests.unit.factories import settings_message, upsert_message


@pytest.fixture
def quick_retries(svc: Services) -> Services:
    """Give up on transient errors after one second instead of thirty."""
    svc.settings = replace(svc.settings, retry_deadline_seconds=1.0)
    return svc


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (503, "backendError"),
        (500, "backendError"),
        (429, "rateLimitExceeded"),
        (403, "rateLimitExceeded"),
        (403, "userRateLimitExceeded"),
    ],
)
def test_transient_errors_are_retried_within_the_invocation(
    acme: str, deliver: Deliver, sandbox: Any, status: int, reason: str
) -> None:
    """Two failures, then success: the event exists and the message is acknowledged."""
    sandbox.inject_fault("calendar.events.insert", status=status, reason=reason, count=2)
    assert deliver(upsert_message(version=1)) is Outcome.ACK
    assert len(calendar(sandbox, "alice@acme.com")) == 2


def test_dropped_connections_are_retried(acme: str, deliver: Deliver, sandbox: Any) -> None:
    """A connection closed without an answer is a transient failure."""
    sandbox.inject_fault("calendar.events.insert", action="drop", count=1)
    assert deliver(upsert_message(version=1)) is Outcome.ACK
    assert len(calendar(sandbox, "alice@acme.com")) == 2


def test_persistent_transient_errors_hand_the_message_back(
    acme: str, quick_retries: Services, deliver: Deliver, sandbox: Any
) -> None:
    """When Google keeps failing, the message goes back to Pub/Sub and retries later."""
    sandbox.inject_fault("calendar.events.insert", status=503, reason="backendError")
    with pytest.raises(TransientError):
        deliver(upsert_message(version=1))
    sandbox.clear_faults()
    assert deliver(upsert_message(version=1)) is Outcome.ACK  # the redelivery
    assert len(calendar(sandbox, "alice@acme.com")) == 2


@pytest.mark.parametrize(("status", "reason"), [(400, "invalid"), (403, "forbidden")])
def test_permanent_errors_are_reported_as_failed_and_acknowledged(
    acme: str, deliver: Deliver, sandbox: Any, results: Any, status: int, reason: str
) -> None:
    """A refusal retrying cannot fix is a failed result with Google's reason."""
    sandbox.inject_fault("calendar.events.insert", status=status, reason=reason)
    assert deliver(upsert_message(version=1)) is Outcome.ACK
    failed = results.wait_for(2, status="failed")
    assert {r["error_code"] for r in failed} == {reason}


def test_quota_exceeded_is_retried_later_through_cloud_tasks(
    acme: str, deliver: Deliver, sandbox: Any, results: Any
) -> None:
    """Calendar's anti-abuse limiter: no hot loop, one delayed task for the item."""
    sandbox.inject_fault("calendar.events.insert", status=403, reason="quotaExceeded")
    assert deliver(upsert_message(version=1)) is Outcome.ACK
    tasks = sandbox.tasks()
    assert len(tasks) == 1
    assert tasks[0]["state"] == "scheduled"
    assert results.wait_for(1, status="failed")[0]["error_code"] == "quotaExceeded"
    assert len(sandbox.requests(method_id="calendar.events.insert")) == 1
    delay = datetime.fromisoformat(tasks[0]["schedule_time"].replace("Z", "+00:00")) - datetime.now(
        UTC
    )
    assert delay.total_seconds() > QUOTA_RETRY_SECONDS - 60  # minutes away, not a hot loop
    sandbox.clear_faults()
    sandbox.run_tasks(include_future=True)  # fast-forward the delay
    wait_for_tasks(sandbox)
    assert len(calendar(sandbox, "alice@acme.com")) == 2


def test_crash_between_google_write_and_firestore_write_leaves_one_event(
    acme: str, deliver: Deliver, sandbox: Any, svc: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Google has the event but calsync's mapping was never saved: redelivery makes one."""
    store = svc.store
    original = store.save_mapping

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("instance killed after the Google write")

    monkeypatch.setattr(store, "save_mapping", crash)
    with pytest.raises(RuntimeError):
        deliver(upsert_message(version=1, title="First"))
    monkeypatch.setattr(store, "save_mapping", original)
    assert deliver(upsert_message(version=1, title="First")) is Outcome.ACK
    assert sorted(e["summary"] for e in calendar(sandbox, "alice@acme.com")) == [
        "First (1/2)",
        "First (2/2)",
    ]
    created = [
        r for r in sandbox.requests(method_id="calendar.events.insert") if r["status"] == 200
    ]
    assert len(created) == 2


def test_concurrent_change_in_google_means_reread_and_replan(
    acme: str, deliver: Deliver, sandbox: Any, svc: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An event changed between calsync's read and write answers 412; calsync re-plans."""
    deliver(upsert_message(version=1))
    gateway = svc.platform_gateway()
    real_get = gateway.get_event

    def get_then_someone_answers(calendar_id: str, event_id: str) -> Any:
        event = real_get(calendar_id, event_id)
        if event is not None and not getattr(get_then_someone_answers, "done", False):
            get_then_someone_answers.done = True  # type: ignore[attr-defined]
            sandbox.respond("bob@acme.com", calendar_id, event_id, "accepted")
        return event

    monkeypatch.setattr(gateway, "get_event", get_then_someone_answers)
    deliver(upsert_message(version=2, title="Renamed"))
    patches = sandbox.requests(method_id="calendar.events.patch")
    assert [p["status"] for p in patches][:2] == [412, 200]
    bob = calendar(sandbox, "bob@acme.com")[0]
    assert bob["summary"] == "Renamed (1/2)"
    assert bob["response_status"] == "accepted"


def test_calendar_deleted_behind_calsyncs_back_is_recreated_and_resynced(
    acme: str, deliver: Deliver, sandbox: Any, svc: Services
) -> None:
    """If someone deletes the tenant's calendar, calsync makes a new one and re-syncs."""
    deliver(upsert_message(version=1))
    deliver(upsert_message(version=1, id="evt_other", title="Other"))
    tenant = svc.store.get_tenant("acme")
    assert tenant is not None
    assert tenant.platform_calendar_id
    svc.platform_gateway().delete_calendar(tenant.platform_calendar_id)
    deliver(upsert_message(version=2, title="Moved on"))
    wait_for_tasks(sandbox)  # the other items are re-synced by reconcile tasks
    summaries = sorted(e["summary"] for e in calendar(sandbox, "alice@acme.com"))
    assert summaries == ["Moved on (1/2)", "Moved on (2/2)", "Other (1/2)", "Other (2/2)"]
    fresh = svc.store.get_tenant("acme")
    assert fresh is not None
    assert fresh.platform_calendar_id != tenant.platform_calendar_id


def test_sync_disabled_writes_nothing_and_says_so(
    acme: str, deliver: Deliver, sandbox: Any, results: Any, svc: Services
) -> None:
    """A tenant with sync off gets a skipped result; turning it on syncs what waited."""
    deliver(settings_message(version=2, sync_enabled=False))
    deliver(upsert_message(version=1))
    assert calendar(sandbox, "alice@acme.com") == []
    assert results.wait_for(1, status="skipped")[0]["error_code"] == "sync_disabled"
    deliver(settings_message(version=3, sync_enabled=True))
    wait_for_tasks(sandbox)  # the re-sync runs as Cloud Tasks
    assert len(calendar(sandbox, "alice@acme.com")) == 2


def test_every_google_write_is_in_the_ledger(acme: str, deliver: Deliver, svc: Services) -> None:
    """The ledger records operation, part, version, reason and outcome of each write."""
    deliver(upsert_message(version=1))
    deliver(upsert_message(version=2, location="Elsewhere"))
    entries = svc.store.ledger("acme", "event:evt_123")
    assert [(e.operation, e.part_key, e.version) for e in entries] == [
        ("insert", "day1", 1),
        ("insert", "day2", 1),
        ("patch", "day1", 2),
    ]
    assert entries[-1].reason == "changed: place"
    assert entries[-1].send_updates == "all"
    assert all(e.outcome == "ok" for e in entries)


def test_explain_says_why_a_person_is_on_a_part(acme: str, deliver: Deliver, svc: Services) -> None:
    """`calsync explain` tells a host is on day1 as host and not on day2."""
    from calsync.sync.explain import explain

    deliver(upsert_message(version=1))
    store = svc.store
    lines = explain(
        store.get_tenant("acme"),
        store.get_item("acme", "event:evt_123"),
        store.mappings("acme", "event:evt_123"),
        store.ledger("acme", "event:evt_123"),
        "bob@acme.com",
    )
    text = "\n".join(lines)
    assert "bob@acme.com is an attendee as host" in text
    assert "bob@acme.com is not an organizer or host" in text
    assert "insert v1: new part → ok; sendUpdates=all (includes them)" in text


def test_reconcile_of_an_unknown_item_does_nothing(svc: Services) -> None:
    """A task for an item calsync never heard of is a no-op."""
    assert svc.reconciler.reconcile("acme", ItemRef(kind="event", id="ghost")) == []


def test_explain_command_prints_the_story(acme: str, deliver: Deliver) -> None:
    """`calsync explain` reads the records from Firestore and prints them."""
    from click.testing import CliRunner

    from calsync_dev.cli import main

    deliver(upsert_message(version=1))
    result = CliRunner().invoke(
        main, ["explain", "--tenant", "acme", "--item", "event:evt_123", "--email", "dan@acme.com"]
    )
    assert result.exit_code == 0, result.output
    assert "Part day2:" in result.output
    assert "dan@acme.com is an attendee as host" in result.output
