"""Calendar's anti-abuse limiter: too much of one kind of write blocks a user's writes.

Google's ``quotaExceeded`` ("Calendar usage limits exceeded.") is triggered by volume per acting
user and can last hours, apart from the per-minute rate limits (facts §6.4, §11). Google's
Workspace help ("Avoid Calendar use limits") names what it counts: calendars created, events
created and invitations to external guests in a short period; users also report blocks after
many attendee changes. The sandbox keeps one count per kind and user, on the sandbox clock::

    limiter = AbuseLimiter()
    limiter.blocked("alice@acme.com", now)                  # False
    limiter.record("alice@acme.com", now, (60, 86400, 21600), kind="calendars_created")
    # after ``limit`` within ``window`` seconds: every write of hers blocked for ``block`` seconds

The strictness switches give ``limit`` (0 = no limit), ``window`` and ``block`` per kind.
"""

from __future__ import annotations

from collections import deque

__all__ = ["KINDS", "AbuseLimiter"]

KINDS = ("attendee_writes", "calendars_created", "events_created", "external_invitations")
"""What the limiter counts, per acting user."""


class AbuseLimiter:
    """Per kind and user: recent counted writes; per user: the end of a block."""

    def __init__(self) -> None:
        self._writes: dict[tuple[str, str], deque[float]] = {}
        self._blocked_until: dict[str, float] = {}
        self.tripped: dict[str, str] = {}
        """user -> the kind that started the user's latest block (for the control API)."""

    def blocked(self, user: str, now: float) -> bool:
        """True while ``user``'s writes fail with ``quotaExceeded``."""
        return self._blocked_until.get(user.lower(), 0.0) > now

    def record(
        self,
        user: str,
        now: float,
        limits: tuple[int, float, float],
        *,
        kind: str = "attendee_writes",
        amount: int = 1,
    ) -> None:
        """Count ``amount`` of ``kind``; reaching ``limit`` within ``window`` starts a block
        of ``block`` seconds (``limits``: ``Strictness.abuse_limit(kind)``)."""
        if kind not in KINDS:
            raise ValueError(f"unknown kind of counted write: {kind}")
        limit, window, block = limits
        if limit <= 0 or amount <= 0:
            return
        writes = self._writes.setdefault((kind, user.lower()), deque())
        writes.extend([now] * amount)
        while writes and writes[0] <= now - window:
            writes.popleft()
        if len(writes) >= limit:
            self._blocked_until[user.lower()] = now + block
            self.tripped[user.lower()] = kind
            writes.clear()
