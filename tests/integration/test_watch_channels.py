"""Two-way sync, watch channels: opened on the calendars calsync writes to, renewed, stopped
(disconnect, mode switch, sync off), and the on_calendar_change function in front of them.

Everything runs against the emulators and the sandbox; the sandbox posts its notifications to
the stack's on_calendar_change function over http (``LOCAL_STACK_LENIENCY``).
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests

from calsync.entrypoints.platform_events import Outcome
from calsync.entrypoints.services import Services
from calsync.google.cloud_tasks import task_name
from calsync.organizers.grants import organizer_grants
from calsync_dev.stack import LocalStack
from tests.integration.conftest import Deliver
from tests.integration.oauth_fixtures import Browser
from tests.unit.factories import settings_message, upsert_message

pytest_plugins = ["tests.integration.oauth_fixtures"]

ALICE = "alice@acme.com"


def wait_for_due_tasks(sandbox: Any, timeout: float = 30.0) -> None:
    """Wait until every task due within a minute has run (renewals are days away)."""
    soon = (datetime.now().astimezone() + timedelta(minutes=1)).isoformat()
    live = ("scheduled", "running", "retrying")
    deadline = time.monotonic() + timeout
    while any(t["state"] in live and t["schedule_time"] < soon for t in sandbox.tasks()):
        assert time.monotonic() < deadline, sandbox.tasks()
        time.sleep(0.1)


def task_of(sandbox: Any, svc: Services, *parts: str) -> dict[str, Any] | None:
    """The sandbox's task named after ``parts`` (``calsync.google.cloud_tasks.task_name``)."""
    name = f"{svc.settings.tasks_queue}/tasks/{task_name(*parts)}"
    return next((t for t in sandbox.tasks() if t["name"] == name), None)


def live_channels(sandbox: Any) -> list[dict[str, Any]]:
    return [c for c in sandbox.push_channels() if not c["stopped"] and not c["expired"]]


def alice_organizes_with_two_way(
    sandbox: Any, deliver: Deliver, browser: Browser, *, upsert: bool = True, **settings: Any
) -> None:
    """Organizer mode with two-way sync, alice connected, and (``upsert``) her item synced
    into her calendar."""
    sandbox.seed_user("dan@acme.com")
    message = settings_message(
        version=2, use_organizer_accounts=True, two_way_sync=True, **settings
    )
    assert deliver(message) is Outcome.ACK
    assert browser.connect(ALICE).status_code == 200
    wait_for_due_tasks(sandbox)
    if upsert:
        assert deliver(upsert_message(version=1)) is Outcome.ACK


@pytest.fixture
def two_way(acme: str, deliver: Deliver) -> str:
    """Tenant acme (platform-account mode) with two-way sync on (drift reported, not repaired:
    these tests count the tasks notifications cause)."""
    message = settings_message(version=2, two_way_sync=True, drift_policy="report")
    assert deliver(message) is Outcome.ACK
    return acme


def test_the_first_write_to_a_calendar_opens_one_channel(
    two_way: str, deliver: Deliver, sandbox: Any, svc: Services, stack: LocalStack
) -> None:
    """An item's first write opens a channel on the platform calendar, aimed at
    on_calendar_change with params.ttl and a secret token kept only as a hash; later writes
    open none; its notifications are acknowledged; a renewal task is due a day before expiry."""
    assert deliver(upsert_message(version=1)) is Outcome.ACK
    assert deliver(upsert_message(version=2, title="Intro to Python 2")) is Outcome.ACK
    tenant = svc.store.get_tenant("acme")
    assert tenant is not None
    assert tenant.platform_calendar_id
    (channel,) = sandbox.push_channels()
    assert channel["calendar_id"] == tenant.platform_calendar_id
    assert channel["address"] == stack.endpoints["functions"]["on_calendar_change"]
    watch = sandbox.requests(method_id="calendar.events.watch")
    assert len(watch) == 1
    watched = svc.store.watched("acme", tenant.platform_calendar_id)
    assert watched is not None
    assert watched.channel_id == channel["id"]
    stored = svc.store.channel(channel["id"])
    assert stored is not None
    assert stored.state == "live"
    assert channel["token"]
    assert channel["token"] not in stored.model_dump_json()
    deliveries = sandbox.drain_push()
    assert deliveries[0]["state"] == "sync"  # then calsync's own patches: exists
    assert {d["status"] for d in deliveries} == {"delivered"}
    renewal = task_of(sandbox, svc, "renew_channel", channel["id"])
    assert renewal is not None
    assert renewal["state"] == "scheduled"
    due = datetime.fromisoformat(renewal["schedule_time"].replace("Z", "+00:00"))
    assert abs((stored.expires_at - due) - timedelta(days=1)) < timedelta(minutes=5)


def test_a_burst_of_changes_reads_the_calendar_once_per_window(
    two_way: str, deliver: Deliver, sandbox: Any, svc: Services
) -> None:
    """Three edits in Google within a window: three notifications, one calendar_changed
    task (or two when the burst straddles a window), and the sync token is stored."""
    deliver(upsert_message(version=1))
    sandbox.drain_push()
    tenant = svc.store.get_tenant("acme")
    assert tenant is not None
    assert tenant.platform_calendar_id
    calendar_id = tenant.platform_calendar_id
    mapping = svc.store.mappings("acme", "event:evt_123")["day1"]
    before = {t["name"] for t in sandbox.tasks()}
    for title in ("one", "two", "three"):
        sandbox.edit_retitle(calendar_id, mapping.event_id, title)
    deliveries = sandbox.drain_push()
    exists = [d for d in deliveries if d["state"] == "exists"]
    assert len(exists) == 3
    assert all(d["status"] == "delivered" for d in exists)
    wait_for_due_tasks(sandbox)
    new = [t for t in sandbox.tasks() if t["name"] not in before]
    assert 1 <= len(new) <= 2
    assert all(t["state"] == "succeeded" for t in new)
    watched = svc.store.watched("acme", calendar_id)
    assert watched is not None
    assert watched.sync_token


def test_unknown_stale_and_forged_notifications(
    two_way: str, deliver: Deliver, sandbox: Any, svc: Services, stack: LocalStack
) -> None:
    """Unknown channel: 200 and a stop task; wrong token: 403; a replaced channel: 200 and
    stopped at Google, never retried."""
    url = stack.endpoints["functions"]["on_calendar_change"]
    unknown = requests.post(
        url,
        headers={"X-Goog-Channel-ID": "nobody-knows", "X-Goog-Resource-State": "exists"},
        timeout=10,
    )
    assert unknown.status_code == 200
    assert unknown.json()["outcome"] == "unknown_channel"
    assert task_of(sandbox, svc, "stop_channel", "nobody-knows") is not None
    deliver(upsert_message(version=1))
    (channel,) = sandbox.push_channels()
    headers = {
        "X-Goog-Channel-ID": channel["id"],
        "X-Goog-Channel-Token": "not-the-token",
        "X-Goog-Resource-State": "exists",
        "X-Goog-Resource-ID": channel["resource_id"],
    }
    assert requests.post(url, headers=headers, timeout=10).status_code == 403
    svc.channels.renew("acme", channel["id"])
    old, new = sandbox.push_channels()
    assert old["stopped"]
    assert not new["stopped"]
    assert new["id"] != old["id"]
    assert new["token"] != old["token"]
    stale = requests.post(
        url, headers={**headers, "X-Goog-Channel-Token": old["token"]}, timeout=10
    )
    assert stale.status_code == 200
    assert stale.json()["outcome"] == "stale_channel"
    wait_for_due_tasks(sandbox)
    assert svc.store.channel(old["id"]).state == "stopped"  # type: ignore[union-attr]


def test_renewal_replaces_the_channel_and_an_expired_one_is_never_used(
    two_way: str, deliver: Deliver, sandbox: Any, svc: Services
) -> None:
    """The renewal opens a new channel (new id, token) before stopping the old one, and
    schedules its own renewal; a channel past its expiry hears nothing more."""
    deliver(upsert_message(version=1))
    (first,) = sandbox.push_channels()
    svc.channels.renew("acme", first["id"])
    channels = {c["id"]: c for c in sandbox.push_channels()}
    (second,) = [c for c in channels.values() if c["id"] != first["id"]]
    assert channels[first["id"]]["stopped"]
    assert not second["stopped"]
    assert task_of(sandbox, svc, "renew_channel", second["id"]) is not None
    svc.channels.renew("acme", first["id"])  # a late or repeated renewal of the old one
    assert len(sandbox.push_channels()) == 2
    sandbox.advance_clock(8 * 24 * 3600)
    assert live_channels(sandbox) == []


def test_turning_two_way_sync_off_or_sync_off_stops_the_channels(
    two_way: str, deliver: Deliver, sandbox: Any
) -> None:
    """A settings change that no longer calls for watching stops the tenant's channels."""
    deliver(upsert_message(version=1))
    assert len(live_channels(sandbox)) == 1
    assert deliver(settings_message(version=3, two_way_sync=False)) is Outcome.ACK
    wait_for_due_tasks(sandbox)
    assert live_channels(sandbox) == []
    assert deliver(settings_message(version=4, two_way_sync=True)) is Outcome.ACK
    wait_for_due_tasks(sandbox)
    deliver(upsert_message(version=2, title="Again"))
    assert len(live_channels(sandbox)) == 1
    assert deliver(settings_message(version=5, sync_enabled=False, two_way_sync=True)) is (
        Outcome.ACK
    )
    wait_for_due_tasks(sandbox)
    assert live_channels(sandbox) == []


def test_disconnect_stops_the_organizers_channel_before_revoking(
    organizers: tuple[str, ...], browser: Browser, sandbox: Any, svc: Services, deliver: Deliver
) -> None:
    """Organizer mode: alice's calendar gets a channel opened as alice; her disconnect stops
    it with her grant (channels.stop accepts only its creator) before revoking it."""
    alice_organizes_with_two_way(sandbox, deliver, browser)
    (channel,) = live_channels(sandbox)
    assert channel["calendar_id"] == ALICE
    assert channel["owner"] == ALICE
    browser.disconnect(ALICE)
    wait_for_due_tasks(sandbox)
    channels = {c["id"]: c for c in sandbox.push_channels()}
    assert channels[channel["id"]]["stopped"]  # stopped by alice herself: 404 after a revoke
    stops = sandbox.requests(method_id="calendar.channels.stop")
    assert [s["user"] for s in stops if s["status"] == 204] == [ALICE]
    assert svc.store.watched("acme", ALICE) is None


def test_renewing_a_channel_of_an_organizer_whose_grant_was_revoked_stops_watching(
    organizers: tuple[str, ...], browser: Browser, sandbox: Any, svc: Services, deliver: Deliver
) -> None:
    """alice revoked calsync's access in her Google account: her channel's renewal marks her
    ``needs_consent`` and stops watching her calendar, instead of failing until Cloud Tasks
    gives up (the old channel cannot be stopped without her: it expires on its own).

    Defect (seen in a model-based run's logs): the renewal's ``events.watch`` raised
    ``InvalidGrant`` unhandled, an HTTP 500 retried until the task's attempts ran out."""
    alice_organizes_with_two_way(sandbox, deliver, browser)
    (channel,) = live_channels(sandbox)
    grants = organizer_grants(svc.settings)
    held = grants.credentials("acme", ALICE)
    assert held is not None
    sandbox.revoke_grant(held.refresh_token)
    sandbox.expire_tokens()
    svc.channels.renew("acme", channel["id"])
    assert grants.status("acme", ALICE)["health"] == "needs_consent"
    assert svc.store.watched("acme", ALICE) is None
    assert [c["id"] for c in live_channels(sandbox)] == [channel["id"]]  # expires on its own


def test_a_switch_to_platform_mode_stops_the_organizers_channels(
    organizers: tuple[str, ...], browser: Browser, sandbox: Any, svc: Services, deliver: Deliver
) -> None:
    """Organizer mode → platform-account mode: alice's calendar is no longer written to, so
    its channel is stopped (as alice); the platform calendar the events move to is watched."""
    alice_organizes_with_two_way(sandbox, deliver, browser, drift_policy="report", upsert=False)
    assert deliver(upsert_message(version=1)) is Outcome.ACK
    (alices,) = live_channels(sandbox)
    assert alices["calendar_id"] == ALICE
    message = settings_message(version=3, two_way_sync=True, drift_policy="report")
    assert deliver(message) is Outcome.ACK
    wait_for_due_tasks(sandbox)
    channels = {c["id"]: c for c in sandbox.push_channels()}
    assert channels[alices["id"]]["stopped"]
    assert [c["owner"] for c in live_channels(sandbox)] == [svc.settings.platform_subject]
    assert svc.store.watched("acme", ALICE) is None


def test_a_forged_notification_with_a_stolen_channel_id_is_refused(
    two_way: str, deliver: Deliver, sandbox: Any, svc: Services, stack: LocalStack
) -> None:
    """Attack: someone who learned a channel's id (not its token) posts exists notifications
    to the public function: 403, no read scheduled, the channel stays calsync's."""
    deliver(upsert_message(version=1))
    sandbox.drain_push()
    wait_for_due_tasks(sandbox)
    (channel,) = sandbox.push_channels()
    before = len(sandbox.tasks())
    url = stack.endpoints["functions"]["on_calendar_change"]
    for token in ("", "guess", channel["token"][:-1]):
        headers = {
            "X-Goog-Channel-ID": channel["id"],
            "X-Goog-Resource-State": "exists",
            **({"X-Goog-Channel-Token": token} if token else {}),
        }
        assert requests.post(url, headers=headers, timeout=10).status_code == 403
    assert len(sandbox.tasks()) == before
    assert [c["id"] for c in live_channels(sandbox)] == [channel["id"]]


def test_a_channel_id_that_is_a_firestore_path_is_never_looked_up(
    two_way: str, sandbox: Any, stack: LocalStack
) -> None:
    """Attack: a channel id such as ``../tenants/acme`` aimed at Firestore paths: answered 200
    as unknown, nothing read under it and no stop task scheduled."""
    wait_for_due_tasks(sandbox)
    before = len(sandbox.tasks())
    url = stack.endpoints["functions"]["on_calendar_change"]
    for bad in ("../tenants/acme", "tenants/acme/watched/x", "a" * 65):
        headers = {"X-Goog-Channel-ID": bad, "X-Goog-Resource-State": "exists"}
        answer = requests.post(url, headers=headers, timeout=10)
        assert answer.status_code == 200
        assert answer.json()["outcome"] == "unknown_channel"
    assert len(sandbox.tasks()) == before


def test_a_read_that_ends_after_the_calendar_was_unwatched_leaves_no_partial_record(
    organizers: tuple[str, ...], browser: Browser, sandbox: Any, svc: Services, deliver: Deliver
) -> None:
    """A calendar_changed read of alice's calendar is still handling its changes when she
    disconnects (her calendar is unwatched). Its last step, storing the new sync token, must
    not bring back a record of the calendar holding nothing but the token: before, it did
    (a merge into a deleted document), and every later reconcile writing to her calendar, and
    every read of it, failed validating that record after its Google writes, so its results
    were never published (model-based test, seed 281961535: "last result names …, which
    nobody holds", 500s from reconcile after alice connected again)."""
    from calsync.sync.calendar_changes import CalendarChanges

    alice_organizes_with_two_way(sandbox, deliver, browser)
    wait_for_due_tasks(sandbox)
    svc.store.save_sync_token("acme", ALICE, "")  # the next read lists both parts in full
    disconnected: list[int] = []

    def disconnect_meanwhile(_: object) -> None:
        if not disconnected:
            disconnected.append(browser.disconnect(ALICE).status_code)
            wait_for_due_tasks(sandbox)

    CalendarChanges(svc.store, svc.channels, disconnect_meanwhile).read("acme", ALICE)
    assert disconnected == [200]
    assert svc.store.watched("acme", ALICE) is None
    assert browser.connect(ALICE).status_code == 200
    wait_for_due_tasks(sandbox)
    assert deliver(upsert_message(version=2, title="Renamed")) is Outcome.ACK
    watched = svc.store.watched("acme", ALICE)
    assert watched is not None
    assert watched.channel_id
    assert {e["summary"] for e in sandbox.calendar_view("bob@acme.com")} >= {"Renamed (1/2)"}
