"""Two-way sync: rooms' answers that come late are read back and published once.

Organizer mode (alice connected through the real OAuth flow) with two-way sync on: alice's
calendar is watched. Room Pine answers only when a test lets it (``complete_pending(["room"])``;
its answer delay is an hour on the sandbox clock, which nothing moves). Its answer changes the
event, the sandbox pushes a notification to on_calendar_change, and the calendar_changed task
reads it back; the rooms follow-up, real Cloud Tasks too, reads the same answer when it is still
running. The platform must hear each answer once, in the follow-up's shape.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from calsync.contracts import ItemRef
from calsync.entrypoints.platform_events import Outcome
from calsync.entrypoints.services import Services
from calsync.google.cloud_tasks import task_name
from calsync.sync.follow_ups import MAX_FOLLOW_UPS
from calsync_dev.dates import at
from tests.integration.conftest import Deliver, wait_for_tasks
from tests.integration.oauth_fixtures import Browser
from tests.unit.factories import NEW_YORK, settings_message, upsert_message

pytest_plugins = ["tests.integration.oauth_fixtures"]

ALICE = "alice@acme.com"
PINE = "hq-4-pine@resource.calendar.google.com"
ONE_PART = [{"key": "p", "start": at(1, "10:00", NEW_YORK), "end": at(1, "11:00", NEW_YORK)}]
LIVE = ("scheduled", "running", "retrying")


def item(version: int, item_id: str = "evt_123", **fields: Any) -> dict[str, Any]:
    return upsert_message(version=version, id=item_id, parts=ONE_PART, **fields)


@pytest.fixture
def watched(
    organizers: tuple[str, ...], browser: Browser, sandbox: Any, deliver: Deliver, svc: Services
) -> str:
    """acme in organizer mode with two-way sync (drift reported), alice connected, and room
    Pine, which answers only when the test completes its pending answers. Starts in a fresh
    coalescing window (``next_window``): the function instances outlive the sandbox's reset
    and remember the task names they created, so a notification in the window of the previous
    test's last one would be taken for scheduled already."""
    sandbox.seed_room(PINE, "Pine", 8, "HQ", "4", domain="acme.com", answer_delay=3600.0)
    message = settings_message(
        version=2, use_organizer_accounts=True, two_way_sync=True, drift_policy="report"
    )
    assert deliver(message) is Outcome.ACK
    assert browser.connect(ALICE).status_code == 200
    wait_for_tasks(sandbox)
    next_window(svc)
    return ALICE


def run_everything(sandbox: Any, svc: Services) -> None:
    """Deliver every notification and run every task now, future ones too, until only the
    channels' renewals are left (each schedules the next, days ahead): every follow-up chain
    has ended and every read has run."""
    for _ in range(MAX_FOLLOW_UPS + 4):
        sandbox.drain_push()
        renewals = {
            f"{svc.settings.tasks_queue}/tasks/{task_name('renew_channel', c.id)}"
            for c in svc.store.channels("acme")
        }
        if not [t for t in sandbox.tasks() if t["state"] in LIVE and t["name"] not in renewals]:
            return
        sandbox.run_tasks(include_future=True)
    raise AssertionError(json.dumps(sandbox.tasks(), indent=1))


def next_window(svc: Services) -> None:
    """Let the coalescing window turn: ``run_everything`` runs a calendar_changed task before
    its window ends, and a notification later in that window would name the same finished
    task (Cloud Tasks keeps the name) and be coalesced into a read that already happened."""
    time.sleep(svc.settings.calendar_change_seconds + 0.5)


def with_rooms(results: Any, rooms: dict[str, str], item_id: str = "evt_123") -> list[Any]:
    """The synced results of ``item_id`` that carry exactly these rooms' answers, so far."""
    return [
        r
        for r in results.drain()
        if r["status"] == "synced"
        and r["item"]["id"] == item_id
        and r.get("room_responses") == rooms
    ]


def test_rooms_answering_after_the_follow_ups_are_published_once(
    watched: str, deliver: Deliver, svc: Services, sandbox: Any, results: Any
) -> None:
    """Two items want Pine at the same time; both invitations are still unanswered when the
    follow-up chains end. Pine then accepts the first and declines the second: the read of
    alice's calendar publishes a synced result with each answer and room_declined for the
    second, as the follow-up would have, records them, and later reads publish nothing again."""
    deliver(item(1, room_emails=[PINE]))
    deliver(item(1, item_id="evt_clash", title="Clash", room_emails=[PINE]))
    run_everything(sandbox, svc)
    assert [p["kind"] for p in sandbox.pending()] == ["room", "room"]
    assert with_rooms(results, {PINE: "accepted"}) == []
    assert svc.store.mappings("acme", "event:evt_123")["p"].room_responses == {PINE: "needsAction"}

    next_window(svc)
    sandbox.complete_pending(["room"])
    run_everything(sandbox, svc)

    (accepted,) = with_rooms(results, {PINE: "accepted"})
    assert accepted["source_version"] == 1
    assert accepted["calendar_id"] == ALICE
    (declined,) = with_rooms(results, {PINE: "declined"}, "evt_clash")
    (refusal,) = [r for r in results.drain() if r["status"] == "room_declined"]
    assert refusal["item"]["id"] == "evt_clash"
    assert PINE in refusal["error_message"]
    assert declined["event_id"] == refusal["event_id"]
    assert not [r for r in results.drain() if r["status"] in ("responded", "drifted")]
    mapping = svc.store.mappings("acme", "event:evt_123")["p"]
    assert mapping.room_responses == {PINE: "accepted"}

    next_window(svc)
    sandbox.edit_retitle(mapping.calendar_id, mapping.event_id, "Renamed in Google")  # another read
    run_everything(sandbox, svc)
    assert results.wait_for(1, status="drifted")
    assert len(with_rooms(results, {PINE: "accepted"})) == 1
    assert len([r for r in results.drain() if r["status"] == "room_declined"]) == 1


def wait_for_reads(sandbox: Any, timeout: float = 20.0) -> None:
    """Wait until every task due within ten seconds has been tried at least once: the reads
    notifications cause (due a window later), not the follow-ups (20 s after a write)."""
    deadline = time.monotonic() + timeout
    while True:
        soon = datetime.now(UTC) + timedelta(seconds=10)
        waiting = [
            t
            for t in sandbox.tasks()
            if t["state"] == "running"
            or (
                t["state"] == "scheduled"
                and datetime.fromisoformat(t["schedule_time"].replace("Z", "+00:00")) < soon
            )
        ]
        if not waiting:
            return
        assert time.monotonic() < deadline, waiting
        time.sleep(0.1)


@pytest.mark.parametrize("first", ["read", "follow-up", "busy item"])
def test_a_room_answering_while_the_follow_ups_run_is_published_once(
    first: str, watched: str, deliver: Deliver, svc: Services, sandbox: Any, results: Any
) -> None:
    """Pine accepts right after the write, so the read its notification causes and the
    follow-up chain both see the answer. Whichever takes the item's lease first publishes and
    records it, the other finds nothing new; a read that finds the item busy fails and is run
    again. The platform hears the answer once."""
    ref = ItemRef.model_validate({"kind": "event", "id": "evt_123"})
    deliver(item(1, room_emails=[PINE]))
    (written,) = results.wait_for(1, status="synced")
    assert written["room_responses"] == {PINE: "needsAction"}
    if first == "busy item":
        assert svc.store.acquire_lease("acme", ref.key, "a-reconcile", 60)
    sandbox.complete_pending(["room"])
    if first == "follow-up":
        reported = svc.reconciler.follow_up("acme", ref, 0)
        assert [r.room_responses for r in reported] == [{PINE: "accepted"}]
    sandbox.drain_push()
    wait_for_reads(sandbox)
    if first == "read":
        assert results.wait_for(1, timeout=5, status="synced", room_responses={PINE: "accepted"})
    if first == "busy item":
        assert with_rooms(results, {PINE: "accepted"}) == []
        assert any(t["last_status"] == 503 for t in sandbox.tasks())
        svc.store.release_lease("acme", ref.key, "a-reconcile")
    run_everything(sandbox, svc)
    assert len(with_rooms(results, {PINE: "accepted"})) == 1
    assert svc.store.mappings("acme", ref.key)["p"].room_responses == {PINE: "accepted"}
