"""Property: whatever the order, duplication and transient faults, calendars converge.

Hypothesis generates a history of versioned upserts and deletes of one item, the
delivery is duplicated and shuffled, and transient Google faults are sprinkled
in; a delivery that fails transiently is delivered again later (as Pub/Sub
would). At the end every calendar holds exactly the latest version's events,
no event is duplicated, and nobody got more e-mails than changes they saw.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calsync.entrypoints.platform_events import handle_platform_event
from calsync.entrypoints.services import reset_services, services
from calsync.errors import TransientError
from calsync_dev.dates import at
from calsync_dev.emulators import reset_firestore
from calsync_dev.stack import LocalStack, create_queue, seed_platform_identity
from calsync_dev.strictness import relax_until_calsync_ready
from tests.unit.factories import NEW_YORK, delete_message, settings_message, upsert_message

PEOPLE = ("alice@acme.com", "bob@acme.com", "dan@acme.com")
PARTS = [
    {"key": "a", "start": at(1, "10:00", NEW_YORK), "end": at(1, "11:00", NEW_YORK)},
    {"key": "b", "start": at(2, "10:00", NEW_YORK), "end": at(2, "11:00", NEW_YORK)},
]

versions = st.lists(
    st.tuples(
        st.sampled_from(["upsert", "upsert", "delete"]),
        st.sampled_from(["Python", "Python 101"]),  # cosmetic change
        st.sampled_from(["HQ", "Annex"]),  # place change
        st.sampled_from([["bob@acme.com"], ["dan@acme.com"], ["bob@acme.com", "dan@acme.com"]]),
        st.integers(min_value=1, max_value=2),  # number of parts
    ),
    min_size=1,
    max_size=5,
)


def _message(version: int, spec: tuple[str, str, str, list[str], int]) -> dict[str, Any]:
    kind, title, location, hosts, parts = spec
    if kind == "delete":
        return delete_message(version)
    return upsert_message(
        version=version, title=title, location=location, host_emails=hosts, parts=PARTS[:parts]
    )


def _reset(stack: LocalStack, sandbox: Any) -> None:
    reset_firestore(stack.environment["FIRESTORE_EMULATOR_HOST"], stack.config.project)
    stack.sandbox.reset()
    relax_until_calsync_ready(sandbox)
    seed_platform_identity(sandbox, stack.config.platform_email)
    create_queue(stack.endpoints["google_sandbox"], stack.environment["CALSYNC_TASKS_QUEUE"])
    sandbox.seed_domain("acme.com")
    for email in PEOPLE:
        sandbox.seed_user(email)
    reset_services()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    history=versions,
    order=st.randoms(use_true_random=False),
    duplicates=st.lists(st.integers(min_value=0, max_value=4), max_size=3),
    faults=st.lists(
        st.sampled_from(
            [
                "calendar.events.insert",
                "calendar.events.patch",
                "calendar.events.get",
                "calendar.events.delete",
            ]
        ),
        max_size=3,
    ),
)
def test_calendars_converge_to_the_latest_version(
    clean: LocalStack,
    sandbox: Any,
    history: list[Any],
    order: Any,
    duplicates: list[int],
    faults: list[str],
) -> None:
    """Duplicated, shuffled deliveries with transient faults end in the latest state."""
    _reset(clean, sandbox)
    svc = services()
    handle_platform_event(svc, json.dumps(settings_message()).encode())
    messages = [_message(v + 1, spec) for v, spec in enumerate(history)]
    queue = messages + [messages[i % len(messages)] for i in duplicates]
    order.shuffle(queue)
    for method in faults:
        sandbox.inject_fault(method, status=503, reason="backendError", count=1)
    svc.settings = replace(svc.settings, retry_deadline_seconds=0.0)  # redeliver at once
    attempts = 0
    while queue and attempts < 100:
        attempts += 1
        message = queue.pop(0)
        try:
            handle_platform_event(svc, json.dumps(message).encode())
        except TransientError:
            queue.append(message)  # Pub/Sub redelivers it later
    assert not queue

    latest = messages[-1]
    for person in PEOPLE:
        events = sandbox.calendar_view(person)
        assert len({e["event_id"] for e in events}) == len(events)
        if latest["type"] == "item.deleted":
            assert events == [], person
            continue
        item = latest["item"]
        expected = (
            {p["key"] for p in item["parts"]}
            if person in (item["organizer_email"], *item["host_emails"])
            else set()
        )
        assert len(events) == len(expected), person
        assert all(e["summary"].startswith(item["title"]) for e in events)
        assert all(e["location"] == item["location"] for e in events)
    for person, kinds in sandbox.notification_counts().items():
        assert sum(kinds.values()) <= 2 * len(messages), (person, kinds)
