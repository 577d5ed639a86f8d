"""Builders of valid platform messages for tests (override any field by keyword)."""

from __future__ import annotations

from typing import Any

from calsync_dev.dates import at

NEW_YORK = "America/New_York"


def item_dict(**overrides: Any) -> dict[str, Any]:
    """A valid two-part event as the platform sends it."""
    item: dict[str, Any] = {
        "kind": "event",
        "id": "evt_123",
        "title": "Intro to Python",
        "description": "Learn Python.",
        "url": "https://acme.example/events/evt_123",
        "organizer_email": "alice@acme.com",
        "host_emails": ["bob@acme.com"],
        "timezone": "America/New_York",
        "location": "HQ, floor 4",
        "parts": [
            {
                "key": "day1",
                "start": at(1, "10:00", NEW_YORK),
                "end": at(1, "12:00", NEW_YORK),
            },
            {
                "key": "day2",
                "start": at(2, "10:00", NEW_YORK),
                "end": at(2, "12:00", NEW_YORK),
                "location": "HQ, floor 2",
                "host_emails": ["dan@acme.com"],
            },
        ],
    }
    item.update(overrides)
    return item


def upsert_message(version: int = 1, tenant_id: str = "acme", **item: Any) -> dict[str, Any]:
    """An ``item.upserted`` message."""
    return {
        "type": "item.upserted",
        "tenant_id": tenant_id,
        "version": version,
        "item": item_dict(**item),
    }


def delete_message(
    version: int, tenant_id: str = "acme", item_id: str = "evt_123"
) -> dict[str, Any]:
    """An ``item.deleted`` message."""
    return {
        "type": "item.deleted",
        "tenant_id": tenant_id,
        "version": version,
        "item": {"kind": "event", "id": item_id},
    }


def settings_message(version: int = 1, tenant_id: str = "acme", **settings: Any) -> dict[str, Any]:
    """A ``settings.updated`` message."""
    body: dict[str, Any] = {"sync_enabled": True, "domains": ["acme.com"]}
    body.update(settings)
    return {
        "type": "settings.updated",
        "tenant_id": tenant_id,
        "version": version,
        "settings": body,
    }
