"""Calendar's anti-abuse limiter: too many attendee-changing writes block a user's writes.

Google's ``quotaExceeded`` ("Calendar usage limits exceeded.") is triggered by volume per acting
user and can last hours, apart from the per-minute rate limits (facts §6.4, §11). The sandbox
counts each user's attendee-changing writes on the sandbox clock::

    limiter = AbuseLimiter()
    limiter.blocked("alice@acme.com", now)                  # False
    limiter.record("alice@acme.com", now, limit=1000, window=60, block=3600)
    # after ``limit`` writes within ``window`` seconds: blocked for ``block`` seconds

The strictness switches give ``limit`` (0 = no limit), ``window`` and ``block``.
"""

from __future__ import annotations

from collections import deque

__all__ = ["AbuseLimiter"]


class AbuseLimiter:
    """Per user: recent attendee-changing writes and the end of a block."""

    def __init__(self) -> None:
        self._writes: dict[str, deque[float]] = {}
        self._blocked_until: dict[str, float] = {}

    def blocked(self, user: str, now: float) -> bool:
        """True while ``user``'s writes fail with ``quotaExceeded``."""
        return self._blocked_until.get(user.lower(), 0.0) > now

    def record(self, user: str, now: float, *, limit: int, window: float, block: float) -> None:
        """Count one attendee-changing write; the ``limit``-th within ``window`` starts a block."""
        if limit <= 0:
            return
        writes = self._writes.setdefault(user.lower(), deque())
        writes.append(now)
        while writes and writes[0] <= now - window:
            writes.popleft()
        if len(writes) >= limit:
            self._blocked_until[user.lower()] = now + block
            writes.clear()
