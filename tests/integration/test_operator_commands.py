"""The operator commands (`calsync status`, `grants`, `resync`, `dead-letters`) against the
local stack, through click's CliRunner as an operator would run them."""

from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner, Result

from calsync.config import get_settings
from calsync.entrypoints.services import Services, reset_services
from calsync.organizers.grant_store import GrantRecord, Health
from calsync.organizers.oauth_flow import CONNECT_SCOPES
from calsync.records import LedgerEntry
from calsync.state.firestore_base import firestore_client
from calsync_dev.cli import main
from tests.integration.conftest import Deliver, wait_for_tasks
from tests.unit.factories import upsert_message

ITEM = "event:evt_123"
SECRET = "SEALED-REFRESH-TOKEN-must-never-be-printed"


def run(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result


def as_json(*args: str) -> Any:
    return json.loads(run(*args, "--json").stdout)


def synced(deliver: Deliver, sandbox: Any) -> None:
    deliver(upsert_message(version=1))
    wait_for_tasks(sandbox)


def put_grant(email: str, health: Health, reason: str | None = None) -> None:
    settings = get_settings()
    record = GrantRecord(
        tenant_id="acme",
        email=email,
        health=health,
        grant_id="grant-id-is-private",
        google_sub="sub-is-private",
        scopes=list(CONNECT_SCOPES),
        envelope={"ciphertext": SECRET},
        reason=reason,
    )
    db = firestore_client(settings.project, settings.grants_database)
    organizers = db.collection("tenants").document("acme").collection("organizers")
    organizers.document(email).set(record.model_dump(mode="json"))


def test_status_counts_the_tenants_parts_by_state(
    acme: str, deliver: Deliver, sandbox: Any
) -> None:
    """A synced two-part item: two synced parts, nothing waiting."""
    synced(deliver, sandbox)
    status = as_json("status", "--tenant", "acme")
    assert (status["items"], status["parts_by_state"]) == (1, {"synced": 2})
    assert status["waiting"] == {"count": 0, "items": []}


def test_status_lists_items_google_does_not_reflect_yet(
    acme: str, deliver: Deliver, sandbox: Any, svc: Services
) -> None:
    """An item recorded at a version nobody has reconciled yet (what a quota deferral
    leaves behind) is listed as waiting."""
    synced(deliver, sandbox)
    record = svc.store.get_item("acme", ITEM)
    assert record is not None
    svc.store.record_item("acme", record.ref, record.version + 1, record.item)
    status = as_json("status", "--tenant", "acme")
    assert status["waiting"] == {"count": 1, "items": [ITEM]}


def test_status_counts_failed_ledger_outcomes_by_reason(acme: str, svc: Services) -> None:
    """Ledger entries whose outcome is not ok are counted by outcome; ok ones are not."""
    for outcome in ("ok", "conflict: re-read and re-plan", "conflict: re-read and re-plan"):
        svc.store.append_ledger(
            "acme",
            LedgerEntry(
                item=ITEM,
                part_key="day1",
                operation="update",
                event_id="e1",
                calendar_id="c1",
                version=1,
                reason="changed",
                outcome=outcome,
            ),
        )
    status = as_json("status", "--tenant", "acme")
    assert status["failures_by_reason"] == {"conflict: re-read and re-plan": 2}


def test_status_shows_the_last_sweep_and_verification(acme: str, svc: Services) -> None:
    """The newest sweep report and the tenant's newest finished verification run."""
    svc.store.save_sweep_run("orphan-sweep", "2026-01-01T03:00:00Z", {"tenants": 1})
    svc.store.save_sweep_run("orphan-sweep", "2026-01-02T03:00:00Z", {"tenants": 2})
    svc.store.save_verification_page("acme", "run-1", "", {"items": 3, "checked": 5})
    svc.store.finish_verification("acme", "run-1")
    status = as_json("status", "--tenant", "acme")
    assert status["last_sweep"]["schedule_time"] == "2026-01-02T03:00:00Z"
    assert (status["last_verification"]["run"], status["last_verification"]["checked"]) == (
        "run-1",
        5,
    )


def test_status_reports_broken_grants_in_words(acme: str) -> None:
    """Without --json: one line per broken grant, with its reason; progress on stderr."""
    put_grant("alice@acme.com", Health.CONNECTED)
    put_grant("bob@acme.com", Health.NEEDS_CONSENT, "invalid_grant")
    result = run("status", "--tenant", "acme")
    assert "broken grants: 1" in result.stdout
    assert "bob@acme.com: needs_consent (invalid_grant)" in result.stdout
    assert "alice@acme.com" not in result.stdout


def test_grants_shows_each_organizers_health_and_never_a_secret(acme: str) -> None:
    """Every organizer with a record, their health and reason; no token, grant id or sub."""
    put_grant("alice@acme.com", Health.CONNECTED)
    put_grant("bob@acme.com", Health.NEEDS_CONSENT, "invalid_grant")
    text = run("grants", "--tenant", "acme").stdout
    found = as_json("grants", "--tenant", "acme")
    assert [(g["email"], g["health"], g["broken"]) for g in found] == [
        ("alice@acme.com", "connected", False),
        ("bob@acme.com", "needs_consent", True),
    ]
    assert "BROKEN bob@acme.com: needs_consent (invalid_grant)" in text
    for output in (text, json.dumps(found)):
        assert SECRET not in output
        assert "grant-id-is-private" not in output
        assert "sub-is-private" not in output


def waiting(svc: Services, deliver: Deliver, sandbox: Any, *ids: str) -> None:
    """Items synced, then recorded at a newer version nobody reconciles."""
    for item_id in ids:
        deliver(upsert_message(version=1, id=item_id))
    wait_for_tasks(sandbox)
    for item_id in ids:
        record = svc.store.get_item("acme", f"event:{item_id}")
        assert record is not None
        svc.store.record_item("acme", record.ref, 2, record.item)


def test_resync_of_one_item_brings_it_to_google(
    acme: str, deliver: Deliver, sandbox: Any, svc: Services
) -> None:
    """`--item` schedules one reconcile task: that item catches up, the other still waits."""
    waiting(svc, deliver, sandbox, "evt_1", "evt_2")
    scheduled = as_json("resync", "--tenant", "acme", "--item", "event:evt_1")
    assert scheduled["scope"] == "event:evt_1"
    wait_for_tasks(sandbox)
    assert as_json("status", "--tenant", "acme")["waiting"]["items"] == ["event:evt_2"]


def test_resync_of_a_tenant_walks_every_item_in_pages(
    acme: str, deliver: Deliver, sandbox: Any, svc: Services, monkeypatch: Any
) -> None:
    """A tenant re-sync is a chain of page tasks (pages of 1 here) that reaches every item."""
    waiting(svc, deliver, sandbox, "evt_1", "evt_2", "evt_3")
    monkeypatch.setenv("CALSYNC_RESYNC_PAGE_SIZE", "1")
    reset_services()
    result = run("resync", "--tenant", "acme")
    assert "re-sync scheduled" in result.stdout
    wait_for_tasks(sandbox)
    assert as_json("status", "--tenant", "acme")["waiting"]["count"] == 0


def test_resync_refuses_an_unknown_item(acme: str) -> None:
    """Nothing to reconcile: a clear error and a non-zero exit."""
    result = CliRunner().invoke(main, ["resync", "--tenant", "acme", "--item", "event:nope"])
    assert result.exit_code != 0
    assert "has no item event:nope" in result.output


def dead_letter(project: str, message: dict[str, Any], **attributes: str) -> str:
    """What Pub/Sub does after the last failed push: the message on the dead-letter topic."""
    from google.cloud import pubsub_v1

    publisher = pubsub_v1.PublisherClient()
    topic = publisher.topic_path(project, "platform-events-dead-letter")
    return str(publisher.publish(topic, json.dumps(message).encode(), **attributes).result())


def held_ids(*args: str) -> list[str]:
    return [letter["message_id"] for letter in as_json("dead-letters", "list", *args)]


def test_dead_letters_list_shows_held_messages_and_consumes_none(acme: str, svc: Services) -> None:
    """Listing shows the source topic, the attempts and what the message is about; listing
    again shows it again."""
    message_id = dead_letter(
        svc.settings.project,
        upsert_message(version=7),
        CloudPubSubDeadLetterSourceDeliveryCount="5",
    )
    (letter,) = [
        letter
        for letter in as_json("dead-letters", "list", "--topic", "platform-events")
        if letter["message_id"] == message_id
    ]
    assert (letter["source_topic"], letter["delivery_attempts"]) == ("platform-events", 5)
    assert letter["summary"] == "item.upserted acme event:evt_123 7"
    assert message_id in held_ids("--topic", "platform-events")


def test_dead_letters_replay_republishes_to_the_source_topic_and_empties_the_hold(
    acme: str, svc: Services
) -> None:
    """The data and the original attributes go back to platform-events (Pub/Sub's dead-letter
    attributes dropped); the hold is empty afterwards."""
    from google.cloud import pubsub_v1

    project = svc.settings.project
    subscriber = pubsub_v1.SubscriberClient()
    watch = subscriber.subscription_path(project, "operator-replay-watch")
    subscriber.create_subscription(
        request={"name": watch, "topic": f"projects/{project}/topics/platform-events"}
    )
    try:
        message = upsert_message(version=3)
        message_id = dead_letter(
            project, message, tenant_id="acme", CloudPubSubDeadLetterSourceDeliveryCount="5"
        )
        replayed = as_json("dead-letters", "replay", "--topic", "platform-events")
        assert message_id in [letter["message_id"] for letter in replayed]
        assert held_ids("--topic", "platform-events") == []
        response = subscriber.pull(request={"subscription": watch, "max_messages": 10}, timeout=5)
        copies = [
            r.message for r in response.received_messages if json.loads(r.message.data) == message
        ]
        assert [dict(copy.attributes) for copy in copies] == [{"tenant_id": "acme"}]
    finally:
        subscriber.delete_subscription(request={"subscription": watch})
        subscriber.close()
