"""Event sync in platform-account mode, in-process against the emulators and the sandbox."""

from __future__ import annotations

from typing import Any

from calsync.entrypoints.platform_events import Outcome
from calsync.entrypoints.services import Services
from tests.integration.conftest import Deliver, calendar
from tests.unit.factories import delete_message, upsert_message


def _summaries(sandbox: Any, email: str) -> list[str]:
    return sorted(e["summary"] for e in calendar(sandbox, email))


def test_upsert_creates_one_event_per_part_with_hosts(
    acme: str, deliver: Deliver, sandbox: Any
) -> None:
    """Each part becomes one event on the hosts' and organizer's calendars."""
    assert deliver(upsert_message(version=1)) is Outcome.ACK
    assert _summaries(sandbox, "alice@acme.com") == [
        "Intro to Python (1/2)",
        "Intro to Python (2/2)",
    ]
    assert _summaries(sandbox, "bob@acme.com") == ["Intro to Python (1/2)"]
    assert _summaries(sandbox, "dan@acme.com") == ["Intro to Python (2/2)"]
    assert _summaries(sandbox, "carol@acme.com") == []


def test_duplicate_delivery_creates_nothing_twice(
    acme: str, deliver: Deliver, sandbox: Any
) -> None:
    """The same message twice still means one event per part and no extra writes."""
    deliver(upsert_message(version=1))
    writes = sandbox.request_counts()["counts"].get("calendar.events.insert", 0)
    deliver(upsert_message(version=1))
    assert sandbox.request_counts()["counts"].get("calendar.events.insert", 0) == writes
    assert len(calendar(sandbox, "alice@acme.com")) == 2


def test_results_are_published_per_part(acme: str, deliver: Deliver, results: Any) -> None:
    """calsync-results gets one synced result per part with the Google ids."""
    deliver(upsert_message(version=3))
    synced = results.wait_for(2, status="synced", source_version=3)
    assert sorted(r["part_key"] for r in synced) == ["day1", "day2"]
    assert all(r["event_id"] and r["calendar_id"] for r in synced)


def test_older_version_changes_nothing(acme: str, deliver: Deliver, sandbox: Any) -> None:
    """A version not newer than the stored one is ignored."""
    deliver(upsert_message(version=5, title="New title"))
    deliver(upsert_message(version=4, title="Old title"))
    assert _summaries(sandbox, "bob@acme.com") == ["New title (1/2)"]


def test_late_upsert_does_not_resurrect_a_deleted_item(
    acme: str, deliver: Deliver, sandbox: Any
) -> None:
    """Delete v3 then a delayed upsert v2: the event stays cancelled."""
    deliver(upsert_message(version=1))
    deliver(delete_message(version=3))
    deliver(upsert_message(version=2))
    assert calendar(sandbox, "alice@acme.com") == []


def test_newer_upsert_after_delete_restores_without_duplicates(
    acme: str, deliver: Deliver, sandbox: Any
) -> None:
    """Delete then a newer upsert brings the same events back (tombstones restored)."""
    deliver(upsert_message(version=1))
    deliver(delete_message(version=2))
    deliver(upsert_message(version=3))
    events = calendar(sandbox, "alice@acme.com")
    assert len(events) == 2
    assert sandbox.request_counts()["counts"].get("calendar.events.insert", 0) == 2


def test_unknown_tenant_is_rejected(svc: Services, deliver: Deliver, results: Any) -> None:
    """An item for a tenant calsync has no settings for is acknowledged and rejected."""
    assert deliver(upsert_message(tenant_id="nobody")) is Outcome.ACK
    rejected = results.wait_for(1, status="rejected")
    assert rejected[0]["error_code"] == "unknown_tenant"
    assert rejected[0]["tenant_id"] == "nobody"


def test_bad_json_is_rejected_and_acknowledged(svc: Services, results: Any) -> None:
    """A body that is not JSON is acknowledged with a rejected result saying so."""
    from calsync.entrypoints.platform_events import handle_platform_event

    assert handle_platform_event(svc, b"\x00not json") is Outcome.ACK
    rejected = results.wait_for(1, status="rejected")
    assert rejected[0]["error_code"] == "not_json"
