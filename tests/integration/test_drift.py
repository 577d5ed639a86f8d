"""Two-way sync, drift: a person edits calsync's event in Google Calendar; calsync puts it back
(``drift_policy: repair``) or reports it (``report``), through the whole path: the sandbox's
push to on_calendar_change, the coalesced calendar_changed task, the repair task."""

from __future__ import annotations

from typing import Any

import pytest

from calsync.entrypoints.platform_events import Outcome
from calsync.entrypoints.services import Services
from calsync.sync.event_ids import event_id
from calsync_dev.dates import at
from tests.integration.conftest import Deliver
from tests.integration.test_watch_channels import wait_for_due_tasks
from tests.unit.factories import settings_message, upsert_message

ITEM = "event:evt_123"
BOB = "bob@acme.com"


def synced(deliver: Deliver, svc: Services, sandbox: Any, policy: str) -> str:
    """acme with two-way sync and ``policy``, its item synced and quiet; the calendar id."""
    message = settings_message(version=2, two_way_sync=True, drift_policy=policy)
    assert deliver(message) is Outcome.ACK
    assert deliver(upsert_message(version=1)) is Outcome.ACK
    settle(sandbox)
    tenant = svc.store.get_tenant("acme")
    assert tenant is not None
    assert tenant.platform_calendar_id
    return tenant.platform_calendar_id


def settle(sandbox: Any) -> None:
    """Every notification delivered and every task it caused run (twice: a repair notifies)."""
    for _ in range(3):
        sandbox.drain_push()
        wait_for_due_tasks(sandbox)


def event(svc: Services, calendar_id: str, eid: str) -> dict[str, Any]:
    """The event as its organizer (the platform identity) reads it from the API."""
    found = svc.platform_gateway().get_event(calendar_id, eid)
    assert found is not None
    return found


def ledger(svc: Services, operation: str) -> list[Any]:
    return [e for e in svc.store.ledger("acme", ITEM) if e.operation == operation]


@pytest.fixture
def repair(acme: str, deliver: Deliver, svc: Services, sandbox: Any) -> str:
    return synced(deliver, svc, sandbox, "repair")


@pytest.fixture
def report(acme: str, deliver: Deliver, svc: Services, sandbox: Any) -> str:
    return synced(deliver, svc, sandbox, "report")


def test_calsyncs_own_writes_are_no_drift(
    repair: str, deliver: Deliver, svc: Services, sandbox: Any, results: Any
) -> None:
    """The platform's own change notifies the channel too; it is recognised and left alone."""
    deliver(upsert_message(version=2, title="Intro to Python, revised"))
    settle(sandbox)
    assert ledger(svc, "drift") == []
    assert [r for r in results.drain() if r["status"] == "drifted"] == []


def test_a_move_in_google_is_put_back_and_attendees_told(
    repair: str, svc: Services, sandbox: Any, results: Any
) -> None:
    """The organizer drags day 1 elsewhere: one patch puts the time back with sendUpdates=all
    and a drifted result names the time."""
    mapping = svc.store.mappings("acme", ITEM)["day1"]
    before = event(svc, repair, mapping.event_id)
    start = {"dateTime": at(40, "09:00"), "timeZone": "UTC"}
    end = {"dateTime": at(40, "10:00"), "timeZone": "UTC"}
    sandbox.edit_move(repair, mapping.event_id, start, end)
    settle(sandbox)
    after = event(svc, repair, mapping.event_id)
    assert after["start"] == before["start"]
    assert after["end"] == before["end"]
    (drifted,) = results.wait_for(1, status="drifted")
    assert drifted["drifted_fields"] == ["time"]
    assert drifted["error_code"] == "repaired"
    (entry,) = ledger(svc, "drift")
    assert entry.outcome == "repaired"
    patches = [e for e in ledger(svc, "patch") if e.part_key == "day1"]
    assert patches[-1].send_updates == "all"


def test_a_cosmetic_edit_is_put_back_silently(
    repair: str, svc: Services, sandbox: Any, results: Any
) -> None:
    """A retitle is put back with sendUpdates=none."""
    mapping = svc.store.mappings("acme", ITEM)["day2"]
    title = event(svc, repair, mapping.event_id)["summary"]
    sandbox.edit_retitle(repair, mapping.event_id, "Pizza party")
    settle(sandbox)
    assert event(svc, repair, mapping.event_id)["summary"] == title
    (drifted,) = results.wait_for(1, status="drifted")
    assert drifted["drifted_fields"] == ["title"]
    patches = [e for e in ledger(svc, "patch") if e.part_key == "day2"]
    assert patches[-1].send_updates == "none"


def test_an_event_deleted_in_google_is_recreated_under_the_next_generation(
    repair: str, svc: Services, sandbox: Any, results: Any
) -> None:
    """A delete: the part is created again under generation 1's id, the tombstone stays
    cancelled, and bob (a host) holds exactly one live event for the part."""
    mapping = svc.store.mappings("acme", ITEM)["day1"]
    sandbox.edit_delete(repair, mapping.event_id)
    settle(sandbox)
    again = svc.store.mappings("acme", ITEM)["day1"]
    assert again.generation == 1
    assert again.event_id == event_id("acme", ITEM, "day1", 1)
    assert event(svc, repair, mapping.event_id)["status"] == "cancelled"
    assert event(svc, repair, again.event_id)["status"] == "confirmed"
    (drifted,) = results.wait_for(1, status="drifted")
    assert drifted["drifted_fields"] == ["status"]
    (held,) = sandbox.calendar_view(BOB)  # bob hosts day1 only: one entry, not two
    assert held["event_id"] == again.event_id


def test_a_guest_added_by_hand_is_removed_under_repair(
    repair: str, svc: Services, sandbox: Any, results: Any
) -> None:
    """An extra guest added in Google is taken off again, and reported."""
    mapping = svc.store.mappings("acme", ITEM)["day1"]
    sandbox.edit_add_guest(repair, mapping.event_id, "erin@acme.com")
    settle(sandbox)
    guests = {a["email"] for a in event(svc, repair, mapping.event_id)["attendees"]}
    assert "erin@acme.com" not in guests
    (drifted,) = results.wait_for(1, status="drifted")
    assert drifted["drifted_fields"] == ["attendees"]
    (entry,) = ledger(svc, "drift")
    assert entry.detail["guests_added_in_google"] == ["erin@acme.com"]


def test_report_leaves_the_edit_and_says_so(
    report: str, svc: Services, sandbox: Any, results: Any
) -> None:
    """Under report a hand-added guest and a delete stay as they are; each is published as
    drifted (reported) and written in the ledger."""
    day1 = svc.store.mappings("acme", ITEM)["day1"]
    day2 = svc.store.mappings("acme", ITEM)["day2"]
    sandbox.edit_add_guest(report, day1.event_id, "erin@acme.com")
    sandbox.edit_delete(report, day2.event_id)
    settle(sandbox)
    guests = {a["email"] for a in event(svc, report, day1.event_id)["attendees"]}
    assert "erin@acme.com" in guests
    assert event(svc, report, day2.event_id)["status"] == "cancelled"
    drifted = results.wait_for(2, status="drifted")
    assert {(r["part_key"], tuple(r["drifted_fields"]), r["error_code"]) for r in drifted} == {
        ("day1", ("attendees",), "reported"),
        ("day2", ("status",), "reported"),
    }
    assert {e.outcome for e in ledger(svc, "drift")} == {"reported"}
    assert svc.store.mappings("acme", ITEM)["day2"].generation == 0


def test_an_attendee_declining_is_published_as_responded(
    repair: str, svc: Services, sandbox: Any, results: Any
) -> None:
    """Bob (a host) declines day 1 in Google: the platform receives responded/declined for
    him, once; an answer is no drift, so nothing is written back."""
    mapping = svc.store.mappings("acme", ITEM)["day1"]
    sandbox.respond(BOB, repair, mapping.event_id, "declined")
    settle(sandbox)
    (answer,) = results.wait_for(1, status="responded")
    assert (answer["email"], answer["response"], answer["part_key"]) == (BOB, "declined", "day1")
    assert answer["item"] == {"kind": "event", "id": "evt_123"}
    sandbox.respond(BOB, repair, mapping.event_id, "accepted")
    settle(sandbox)
    seen = [r for r in results.drain() if r["status"] in ("responded", "drifted")]
    assert [(r["status"], r.get("response")) for r in seen] == [
        ("responded", "declined"),
        ("responded", "accepted"),
    ]
    assert ledger(svc, "drift") == []


def test_explain_tells_what_someone_changed_in_google_and_what_calsync_did(
    repair: str, svc: Services, sandbox: Any
) -> None:
    """`calsync explain` for a guest added by hand names the change, the person and the repair."""
    from calsync.sync.explain import explain

    mapping = svc.store.mappings("acme", ITEM)["day1"]
    sandbox.edit_add_guest(repair, mapping.event_id, "erin@acme.com")
    settle(sandbox)
    store = svc.store
    text = "\n".join(
        explain(
            store.get_tenant("acme"),
            store.get_item("acme", ITEM),
            store.mappings("acme", ITEM),
            store.ledger("acme", ITEM),
            "erin@acme.com",
        )
    )
    assert (
        "changed in Google Calendar (attendees) at v1: calsync put it back; "
        "guests added there: erin@acme.com (erin@acme.com was added by hand, not by calsync)"
    ) in text


def test_a_deletion_read_before_calsync_put_the_event_back_is_no_drift(
    repair: str, svc: Services, sandbox: Any
) -> None:
    """A calendar read can report an event as it was before calsync's last write: seed
    100113180 read calsync's own earlier delete while a reconcile restored the event, and the
    repair created the part again under a new id (people held two entries). Under the item's
    lease the event is read again: Google has what calsync wrote, so nothing is repaired."""
    from calsync.sync.calendar_changes import ManagedChange
    from calsync.sync.drift import Drift
    from calsync.sync.owners import Owner

    mapping = svc.store.mappings("acme", ITEM)["day1"]
    stale = {**event(svc, repair, mapping.event_id), "status": "cancelled", "etag": '"older"'}
    tenant = svc.store.get_tenant("acme")
    assert tenant is not None
    gateway = svc.platform_gateway()
    owner = Owner("platform", gateway.identity, repair, gateway)
    change = ManagedChange(tenant, owner, ITEM, mapping, stale)

    assert Drift(svc.store, svc.results, svc.tasks).check(change) == []

    after = svc.store.mappings("acme", ITEM)["day1"]
    assert (after.generation, after.event_id, after.etag) == (0, mapping.event_id, mapping.etag)
    settle(sandbox)
    assert [e["event_id"] for e in sandbox.calendar_view(BOB)] == [mapping.event_id]
