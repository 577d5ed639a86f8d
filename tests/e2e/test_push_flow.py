"""End to end: Pub/Sub emulator push → on_event_change (functions-framework) → sandbox."""

from __future__ import annotations

from typing import Any

from calsync_dev.cast import PEOPLE, seed_people
from calsync_dev.convergence import wait_for_convergence
from calsync_dev.platform import FakePlatform
from calsync_dev.stack import LocalStack
from calsync_dev.story_items import python_course


def _platform(stack: LocalStack) -> FakePlatform:
    return FakePlatform(
        stack.config.project, "acme", {"sync_enabled": True, "domains": ["acme.com"]}
    )


def test_published_item_reaches_every_calendar_through_push(
    clean: LocalStack, sandbox: Any, results: Any
) -> None:
    """An item.upserted published to platform-events ends up as one event per part."""
    seed_people(sandbox)
    platform = _platform(clean)
    platform.publish_settings()
    platform.upsert(python_course())
    assert wait_for_convergence(platform, sandbox, timeout=30) == []
    synced = results.wait_for(2, status="synced")
    assert {r["part_key"] for r in synced} == {"day1", "day2"}


def test_message_delivered_twice_still_means_one_event_per_part(
    clean: LocalStack, sandbox: Any, results: Any
) -> None:
    """Publishing the same versioned message again creates no second event."""
    seed_people(sandbox)
    platform = _platform(clean)
    platform.publish_settings()
    message = platform.upsert(python_course())
    assert wait_for_convergence(platform, sandbox, timeout=30) == []
    results.wait_for(2, status="synced")
    platform.republish(message)
    # a second item published after the duplicate tells us when the duplicate is behind us
    platform.upsert(
        {
            **python_course(),
            "id": "evt_marker",
            "title": "Marker",
            "parts": python_course()["parts"][:1],
        }
    )
    assert wait_for_convergence(platform, sandbox, timeout=30) == []
    results.wait_for(1, status="synced", item={"kind": "event", "id": "evt_marker"})
    for person in PEOPLE:
        entries = sandbox.calendar_view(person)
        assert len({e["id"] if "id" in e else e["event_id"] for e in entries}) == len(entries)
    created = [
        r for r in sandbox.requests(method_id="calendar.events.insert") if r["status"] == 200
    ]
    assert len(created) == 3  # day1, day2 and the marker: the duplicate created nothing
