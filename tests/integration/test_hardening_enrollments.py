"""Enrollments are never lost to a skewed clock or to an item being re-created meanwhile.

In-process handler calls against the emulators and the sandbox; coalesced flushes
are real Cloud Tasks run by the `reconcile` function under functions-framework.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any

import pytest

from calsync.contracts import ItemRef
from calsync.entrypoints import enrollment_events as enrollments
from calsync.entrypoints.enrollment_events import handle_enrollment
from calsync.entrypoints.platform_events import Outcome
from calsync.entrypoints.services import Services
from calsync.records import ItemRecord
from tests.integration.conftest import Deliver, calendar, wait_for_tasks
from tests.unit.factories import delete_message, upsert_message

ITEM = ItemRef(kind="event", id="evt_123")
WINDOW_SECONDS = 2.0


def _enroll(svc: Services, email: str, version: int = 1) -> Outcome:
    body = {
        "type": "enrollment.changed",
        "tenant_id": "acme",
        "item": ITEM.model_dump(mode="json"),
        "changes": [{"email": email, "status": "enrolled", "version": version}],
    }
    return handle_enrollment(svc, json.dumps(body).encode())


def _attendees(sandbox: Any) -> set[str]:
    return {a for e in calendar(sandbox, "alice@acme.com") for a in e["attendees"]}


def test_an_enrollment_from_an_instance_whose_clock_lags_is_still_synced(
    acme: str, deliver: Deliver, sandbox: Any, svc: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Carol's flush (window w) has run. Erin's enrollment is committed afterwards by an
    instance whose clock lags by more than the 1 s margin, so that clock still says
    window w: its task name is taken and the flush that ran never saw erin. The window
    must come from a clock all instances share (Firestore's), not the instance's own."""
    svc.settings = replace(svc.settings, coalesce_seconds=WINDOW_SECONDS)
    deliver(upsert_message(version=1))
    carol_at = time.time()
    assert _enroll(svc, "carol@acme.com") is Outcome.ACK
    wait_for_tasks(sandbox)  # window w ended, its flush ran
    assert "carol@acme.com" in _attendees(sandbox)
    # w's flush ran after w ended + margin: a clock frozen at carol_at lags by more than that
    assert time.time() - carol_at > enrollments.WINDOW_MARGIN_SECONDS

    class LaggingClock:
        """The instance's clock, still at the moment carol enrolled."""

        @staticmethod
        def time() -> float:
            return carol_at

    monkeypatch.setattr(enrollments, "time", LaggingClock)
    assert _enroll(svc, "erin@acme.com") is Outcome.ACK
    wait_for_tasks(sandbox)
    assert "erin@acme.com" in _attendees(sandbox)


def test_an_enrollment_racing_the_re_creation_of_its_item_is_synced(
    acme: str, deliver: Deliver, sandbox: Any, svc: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The item is deleted. Carol's enrollment reads the item (deleted), the platform then
    re-creates it (v3, reconciled at once, before carol's attendance is committed), then
    carol's attendance commits. Neither side may conclude the other will invite her."""
    deliver(upsert_message(version=1))
    deliver(delete_message(version=2))
    ensure_item = svc.store._ensure_item

    def then_the_item_is_re_created(tenant_id: str, ref: ItemRef) -> ItemRecord:
        seen = ensure_item(tenant_id, ref)
        assert deliver(upsert_message(version=3)) is Outcome.ACK
        return seen

    monkeypatch.setattr(svc.store, "_ensure_item", then_the_item_is_re_created)
    assert _enroll(svc, "carol@acme.com") is Outcome.ACK
    monkeypatch.undo()
    sandbox.run_tasks(include_future=True)  # the coalesced flush, without waiting its window
    wait_for_tasks(sandbox)
    assert len(calendar(sandbox, "carol@acme.com")) == 2
