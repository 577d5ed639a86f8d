"""Dates relative to today, for the demo, the benches and the tests.

Nothing calsync's users see, nor any test, may depend on the day it runs: an event scheduled on
a literal date is "in the future" only until that date passes. Everything that needs a future
part asks this module instead, in the platform's wire format:

    day(1)                                # a date a month ahead: the first day of "the course"
    at(1, "10:00", "America/New_York")    # "2027-01-04T10:00:00-05:00": that zone's offset
    at(2, "09:30")                        # "2027-01-05T09:30:00Z"
    instant(1, "10:00")                   # the same as an aware datetime

Day 1 lies ``LEAD_DAYS`` ahead of today (UTC): far enough that tests which move the sandbox
clock by hours or days still find it in the future, near enough that every Google limit on
ranges (freeBusy's, for one) holds. Under ``faketime`` everything moves with the faked clock.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

__all__ = ["LEAD_DAYS", "at", "day", "in_utc", "instant"]

LEAD_DAYS = 30
"""How far ahead of today day 1 lies."""


def day(n: int = 1) -> dt.date:
    """The n-th day of the upcoming schedule (day 1 is ``LEAD_DAYS`` from today, UTC)."""
    today = dt.datetime.now(dt.UTC).date()
    return today + dt.timedelta(days=LEAD_DAYS + n - 1)


def instant(n: int, hhmm: str = "10:00", zone: str = "UTC") -> dt.datetime:
    """Wall-clock time ``hhmm`` on day ``n`` in the IANA ``zone``, as an aware datetime."""
    hour, minute = (int(piece) for piece in hhmm.split(":"))
    return dt.datetime.combine(day(n), dt.time(hour, minute), tzinfo=ZoneInfo(zone))


def at(n: int, hhmm: str = "10:00", zone: str = "UTC") -> str:
    """RFC 3339 for ``hhmm`` on day ``n`` in ``zone``: the zone's real offset, ``Z`` for UTC."""
    text = instant(n, hhmm, zone).isoformat()
    return text.replace("+00:00", "Z") if zone == "UTC" else text


def in_utc(when: dt.datetime) -> str:
    """The same instant as RFC 3339 in UTC with ``Z``, as Google may echo it."""
    return when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
