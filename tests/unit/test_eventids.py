"""Deterministic event ids follow Google's rules and differ by generation."""

from __future__ import annotations

from calsync.sync.event_ids import event_id, is_valid_event_id


def test_event_id_is_valid_base32hex() -> None:
    """Ids use only a-v and 0-9 and have a length Google accepts."""
    value = event_id("acme", "event:evt_123", "day1")
    assert is_valid_event_id(value)
    assert len(value) == 32


def test_event_id_is_deterministic() -> None:
    """The same part always maps to the same id, so a retried insert collides."""
    assert event_id("acme", "event:e", "p") == event_id("acme", "event:e", "p")


def test_event_id_differs_per_tenant_part_and_generation() -> None:
    """Tenant, item, part and generation each change the id."""
    ids = {
        event_id("acme", "event:e", "p"),
        event_id("other", "event:e", "p"),
        event_id("acme", "event:f", "p"),
        event_id("acme", "event:e", "q"),
        event_id("acme", "event:e", "p", generation=1),
    }
    assert len(ids) == 5


def test_invalid_ids_are_recognised() -> None:
    """Upper case, w-z, punctuation and short ids are not Google event ids."""
    for bad in ("ABCDE", "wxyz0", "abc-def", "abcd"):
        assert not is_valid_event_id(bad)
