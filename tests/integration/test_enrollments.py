"""Enrollments: attendance recorded per person, writes coalesced through Cloud Tasks.

In-process handler calls against the emulators and the sandbox; the coalesced
flush is a real Cloud Task, dispatched by the sandbox to the `reconcile`
function running under functions-framework.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from calsync.contracts import ItemRef
from calsync.entrypoints.enrollment_events import handle_enrollment
from calsync.entrypoints.platform_events import Outcome
from calsync.entrypoints.services import Services
from calsync_dev.dates import at
from tests.integration.conftest import Deliver, calendar, wait_for_tasks
from tests.unit.factories import NEW_YORK, delete_message, settings_message, upsert_message

ITEM = {"kind": "event", "id": "evt_123"}
Enroll = Callable[..., Outcome]


def _message(changes: list[tuple[str, str, int]], tenant_id: str = "acme") -> dict[str, Any]:
    return {
        "type": "enrollment.changed",
        "tenant_id": tenant_id,
        "item": ITEM,
        "changes": [{"email": e, "status": s, "version": v} for e, s, v in changes],
    }


@pytest.fixture
def enroll(svc: Services) -> Enroll:
    """Deliver one enrollment.changed message, as on_enroll would."""

    def send(*changes: tuple[str, str, int], tenant_id: str = "acme") -> Outcome:
        body = json.dumps(_message(list(changes), tenant_id)).encode()
        return handle_enrollment(svc, body)

    return send


def _attendees(sandbox: Any, part: int = 0) -> set[str]:
    events = sorted(calendar(sandbox, "alice@acme.com"), key=lambda e: e["start"]["dateTime"])
    return {a for a in events[part]["attendees"]} if events else set()


def _wait(check: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def _flush(sandbox: Any) -> None:
    """Wait until every scheduled flush has run (each fires when its window ends)."""
    wait_for_tasks(sandbox)


def test_enrolled_person_becomes_an_attendee_of_every_part(
    acme: str, deliver: Deliver, enroll: Enroll, sandbox: Any
) -> None:
    """An enrolled person is invited to each part of the item."""
    deliver(upsert_message(version=1))
    assert enroll(("carol@acme.com", "enrolled", 1)) is Outcome.ACK
    _flush(sandbox)
    assert _wait(lambda: len(calendar(sandbox, "carol@acme.com")) == 2)


def test_a_burst_is_one_scheduled_flush_and_one_write_per_part(
    acme: str, deliver: Deliver, enroll: Enroll, sandbox: Any, svc: Services
) -> None:
    """Ten messages in one window schedule one task; the flush writes each part once."""
    svc.settings = replace(svc.settings, coalesce_seconds=30)  # surely one window
    deliver(upsert_message(version=1))
    patches_before = sandbox.request_counts()["counts"].get("calendar.events.patch", 0)
    for n in range(10):
        enroll((f"learner{n}@acme.com", "enrolled", 1))
    assert len(sandbox.tasks()) == 1
    sandbox.run_tasks(include_future=True)  # the window is long: run its flush now
    _flush(sandbox)
    assert _wait(lambda: len(_attendees(sandbox)) == 12)  # bob + alice's host list + 10
    patches = sandbox.request_counts()["counts"].get("calendar.events.patch", 0) - patches_before
    assert patches == 2


def test_waitlisted_people_are_not_invited(
    acme: str, deliver: Deliver, enroll: Enroll, sandbox: Any
) -> None:
    """Only enrolled people are attendees."""
    deliver(upsert_message(version=1))
    enroll(("carol@acme.com", "enrolled", 1), ("erin@acme.com", "waitlisted", 1))
    _flush(sandbox)
    assert _wait(lambda: "carol@acme.com" in _attendees(sandbox))
    assert "erin@acme.com" not in _attendees(sandbox)
    assert sandbox.notifications(recipient="erin@acme.com") == []


def _attendee_writes(svc: Services) -> list[str]:
    """The ``sendUpdates`` of each attendee-only write calsync made to the item."""
    entries = svc.store.ledger("acme", "event:evt_123")
    return [e.send_updates for e in entries if e.reason == "changed: attendees"]


def test_a_burst_of_enrollments_mails_nobody_already_on_the_event(
    acme: str, deliver: Deliver, enroll: Enroll, sandbox: Any, svc: Services
) -> None:
    """By default attendee-only writes use sendUpdates=none: with Google's strict reading,
    ``all`` would e-mail every guest on each flush, not only the newly enrolled."""
    deliver(upsert_message(version=1))
    enroll(("carol@acme.com", "enrolled", 1))
    _flush(sandbox)
    assert _wait(lambda: "carol@acme.com" in _attendees(sandbox))
    mails_before = len(sandbox.notifications())
    for n in range(10):
        enroll((f"learner{n}@acme.com", "enrolled", 1))
    _flush(sandbox)
    assert _wait(lambda: len(_attendees(sandbox)) == 13)
    assert sandbox.notifications()[mails_before:] == []
    assert _attendee_writes(svc)
    assert set(_attendee_writes(svc)) == {"none"}


def test_a_tenant_can_choose_to_notify_on_enrollment(
    acme: str, deliver: Deliver, enroll: Enroll, sandbox: Any, svc: Services
) -> None:
    """``attendee_notifications: all`` writes enrollments with sendUpdates=all."""
    deliver(settings_message(version=2, attendee_notifications="all"))
    deliver(upsert_message(version=1))
    enroll(("carol@acme.com", "enrolled", 1))
    _flush(sandbox)
    assert _wait(lambda: len(calendar(sandbox, "carol@acme.com")) == 2)
    assert [n["kind"] for n in sandbox.notifications(recipient="carol@acme.com")] == [
        "invitation",
        "invitation",
    ]
    assert set(_attendee_writes(svc)) == {"all"}


def test_unenrolled_person_is_removed_without_mail_by_default(
    acme: str, deliver: Deliver, enroll: Enroll, sandbox: Any
) -> None:
    """Unenrolling removes the attendee from every part; nobody is e-mailed."""
    deliver(upsert_message(version=1))
    enroll(("carol@acme.com", "enrolled", 1), ("erin@acme.com", "enrolled", 1))
    _flush(sandbox)
    assert _wait(lambda: {"carol@acme.com", "erin@acme.com"} <= _attendees(sandbox))
    mails_before = len(sandbox.notifications())
    enroll(("erin@acme.com", "unenrolled", 2))
    _flush(sandbox)
    assert _wait(lambda: "erin@acme.com" not in _attendees(sandbox))
    assert sandbox.notifications()[mails_before:] == []
    assert calendar(sandbox, "erin@acme.com") == []


def test_under_notify_all_an_unenrollment_mails_every_remaining_guest(
    acme: str, deliver: Deliver, enroll: Enroll, sandbox: Any
) -> None:
    """``attendee_notifications: all`` cancels for the person leaving and, under Google's
    strict reading of sendUpdates, sends an update to every guest who stays: the cost the
    silent default avoids."""
    deliver(settings_message(version=2, attendee_notifications="all"))
    deliver(upsert_message(version=1))
    enroll(("carol@acme.com", "enrolled", 1), ("erin@acme.com", "enrolled", 1))
    _flush(sandbox)
    assert _wait(lambda: {"carol@acme.com", "erin@acme.com"} <= _attendees(sandbox))
    bob_before = len(sandbox.notifications(recipient="bob@acme.com"))
    enroll(("erin@acme.com", "unenrolled", 2))
    _flush(sandbox)
    assert _wait(lambda: "erin@acme.com" not in _attendees(sandbox))
    kinds = [n["kind"] for n in sandbox.notifications(recipient="erin@acme.com")]
    assert kinds.count("cancellation") == 2  # one per part
    bob_after = sandbox.notifications(recipient="bob@acme.com")[bob_before:]
    assert bob_after  # bob hosts the item: he stays on it
    assert {n["kind"] for n in bob_after} == {"update"}
    assert calendar(sandbox, "erin@acme.com") == []


def test_latest_version_wins_whatever_the_order(
    acme: str, deliver: Deliver, enroll: Enroll, sandbox: Any, svc: Services
) -> None:
    """A late, older change does not undo a newer one."""
    enroll(("carol@acme.com", "unenrolled", 5))
    enroll(("carol@acme.com", "enrolled", 3))
    stored = svc.store.attendance("acme", "event:evt_123", "carol@acme.com")
    assert stored is not None
    assert (stored["status"], stored["version"]) == ("unenrolled", 5)


def test_hosts_are_never_removed_by_unenrollment(
    acme: str, deliver: Deliver, enroll: Enroll, sandbox: Any
) -> None:
    """A host who unenrolls stays an attendee (as host), listed once."""
    deliver(upsert_message(version=1))
    enroll(("bob@acme.com", "enrolled", 1))
    _flush(sandbox)
    enroll(("bob@acme.com", "unenrolled", 2))
    _flush(sandbox)
    events = calendar(sandbox, "alice@acme.com")
    day1 = next(e for e in events if e["summary"].endswith("(1/2)"))
    assert day1["attendees"].count("bob@acme.com") == 1


def test_enrollment_before_the_item_is_applied_when_it_arrives(
    acme: str, deliver: Deliver, enroll: Enroll, sandbox: Any
) -> None:
    """Attendance recorded first shows up once the item is created."""
    enroll(("carol@acme.com", "enrolled", 1))
    _flush(sandbox)
    deliver(upsert_message(version=1))
    assert len(calendar(sandbox, "carol@acme.com")) == 2


def test_enrollment_for_a_deleted_item_is_ignored_and_reported(
    acme: str, deliver: Deliver, enroll: Enroll, sandbox: Any, results: Any
) -> None:
    """No task and no Google write for a deleted item; a skipped result says why."""
    deliver(upsert_message(version=1))
    deliver(delete_message(version=2))
    enroll(("carol@acme.com", "enrolled", 1))
    assert sandbox.tasks() == []
    skipped = results.wait_for(1, status="skipped")
    assert skipped[0]["error_code"] == "item_deleted"


def test_existing_responses_survive_a_flush(
    acme: str, deliver: Deliver, enroll: Enroll, sandbox: Any
) -> None:
    """Bob accepted; adding carol keeps bob's responseStatus."""
    deliver(upsert_message(version=1))
    event = next(e for e in calendar(sandbox, "bob@acme.com"))
    sandbox.respond("bob@acme.com", event["calendar_id"], event["event_id"], "accepted")
    enroll(("carol@acme.com", "enrolled", 1))
    _flush(sandbox)
    assert _wait(lambda: "carol@acme.com" in _attendees(sandbox))
    bob_view = next(e for e in calendar(sandbox, "bob@acme.com"))
    assert bob_view["response_status"] == "accepted"


def test_two_flushes_at_once_never_lose_an_attendee(
    acme: str, deliver: Deliver, enroll: Enroll, sandbox: Any, svc: Services
) -> None:
    """Concurrent reconciles of one item serialize; the final list has everyone."""
    deliver(upsert_message(version=1))
    enroll(("carol@acme.com", "enrolled", 1))
    errors: list[BaseException] = []

    def flush_with_retry() -> None:
        for _ in range(50):
            try:
                svc.reconciler.reconcile("acme", ItemRef(kind="event", id="evt_123"))
                return
            except Exception as exc:  # ItemBusy: the other flush holds the lease
                errors.append(exc)
                time.sleep(0.05)

    threads = [threading.Thread(target=flush_with_retry) for _ in range(2)]
    for thread in threads:
        thread.start()
    enroll(("erin@acme.com", "enrolled", 1))
    for thread in threads:
        thread.join()
    svc.reconciler.reconcile("acme", ItemRef(kind="event", id="evt_123"))
    assert {"carol@acme.com", "erin@acme.com"} <= _attendees(sandbox)
    assert all(type(e).__name__ == "ItemBusy" for e in errors)


def test_unknown_tenant_enrollment_is_rejected_but_kept(
    svc: Services, enroll: Enroll, results: Any
) -> None:
    """Enrollments for a tenant without settings are kept and reported as rejected."""
    assert enroll(("carol@acme.com", "enrolled", 1), tenant_id="nobody") is Outcome.ACK
    assert results.wait_for(1, status="rejected")[0]["error_code"] == "unknown_tenant"
    assert svc.store.attendance("nobody", "event:evt_123", "carol@acme.com") is not None


def test_bulk_message_over_the_limit_is_rejected(svc: Services, results: Any) -> None:
    """More than 10,000 changes in one message is rejected with a clear reason."""
    changes = [(f"p{n}@acme.com", "enrolled", 1) for n in range(10_001)]
    body = json.dumps(_message(changes)).encode()
    assert handle_enrollment(svc, body) is Outcome.ACK
    rejected = results.wait_for(1, status="rejected")
    assert "10000" in rejected[0]["error_message"]


def test_five_thousand_attendees_on_one_part(
    acme: str, deliver: Deliver, enroll: Enroll, sandbox: Any
) -> None:
    """A company-wide cohort in one bulk message: one write per part, guest list hidden."""
    deliver(
        upsert_message(
            version=1,
            parts=[
                {
                    "key": "all-hands",
                    "start": at(1, "10:00", NEW_YORK),
                    "end": at(1, "11:00", NEW_YORK),
                }
            ],
        )
    )
    cohort = [(f"learner{n:04d}@acme.com", "enrolled", 1) for n in range(5000)]
    assert enroll(*cohort) is Outcome.ACK
    _flush(sandbox)
    event = calendar(sandbox, "alice@acme.com")[0]
    assert len(event["attendees"]) == 5002  # alice, bob and the cohort
    full = sandbox.requests(method_id="calendar.events.patch")
    assert len(full) == 1
    assert sandbox.request_counts()["counts"].get("calendar.events.insert", 0) == 1
