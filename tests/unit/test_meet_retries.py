"""Which failed Meet links are asked for again, and when (pure parts of meet_retries)."""

from __future__ import annotations

from calsync.records import PartMapping
from calsync.sync.meet_retries import MAX_MEET_RETRIES, meet_retry_seconds, needs_meet_retry


def mapping(status: str, retries: int = 0, state: str = "synced") -> PartMapping:
    return PartMapping(
        part_key="p",
        calendar_id="alice@acme.com",
        event_id="e" * 32,
        owner_email="alice@acme.com",
        meet_status=status,
        meet_retries=retries,
        state=state,
    )


def test_a_failed_meet_is_retried() -> None:
    assert needs_meet_retry(mapping("failure"))


def test_a_pending_or_created_meet_is_not_retried() -> None:
    assert not needs_meet_retry(mapping("pending"))
    assert not needs_meet_retry(mapping("success"))


def test_retries_stop_after_the_budget() -> None:
    assert needs_meet_retry(mapping("failure", MAX_MEET_RETRIES - 1))
    assert not needs_meet_retry(mapping("failure", MAX_MEET_RETRIES))


def test_a_deleted_part_is_not_retried() -> None:
    assert not needs_meet_retry(mapping("failure", state="deleted"))


def test_the_wait_doubles() -> None:
    assert [meet_retry_seconds(n) for n in range(3)] == [60, 120, 240]
