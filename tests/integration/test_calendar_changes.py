"""Two-way sync, incremental reads: a watched calendar's changes read back with its syncToken,
only calsync's own events kept, 410 answered by a full re-list (emulators and sandbox)."""

from __future__ import annotations

from typing import Any

import pytest

from calsync.entrypoints.platform_events import Outcome
from calsync.entrypoints.services import Services
from calsync_dev.dates import at
from tests.integration.conftest import Deliver
from tests.integration.test_watch_channels import wait_for_due_tasks
from tests.unit.factories import settings_message, upsert_message

ITEM = "event:evt_123"


@pytest.fixture
def calendar_id(acme: str, deliver: Deliver, svc: Services, sandbox: Any) -> str:
    """acme with two-way sync on and its item synced: the watched platform calendar. Its
    channel is then stopped at Google (Firestore still says watched), so that only the test
    reads the calendar, never a calendar_changed task racing it."""
    assert deliver(settings_message(version=2, two_way_sync=True)) is Outcome.ACK
    assert deliver(upsert_message(version=1)) is Outcome.ACK
    sandbox.drain_push()
    wait_for_due_tasks(sandbox)
    (channel,) = sandbox.push_channels()
    svc.platform_gateway().stop_channel(channel["id"], channel["resource_id"])
    svc.store.save_sync_token("acme", channel["calendar_id"], "")
    return str(channel["calendar_id"])


def list_statuses(sandbox: Any) -> list[int]:
    """The status of every events.list the sandbox answered, in order."""
    return [int(r["status"]) for r in sandbox.requests(method_id="calendar.events.list")]


def test_reads_keep_only_calsyncs_events_and_use_the_token_alone(
    calendar_id: str, svc: Services, sandbox: Any
) -> None:
    """The first read lists the calendar in full; later reads send the stored syncToken (and
    no filter: the sandbox refuses one with it) and get only what changed; an event someone
    else put in the calendar is not calsync's."""
    first = svc.changes.read("acme", calendar_id)
    assert {c.mapping.part_key for c in first} == {"day1", "day2"}
    token = svc.store.watched("acme", calendar_id).sync_token  # type: ignore[union-attr]
    assert token
    svc.platform_gateway().insert_event(
        calendar_id,
        "abc0123456789",
        {
            "summary": "lunch",
            "start": {"dateTime": at(30, "12:00")},
            "end": {"dateTime": at(30, "13:00")},
        },
        "none",
    )
    mapping = svc.store.mappings("acme", ITEM)["day1"]
    sandbox.edit_retitle(calendar_id, mapping.event_id, "Renamed in Google")
    changed = svc.changes.read("acme", calendar_id)
    assert [(c.mapping.part_key, c.event["summary"]) for c in changed] == [
        ("day1", "Renamed in Google")
    ]
    # only what changed since the token came back (the sandbox refuses a token with filters)
    assert svc.store.watched("acme", calendar_id).sync_token != token  # type: ignore[union-attr]


def test_a_deleted_event_is_recognised_by_its_id_alone(
    calendar_id: str, svc: Services, sandbox: Any
) -> None:
    """A delete in Google comes back as a tombstone; its mapping is found by event id."""
    svc.changes.read("acme", calendar_id)
    mapping = svc.store.mappings("acme", ITEM)["day2"]
    sandbox.edit_delete(calendar_id, mapping.event_id)
    (change,) = svc.changes.read("acme", calendar_id)
    assert change.deleted
    assert change.item_key == ITEM
    assert change.mapping.part_key == "day2"


def test_an_invalid_token_is_answered_by_a_full_relist(
    calendar_id: str, svc: Services, sandbox: Any
) -> None:
    """410 fullSyncRequired: calsync lists the calendar again without a token and stores the
    new one."""
    svc.store.save_sync_token("acme", calendar_id, "no-longer-valid")
    before = len(list_statuses(sandbox))
    found = svc.changes.read("acme", calendar_id)
    assert {c.mapping.part_key for c in found} == {"day1", "day2"}
    assert list_statuses(sandbox)[before:] == [410, 200]
    fresh = svc.store.watched("acme", calendar_id).sync_token  # type: ignore[union-attr]
    assert fresh
    assert fresh != "no-longer-valid"
    assert svc.changes.read("acme", calendar_id) == []
