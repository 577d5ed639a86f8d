"""Hardening of the orphan sweeper (issue 11, item 2 f, g, j, k and the second hop).

Alice (organizer, connected through the real OAuth flow) owns future events; her account
is suspended; the sweeper hands them over through the sandbox's Directory and Data
Transfer. Her successors (dan, erin, ops) never connect: calsync reaches them through the
admin identity's domain-wide delegation (the stack's key, the one the functions hold too).
Follow-ups and retries are real Cloud Tasks, run by the reconcile function.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from calsync.contracts import EnrollmentChange, ItemRef
from calsync.entrypoints.platform_events import handle_platform_event
from calsync.entrypoints.services import Services, services
from calsync.sweeper.sweep import Sweeper
from calsync_dev.dates import at
from tests.integration.conftest import wait_for_tasks
from tests.integration.oauth_fixtures import Browser
from tests.unit.factories import NEW_YORK, delete_message, settings_message, upsert_message

pytest_plugins = ["tests.integration.oauth_fixtures"]

PINE = "hq-4-pine@resource.calendar.google.com"
ALICE, DAN, ERIN, OPS, CAROL = (
    "alice@acme.com",
    "dan@acme.com",
    "erin@acme.com",
    "ops@acme.com",
    "carol@acme.com",
)
ONE_PART = [{"key": "p", "start": at(1, "10:00", NEW_YORK), "end": at(1, "11:00", NEW_YORK)}]
EVT = ItemRef(kind="event", id="evt_123")


def deliver(message: dict[str, Any]) -> None:
    handle_platform_event(services(), json.dumps(message).encode())


@pytest.fixture
def tenant(organizers: tuple[str, ...], browser: Browser, sandbox: Any) -> Services:
    """acme in organizer mode with an admin identity and a fallback; alice connected."""
    for email in (DAN, ERIN, OPS, CAROL):
        sandbox.seed_user(email)
    sandbox.seed_user("gadmin@acme.com", admin=True)
    sandbox.seed_room(PINE, "Pine", 8, "HQ", "4", domain="acme.com")
    sandbox.set_meet(delay=0.0, fail=False)
    sandbox.set_transfer_delay(0.0)
    deliver(
        settings_message(
            version=5,
            use_organizer_accounts=True,
            admin_email="gadmin@acme.com",
            fallback_organizer_email=OPS,
        )
    )
    assert browser.connect(ALICE).status_code == 200
    wait_for_tasks(sandbox)
    return services()


def _item(version: int = 1, item_id: str = "evt_123", **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "host_emails": [DAN],
        "room_emails": [],
        "conference": None,
        "parts": ONE_PART,
    }
    return upsert_message(version=version, id=item_id, **{**base, **fields})


def _synced_with_carol(svc: Services, message: dict[str, Any]) -> ItemRef:
    """Deliver ``message``, enroll carol and reconcile: alice's event with carol invited."""
    deliver(message)
    ref = ItemRef(kind="event", id=message["item"]["id"])
    svc.store.record_attendance(
        "acme", ref, [EnrollmentChange(email=CAROL, status="enrolled", version=1)]
    )
    svc.reconciler.reconcile("acme", ref)
    return ref


# -- f. a hand-over whose reconcile fails is finished later -----------------------------------
@pytest.mark.parametrize("failure", ["held lease", "Google unavailable"])
def test_a_hand_over_whose_reconcile_fails_is_finished_later(
    failure: str, tenant: Services, sandbox: Any, results: Any
) -> None:
    """Defect f: alice suspended; the sweeper re-maps her part to dan and sets the successor,
    then the reconcile fails (another worker holds the item's lease, or Google answers 503
    until the retry deadline). Before: counted as failed, and the next sweep no longer found
    the part (it belongs to dan now): the room released by the transfer was never booked
    again and no ``transferred`` result was published. Now a named task (or the next sweep)
    finishes the hand-over."""
    _synced_with_carol(tenant, _item(room_emails=[PINE]))
    sandbox.update_user(ALICE, suspended=True)
    if failure == "held lease":
        assert tenant.store.acquire_lease("acme", EVT.key, "someone-else", 300)
    else:
        sandbox.inject_fault("calendar.events.patch", user=DAN, status=503)
    first = Sweeper(tenant).sweep()
    if failure == "held lease":  # a reconcile in flight: the re-map itself waits for the lease
        assert (first.parts_transferred, first.hand_overs_retrying) == (0, 1)
    else:
        assert first.parts_transferred == 1
    assert results.wait_for(1, status="transferred", timeout=2) == []
    if failure == "held lease":
        tenant.store.release_lease("acme", EVT.key, "someone-else")
    else:
        sandbox.clear_faults()
    # the named task finishes the hand-over; its rooms answer after the write (as at Google),
    # so the follow-up it schedules runs too
    sandbox.run_tasks(include_future=True)
    wait_for_tasks(sandbox, run_future=True)
    assert tenant.store.hand_overs("acme") == []
    transferred = results.wait_for(1, status="transferred")
    assert [r["event_id"] for r in transferred] == [
        tenant.store.mappings("acme", EVT.key)["p"].event_id
    ]
    carol = sandbox.calendar_view(CAROL)
    assert [e["organizer"] for e in carol] == [DAN]
    assert PINE in carol[0]["attendees"]  # booked again after the transfer released it
    assert tenant.store.mappings("acme", EVT.key)["p"].room_responses == {PINE: "accepted"}


def test_the_next_sweep_finishes_a_hand_over_its_task_did_not(
    tenant: Services, sandbox: Any, results: Any
) -> None:
    """Defect f, the safety net: the hand-over was interrupted and its task has not run
    (or gave up); the next sweep finishes it from the remembered hand-over."""
    _synced_with_carol(tenant, _item(room_emails=[PINE]))
    sandbox.update_user(ALICE, suspended=True)
    assert tenant.store.acquire_lease("acme", EVT.key, "someone-else", 300)
    assert Sweeper(tenant).sweep().hand_overs_retrying == 1
    tenant.store.release_lease("acme", EVT.key, "someone-else")
    second = Sweeper(tenant).sweep()
    assert [(a["item"], a["status"]) for a in second.actions] == [(EVT.key, "done")]
    assert len(results.wait_for(1, status="transferred")) == 1
    assert PINE in sandbox.calendar_view(CAROL)[0]["attendees"]


# -- g. calsync keeps acting on events it placed through delegation ----------------------------
def test_a_delegated_successor_named_organizer_still_gets_enrollment_changes(
    tenant: Services, sandbox: Any, results: Any
) -> None:
    """Defect g: alice suspended, her event handed to dan (not connected: reached through
    the admin's delegation). The platform then names dan the organizer, which clears the
    item's successor; delegation was allowed only for the current successor, so the part
    was stuck with ``needs_consent`` and erin's enrollment never reached the event."""
    _synced_with_carol(tenant, _item())
    sandbox.update_user(ALICE, suspended=True)
    assert Sweeper(tenant).sweep().parts_transferred == 1
    deliver(_item(version=2, organizer_email=DAN, host_emails=[]))
    tenant.store.record_attendance(
        "acme", EVT, [EnrollmentChange(email=ERIN, status="enrolled", version=1)]
    )
    latest = tenant.reconciler.reconcile("acme", EVT)
    assert [r.status.value for r in latest] == ["synced"], latest
    assert [e["organizer"] for e in sandbox.calendar_view(ERIN)] == [DAN]
    assert [e["organizer"] for e in sandbox.calendar_view(CAROL)] == [DAN]


def test_an_event_placed_through_delegation_moves_to_a_new_connected_organizer(
    tenant: Services, browser: Browser, sandbox: Any
) -> None:
    """Defect g: as above, but the platform names bob (connected) the organizer. Moving the
    part means cancelling it as dan; without delegation for dan nobody could, and the part
    was reported ``needs_consent`` with the event left in dan's calendar."""
    _synced_with_carol(tenant, _item())
    sandbox.update_user(ALICE, suspended=True)
    Sweeper(tenant).sweep()
    assert browser.connect("bob@acme.com").status_code == 200
    wait_for_tasks(sandbox)
    deliver(_item(version=2, organizer_email="bob@acme.com", host_emails=[]))
    latest = tenant.reconciler.reconcile("acme", EVT)
    assert [r.status.value for r in latest] == ["synced"], latest
    assert [e["organizer"] for e in sandbox.calendar_view(CAROL)] == ["bob@acme.com"]


# -- j. follow-ups reach a delegated successor --------------------------------------------------
def test_a_room_answer_for_a_delegated_successor_is_followed_up(
    tenant: Services, sandbox: Any, results: Any
) -> None:
    """Defect j: after the hand-over to dan (delegated), the room answers later
    (``needsAction`` at write time). The follow-up task resolved owners without the
    successor, could not act as dan, skipped the part and never recorded the answer."""
    _synced_with_carol(tenant, _item(room_emails=[PINE]))
    sandbox.update_user(ALICE, suspended=True)
    sandbox.update_room(PINE, answer_delay=30.0)
    Sweeper(tenant).sweep()
    assert tenant.store.mappings("acme", EVT.key)["p"].room_responses == {PINE: "needsAction"}
    sandbox.complete_pending()
    sandbox.run_tasks(include_future=True)
    wait_for_tasks(sandbox)
    assert tenant.store.mappings("acme", EVT.key)["p"].room_responses == {PINE: "accepted"}
    answered = [
        r for r in results.wait_for(1, status="synced") if r["room_responses"] == {PINE: "accepted"}
    ]
    assert answered


# -- k. one Data Transfer per suspended organizer ----------------------------------------------
def test_one_transfer_per_suspended_organizer_and_one_entry_per_part(
    tenant: Services, sandbox: Any, results: Any
) -> None:
    """Defect k: alice's two items have different successors (dan hosts one with two
    parts, erin the other). Before: one transfer per (alice, successor) pair; the first
    moved ALL her events to dan, the second moved nothing, so erin's item was recreated
    under erin while its original stayed with dan: carol held two entries for it. Now one
    transfer goes to dan (most parts) and erin's part is handed on from dan: cancelled
    there, created under erin (one cancellation and one invitation for carol)."""
    two_parts = [
        {"key": "p1", "start": at(1, "10:00", NEW_YORK), "end": at(1, "11:00", NEW_YORK)},
        {"key": "p2", "start": at(2, "10:00", NEW_YORK), "end": at(2, "11:00", NEW_YORK)},
    ]
    _synced_with_carol(tenant, _item(item_id="evt_dan", parts=two_parts))
    _synced_with_carol(
        tenant,
        _item(
            item_id="evt_erin",
            host_emails=[ERIN],
            parts=[
                {"key": "p", "start": at(3, "10:00", NEW_YORK), "end": at(3, "11:00", NEW_YORK)}
            ],
        ),
    )
    sandbox.update_user(ALICE, suspended=True)
    before = len(sandbox.notifications(CAROL))
    report = Sweeper(tenant).sweep()
    carol = sandbox.calendar_view(CAROL)
    assert sorted(e["organizer"] for e in carol) == [DAN, DAN, ERIN]
    assert len(sandbox.transfers()) == 1
    assert (report.parts_transferred, report.parts_handed_on, report.parts_failed) == (2, 1, 0)
    mails = [n["kind"] for n in sandbox.notifications(CAROL)[before:]]
    assert sorted(mails) == ["cancellation", "invitation"]
    assert len(results.wait_for(3, status="transferred")) == 3


def test_a_part_for_the_platform_is_handed_on_from_the_receiver_not_duplicated(
    tenant: Services, sandbox: Any, results: Any
) -> None:
    """Defect k, the platform as second successor: without a fallback, alice's item
    without hosts goes to the platform account, the other to dan. Data Transfer moved both
    events to dan; the platform's part was recreated in the platform account while its
    original stayed with dan (two entries for carol). Now it is cancelled as dan first."""
    deliver(settings_message(version=6, use_organizer_accounts=True, admin_email="gadmin@acme.com"))
    _synced_with_carol(tenant, _item(item_id="evt_dan"))
    _synced_with_carol(
        tenant,
        _item(
            item_id="evt_plat",
            host_emails=[],
            parts=[
                {"key": "p", "start": at(3, "10:00", NEW_YORK), "end": at(3, "11:00", NEW_YORK)}
            ],
        ),
    )
    sandbox.update_user(ALICE, suspended=True)
    report = Sweeper(tenant).sweep()
    carol = sandbox.calendar_view(CAROL)
    assert len(carol) == 2, carol
    assert carol[0]["organizer"] == DAN
    assert carol[1]["organizer"] not in (ALICE, DAN)  # the platform account's
    assert (report.parts_transferred, report.parts_handed_on, report.parts_recreated) == (1, 1, 0)
    assert len(results.wait_for(2, status="transferred")) == 2


# -- the second hop (docs/decisions.md) --------------------------------------------------------
def test_a_second_hop_recreates_under_the_next_successor_and_reports_the_original(
    tenant: Services, sandbox: Any, results: Any
) -> None:
    """Alice's event went to dan by Data Transfer (into dan's "Transferred from alice"
    calendar); then dan is suspended too. Data Transfer moves only primary-calendar events,
    and a suspended account cannot be acted as, so the part is recreated under ops (the
    fallback) and the ledger names the original that stays (docs/decisions.md)."""
    _synced_with_carol(tenant, _item())
    sandbox.update_user(ALICE, suspended=True)
    Sweeper(tenant).sweep()
    sandbox.update_user(DAN, suspended=True)
    report = Sweeper(tenant).sweep()
    assert (report.parts_recreated, report.parts_failed) == (1, 0)
    assert report.actions[0]["to"] == OPS
    mapping = tenant.store.mappings("acme", EVT.key)["p"]
    assert (mapping.owner_email, mapping.state) == (OPS, "synced")
    entries = tenant.store.ledger("acme", EVT.key)
    assert any("original stays" in e.outcome and DAN in e.reason for e in entries)
    assert len(results.wait_for(2, status="transferred")) == 2
    organizers = sorted(e["organizer"] for e in sandbox.calendar_view(CAROL))
    assert organizers == [DAN, OPS]  # the original stays, owned by the suspended dan


def test_a_second_hop_transfers_a_part_the_successor_holds_in_their_primary_calendar(
    tenant: Services, sandbox: Any
) -> None:
    """The contrast (docs/decisions.md): erin's part came to her by a hand-on (created
    under her, in her primary calendar); when erin is suspended too, Data Transfer moves it
    to ops and nobody holds two entries."""
    two_parts = [
        {"key": "p1", "start": at(1, "10:00", NEW_YORK), "end": at(1, "11:00", NEW_YORK)},
        {"key": "p2", "start": at(2, "10:00", NEW_YORK), "end": at(2, "11:00", NEW_YORK)},
    ]
    _synced_with_carol(tenant, _item(item_id="evt_dan", parts=two_parts))
    _synced_with_carol(tenant, _item(item_id="evt_erin", host_emails=[ERIN]))
    sandbox.update_user(ALICE, suspended=True)
    assert Sweeper(tenant).sweep().parts_handed_on == 1
    sandbox.update_user(ERIN, suspended=True)
    second = Sweeper(tenant).sweep()
    assert (second.parts_transferred, second.parts_recreated) == (1, 0)
    assert sorted(e["organizer"] for e in sandbox.calendar_view(CAROL)) == [DAN, DAN, OPS]


# -- a deleted item's parts still with the suspended organizer --------------------------------
@pytest.mark.parametrize("when", ["before the sweep", "while the hand-over waits"])
def test_a_deleted_items_parts_left_with_a_suspended_organizer_leave_attendees_calendars(
    when: str, tenant: Services, sandbox: Any, results: Any
) -> None:
    """Alice is suspended before her item's deletion is synced: calsync cannot act as her, so
    its part stays in her calendar (``needs_consent``). Before, the sweeper skipped deleted
    items, so the part was never handed over: the Data Transfer another of her items caused
    moved the event to dan's calendar unmapped (or, without one, it stayed with alice), and
    carol held it for good. Now the part is re-mapped to the receiver, the reconcile deletes
    it there, and its last result says ``deleted``, not ``transferred`` (model-based test,
    seed 1946436493: "event:evt_b/p3: deleted, last result transferred", and "'Course evt_b'
    has no synced mapping")."""
    # no host and no fallback: its successor is the platform account, and dan receives the
    # Data Transfer (evt_kept's successor), as in the model's run
    deliver(settings_message(version=6, use_organizer_accounts=True, admin_email="gadmin@acme.com"))
    _synced_with_carol(tenant, _item(host_emails=[]))
    _synced_with_carol(tenant, _item(item_id="evt_kept"))
    sandbox.update_user(ALICE, suspended=True)
    if when == "before the sweep":
        deliver(delete_message(version=2))
        # and the targeted sweep the broken grant asked for, with the task finishing its
        # hand-over if that met the deletion's reconcile (it is due 30 s later)
        wait_for_tasks(sandbox, run_future=True)
        Sweeper(tenant).sweep()
    else:  # the item is busy: its hand-over is recorded, and the deletion comes meanwhile
        assert tenant.store.acquire_lease("acme", EVT.key, "someone-else", 300)
        Sweeper(tenant).sweep()
        deliver(delete_message(version=2))
        tenant.store.release_lease("acme", EVT.key, "someone-else")
        sandbox.run_tasks(include_future=True)
    wait_for_tasks(sandbox, run_future=True)
    carol = sandbox.calendar_view(CAROL)
    assert [e["summary"] for e in carol] == ["Intro to Python"], carol  # evt_kept alone
    assert tenant.store.mappings("acme", EVT.key)["p"].state == "deleted"
    last = [r for r in results.drain() if r["item"]["id"] == "evt_123" and r["part_key"] == "p"]
    assert max(last, key=lambda r: str(r["at"]))["status"] == "deleted", last


@pytest.mark.parametrize("when", ["before the sweep", "while the hand-over waits"])
def test_a_deleted_item_without_a_receiver_ends_deleted_naming_the_original(
    when: str, tenant: Services, sandbox: Any, results: Any
) -> None:
    """Alice's only item has no host and the tenant no fallback: no Data Transfer, its part is
    to be recreated under the platform account. The platform deletes the item before the
    sweep (its reconcile cannot act as alice: ``needs_consent``), or while its hand-over waits
    for the item's lease. Nothing is recreated and the part's last result is ``deleted``
    (naming the original, which stays with the suspended account): before, the first case
    ended ``needs_consent`` (the sweeper skipped deleted items) and the second
    ``transferred``, naming no event, for an item that no longer exists (model-based test,
    seed 1946436493: "event:evt_b/p3: deleted, last result transferred", "… needs_consent")."""
    deliver(settings_message(version=6, use_organizer_accounts=True, admin_email="gadmin@acme.com"))
    _synced_with_carol(tenant, _item(host_emails=[]))
    original = tenant.store.mappings("acme", EVT.key)["p"]
    sandbox.update_user(ALICE, suspended=True)
    if when == "before the sweep":
        deliver(delete_message(version=2))
        # and the targeted sweep the broken grant asked for, with the task finishing its
        # hand-over if that met the deletion's reconcile (it is due 30 s later)
        wait_for_tasks(sandbox, run_future=True)
        Sweeper(tenant).sweep()
    else:
        assert tenant.store.acquire_lease("acme", EVT.key, "someone-else", 300)
        report = Sweeper(tenant).sweep()
        assert report.hand_overs_retrying == 1
        deliver(delete_message(version=2))
        tenant.store.release_lease("acme", EVT.key, "someone-else")
        sandbox.run_tasks(include_future=True)
    wait_for_tasks(sandbox, run_future=True)
    assert tenant.store.hand_overs("acme") == []
    last = [r for r in results.drain() if r["item"]["id"] == "evt_123" and r["part_key"] == "p"]
    final = max(last, key=lambda r: str(r["at"]))
    assert (final["status"], final.get("event_id")) == ("deleted", original.event_id), last
    assert [e["organizer"] for e in sandbox.calendar_view(CAROL)] == [ALICE]  # the original


def test_items_named_to_an_organizer_known_suspended_reach_a_successor_without_a_new_sweep(
    tenant: Services, sandbox: Any
) -> None:
    """Items the platform names alice as organizer of after her account was suspended (late
    or held-back messages) go to a successor, not to the platform calendar for good.

    Defect (found by the model-based test, seed 1642185029): the first such item met
    ``invalid_grant``, which marks alice and asks the sweeper about her; every later one
    found her merely "not connected", went to the platform calendar, and nobody asked the
    sweeper again until the next scheduled sweep."""
    _synced_with_carol(tenant, _item())
    sandbox.update_user(ALICE, suspended=True)
    Sweeper(tenant).sweep()
    wait_for_tasks(sandbox)
    for n, item_id in enumerate(("evt_late1", "evt_late2"), start=1):
        deliver(_item(item_id=item_id, title=f"Late {n}"))
        wait_for_tasks(sandbox, run_future=True)  # a hand-over that met a held lease, too
    held = sorted((e["summary"], e["organizer"]) for e in sandbox.calendar_view(DAN))
    assert held == [("Intro to Python", DAN), ("Late 1", DAN), ("Late 2", DAN)]


def test_a_check_on_one_organizer_waits_for_a_running_sweep_instead_of_being_dropped(
    tenant: Services, sandbox: Any
) -> None:
    """The sweeper's check on one organizer, asked while another sweep holds the tenant: it
    is retried until that sweep is done, and then hands the organizer's items over.

    Defect: the check found the tenant's sweep lease taken, reported the tenant skipped and
    its task succeeded; an item recorded after the running sweep had listed hers was never
    handed over."""
    _synced_with_carol(tenant, _item())
    sandbox.update_user(ALICE, suspended=True)
    assert tenant.store.acquire_tenant_lease("acme", "sweep", "a-running-sweep", 60)
    payload = {"action": "sweep_organizer", "tenant_id": "acme", "organizer": ALICE}
    assert tenant.tasks is not None
    tenant.tasks.schedule("check-alice", payload, 0)
    deadline = time.monotonic() + 20
    while _state(sandbox, "check-alice") in ("scheduled", "running"):
        assert time.monotonic() < deadline, sandbox.tasks()
        time.sleep(0.1)
    assert _state(sandbox, "check-alice") == "retrying"
    assert [e["organizer"] for e in sandbox.calendar_view(CAROL)] == [ALICE]
    tenant.store.release_tenant_lease("acme", "sweep", "a-running-sweep")
    wait_for_tasks(sandbox, run_future=True)
    assert [e["organizer"] for e in sandbox.calendar_view(CAROL)] == [DAN]


def _state(sandbox: Any, name: str) -> str:
    """The state of the Cloud Task whose name ends with ``name``."""
    return next(str(t["state"]) for t in sandbox.tasks() if t["name"].endswith("/" + name))
