"""Unit checks of the sync core's hardening (issue 11): pure schedules and names."""

from __future__ import annotations

from itertools import pairwise

from calsync.sync.quota_deferral import (
    QUOTA_RETRY_MAX_SECONDS,
    QUOTA_RETRY_SECONDS,
    quota_retry_seconds,
)


def test_quota_retries_double_from_minutes_up_to_hours() -> None:
    """2 min, 4 min, 8 min, … never more than 6 h, whatever the count."""
    waits = [quota_retry_seconds(n) for n in range(12)]
    assert waits[0] == QUOTA_RETRY_SECONDS == 120
    assert all(b == min(2 * a, QUOTA_RETRY_MAX_SECONDS) for a, b in pairwise(waits))
    assert waits[-1] == QUOTA_RETRY_MAX_SECONDS == 6 * 3600
    assert quota_retry_seconds(10**6) == QUOTA_RETRY_MAX_SECONDS
