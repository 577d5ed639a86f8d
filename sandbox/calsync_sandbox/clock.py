"""Time helpers: the sandbox's clock and RFC 3339 in the formats Google uses.

stamp = rfc3339(utcnow())          # "2026-11-24T10:00:00.123Z" (Calendar style, millis)
when = parse_rfc3339("2026-12-01T10:00:00-05:00")
"""

from __future__ import annotations

import datetime as dt

__all__ = ["parse_date", "parse_rfc3339", "rfc3339", "rfc3339_nanos", "utcnow"]


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
