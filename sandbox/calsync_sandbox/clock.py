"""Time helpers: the sandbox's clock and RFC 3339 in the formats Google uses.

stamp = rfc3339(utcnow())          # "2026-11-24T10:00:00.123Z" (Calendar style, millis)
when = parse_rfc3339("2026-12-01T10:00:00-05:00")
clock = SandboxClock(); clock.advance(60); clock.now()   # the world's movable clock
"""

from __future__ import annotations

import datetime as dt
import time as _time

__all__ = ["SandboxClock", "parse_date", "parse_rfc3339", "rfc3339", "rfc3339_nanos", "utcnow"]


def utcnow() -> dt.datetime:
    """The current time, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


def rfc3339(when: dt.datetime) -> str:
    """UTC RFC 3339 with milliseconds and ``Z``, as Calendar writes ``created``/``updated``."""
    utc = when.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def rfc3339_nanos(when: dt.datetime) -> str:
    """UTC RFC 3339 with microseconds and ``Z``, as proto3 JSON writes a Timestamp."""
    utc = when.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_rfc3339(text: str) -> dt.datetime | None:
    """Parse an RFC 3339 date-time; a value without offset comes back naive. None if invalid."""
    cleaned = text.strip()
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    if "T" not in cleaned.upper():
        return None
    # Proto3 timestamps may carry nanoseconds; Python keeps microseconds.
    head, dot, rest = cleaned.partition(".")
    if dot:
        digits = ""
        while rest and rest[0].isdigit():
            digits, rest = digits + rest[0], rest[1:]
        cleaned = head + "." + (digits[:6].ljust(6, "0")) + rest
    try:
        return dt.datetime.fromisoformat(cleaned)
    except ValueError:
        return None


def parse_date(text: str) -> dt.date | None:
    """Parse ``yyyy-mm-dd``; None if invalid."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


class SandboxClock:
    """The sandbox's own clock: real time plus an offset that tests can move forward.

        clock = SandboxClock()
        clock.advance(3600)        # an hour later for everything that reads this clock
        clock.now(), clock.time()  # aware UTC datetime / epoch seconds

    It drives event ``created``/``updated`` stamps, access-token expiry, the due times of
    asynchronous work (Meet creation, room answers, Data Transfer) and "now" for Data Transfer's
    "future events". Cloud Tasks dispatch and JWT/id_token ``iat``/``exp`` use the real clock.
    """

    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        """Epoch seconds on the sandbox clock."""
        return _time.time() + self.offset

    def now(self) -> dt.datetime:
        """The sandbox clock's current time, timezone-aware UTC."""
        return utcnow() + dt.timedelta(seconds=self.offset)

    def advance(self, seconds: float) -> None:
        """Move the clock forward (never backward)."""
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        self.offset += seconds

    def reset(self) -> None:
        """Back to real time."""
        self.offset = 0.0
