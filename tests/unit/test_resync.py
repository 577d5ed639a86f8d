"""Which settings changes re-sync a tenant, and which items a re-sync visits (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from calsync.contracts import Item, ItemRef, TenantSettings
from calsync.entrypoints.tenant_resync import RESYNC_IGNORES, needs_resync, wants_resync
from calsync.records import ItemRecord, TenantRecord
from tests.unit.factories import item_dict

BASE = TenantSettings(domains=["acme.com"])


def _changed(name: str) -> Any:
    """A value for setting ``name`` that differs from BASE's."""
    current = getattr(BASE, name)
    if isinstance(current, bool):
        return not current
    if isinstance(current, list):
        return [*current, "acme.org"]
    if name == "attendee_domains":  # a list that is absent (None) by default
        return ["acme.com"]
    return "someone@acme.com"


def _tenant(resynced: TenantSettings | None, now: TenantSettings) -> TenantRecord:
    return TenantRecord(
        tenant_id="acme", settings=now, settings_version=2, resync_settings=resynced
    )


def test_every_setting_is_classified() -> None:
    """A new setting re-syncs by default; the ignored ones exist."""
    assert set(RESYNC_IGNORES) <= set(TenantSettings.model_fields)


@pytest.mark.parametrize("name", sorted(set(TenantSettings.model_fields) - RESYNC_IGNORES))
def test_a_setting_that_alters_events_needs_a_resync(name: str) -> None:
    """Mode, guest visibility, admin (and anything added later) re-sync future events."""
    changed = BASE.model_copy(update={name: _changed(name)})
    assert needs_resync(_tenant(BASE, changed))


@pytest.mark.parametrize("name", sorted(RESYNC_IGNORES - {"sync_enabled"}))
def test_a_setting_that_does_not_alter_events_needs_no_resync(name: str) -> None:
    """Domains and the fallback organizer are read only by the sweeper."""
    changed = BASE.model_copy(update={name: _changed(name)})
    assert not needs_resync(_tenant(BASE, changed))


def test_sync_off_needs_no_resync() -> None:
    """Nothing is written while sync is off."""
    off = BASE.model_copy(update={"sync_enabled": False})
    assert not needs_resync(_tenant(None, off))


def test_sync_on_after_off_needs_a_resync_even_with_equal_settings() -> None:
    """Turning sync off forgets the baseline: anything may have changed meanwhile."""
    assert needs_resync(_tenant(None, BASE))


def _record(end: datetime, version: int = 1, synced: int = 1, deleted: bool = False) -> ItemRecord:
    part = {"key": "p", "start": (end - timedelta(hours=1)).isoformat(), "end": end.isoformat()}
    item = Item.model_validate(item_dict(parts=[part]))
    return ItemRecord(
        tenant_id="acme",
        ref=item.ref(),
        version=version,
        synced_version=synced,
        deleted=deleted,
        item=item,
    )


def test_a_live_item_with_a_part_to_come_is_resynced() -> None:
    """Its attendees or rendering may have changed without a new version."""
    assert wants_resync(_record(datetime.now(UTC) + timedelta(days=1)))


def test_an_item_that_is_over_is_not_resynced() -> None:
    """Past events stay as they are."""
    assert not wants_resync(_record(datetime.now(UTC) - timedelta(days=1)))


def test_an_item_google_has_not_caught_up_with_is_resynced_even_if_over() -> None:
    """A version recorded while sync was off is brought to Google whatever its dates."""
    assert wants_resync(_record(datetime.now(UTC) - timedelta(days=1), version=2, synced=1))


def test_a_deleted_synced_item_is_not_resynced() -> None:
    """Its events are already cancelled."""
    record = _record(datetime.now(UTC) + timedelta(days=1), deleted=True)
    assert not wants_resync(record)


def test_enrollments_without_an_item_are_not_resynced() -> None:
    """A placeholder (enrollments arrived first) has nothing to write."""
    record = ItemRecord(tenant_id="acme", ref=ItemRef(kind="event", id="early"))
    assert not wants_resync(record)
