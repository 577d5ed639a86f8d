"""The sweeper under Google's strict readings of Data Transfer (issue 13).

Google does not document that private extended properties or event ids survive a Data
Transfer; the sandbox drops the properties by default and, with
``transfer_changes_event_ids``, gives moved events new ids. The sweeper still finds each
moved part (by event id, or by iCalUID), and skips a calendar that answers 403.
"""

from __future__ import annotations

from typing import Any

from calsync.contracts import ItemRef
from calsync.entrypoints.services import Services
from calsync.google.calendar import build_calendar_gateway
from calsync.google.directory import delegated_credentials
from calsync.sweeper.sweep import Sweeper
from tests.integration.test_sweeper import _alice_item, deliver, tenant

pytest_plugins = ["tests.integration.oauth_fixtures"]

__all__ = ["tenant"]  # the fixture, shared with test_sweeper

EVT = ItemRef(kind="event", id="evt_123")


def _synced_then_suspended(services: Services, sandbox: Any, **switches: Any) -> None:
    sandbox.strictness(transfer_keeps_private_properties=False, **switches)
    deliver(_alice_item())
    services.reconciler.reconcile("acme", EVT)
    sandbox.update_user("alice@acme.com", suspended=True)


def _moved_to_dan(services: Services, sandbox: Any) -> None:
    report = Sweeper(services).sweep()
    assert (report.parts_transferred, report.parts_recreated, report.parts_failed) == (1, 0, 0)
    mapping = services.store.mappings("acme", EVT.key)["p"]
    dan = [e for e in sandbox.calendar_view("dan@acme.com") if e["organizer"] == "dan@acme.com"]
    assert len(dan) == 1
    assert (mapping.owner_email, mapping.event_id) == ("dan@acme.com", dan[0]["event_id"])


def test_moved_event_is_found_without_its_private_properties(
    tenant: Services, sandbox: Any
) -> None:
    """The transfer drops calsync's private properties: the event is found by its id."""
    _synced_then_suspended(tenant, sandbox)
    _moved_to_dan(tenant, sandbox)


def test_moved_event_with_a_new_id_is_found_by_its_ical_uid(tenant: Services, sandbox: Any) -> None:
    """The transfer gives the event a new id too: its iCalUID still names it."""
    before = tenant.store.mappings("acme", EVT.key)
    _synced_then_suspended(tenant, sandbox, transfer_changes_event_ids=True)
    old_id = tenant.store.mappings("acme", EVT.key)["p"].event_id
    assert not before
    _moved_to_dan(tenant, sandbox)
    assert tenant.store.mappings("acme", EVT.key)["p"].event_id != old_id


def test_a_calendar_that_answers_403_is_skipped(tenant: Services, sandbox: Any) -> None:
    """One of the receiver's calendars refuses events.list: the others are still searched."""
    dan = build_calendar_gateway(
        delegated_credentials(tenant.settings, "dan@acme.com"),
        "dan@acme.com",
        tenant.settings.google.calendar,
        tenant.settings.retry_deadline_seconds,
    )
    dan.insert_calendar("Archive", "America/New_York")  # listed before "Transferred from"
    _synced_then_suspended(tenant, sandbox)
    sandbox.inject_fault(
        "calendar.events.list",
        user="dan@acme.com",
        status=403,
        reason="forbidden",
        count=1,
    )
    _moved_to_dan(tenant, sandbox)
