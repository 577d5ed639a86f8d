"""Calendar v3 ``freebusy.query`` (``POST /calendar/v3/freeBusy``).

    {"timeMin": "...", "timeMax": "...", "timeZone": "UTC", "items": [{"id": "room@..."}]}
    -> {"kind": "calendar#freeBusy", "timeMin", "timeMax",
        "calendars": {"room@...": {"busy": [{"start", "end"}]}}}

- ``timeMin``/``timeMax`` are required (400 ``required``); ``timeMax`` before ``timeMin`` is
  400 ``timeRangeEmpty``; a range longer than :data:`MAX_RANGE_DAYS` days is 400
  ``timeRangeTooLong`` "The requested time range is too long." (Google's limit is
  undocumented; the sandbox picks 62 days).
- At most 50 calendars are answered (``calendarExpansionMax``, which may lower it); the ones
  after that get the per-calendar error ``tooManyCalendarsRequested`` (the reason Google's
  ``Error`` schema lists). ``calendarExpansionMax`` above 50 is 400 ``invalid``.
- A calendar is visible to anyone with access to it (:mod:`.access`: its owner, ACL rules of any
  role above ``none``, subscriptions, a room's calendar for the room's domain), and a user's
  primary calendar to the active users of the same domain (Workspace shares free/busy inside
  the domain). Anything else gets ``errors: [{"domain": "global", "reason": "notFound"}]`` and
  no ``busy``.
- Busy blocks: non-cancelled, opaque (not ``transparent``) events on the calendar: the owner's own
  events (unless the owner's own attendee entry declined) and invitations the owner ``accepted``
  (for a room: the bookings it accepted). Blocks are clipped to the range, merged when they
  overlap or touch, and written in ``timeZone`` (default UTC, ``Z``).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from ..clock import parse_rfc3339, rfc3339
from ..errors import ApiError
from ..gateway.calls import Call, Handler, Reply
from ..state.calendars import Calendar, EventRecord
from ..state.identities import Principal
from ..state.world import World
from .access import access_role
from .event_rules import event_bounds
from .invitations import invitations_on
from .rooms import room_status

__all__ = ["HANDLERS", "MAX_CALENDARS", "MAX_RANGE_DAYS"]

MAX_CALENDARS = 50
MAX_RANGE_DAYS = 62


def _time(call: Call, name: str) -> dt.datetime:
    raw = call.body.get(name)
    if not raw:
        raise ApiError(
            400, "required", f"Missing {name}.", location_type="parameter", location=name
        )
    when = parse_rfc3339(str(raw))
    if when is None or when.tzinfo is None:
        raise ApiError(400, "invalid", f"Invalid {name}.", location_type="parameter", location=name)
    return when


def _visible(world: World, caller: Principal, calendar: Calendar) -> bool:
    if access_role(world, caller, calendar) is not None:
        return True
    if caller.service_account or not calendar.primary or calendar.owner not in world.users:
        return False
    same_domain = calendar.owner.rpartition("@")[2] == caller.email.rpartition("@")[2]
    return same_domain and world.active_user(calendar.owner) is not None


def _busy_record(record: EventRecord, owner: str, own: bool) -> bool:
    if record.cancelled or record.data.get("transparency") == "transparent":
        return False
    status = room_status(record.data, owner)
    if own:
        return status != "declined"
    return status == "accepted"


def _blocks(
    world: World, calendar: Calendar, low: dt.datetime, high: dt.datetime
) -> list[tuple[dt.datetime, dt.datetime]]:
    spans: list[tuple[dt.datetime, dt.datetime]] = []
    owned = [(r, True) for r in world.events.get(calendar.id, {}).values()]
    invited = [(r, False) for r in invitations_on(world, calendar)]
    for record, own in owned + invited:
        if not _busy_record(record, calendar.owner, own):
            continue
        bounds = event_bounds(record.data)
        if bounds is None or bounds[1] <= low or bounds[0] >= high:
            continue
        spans.append((max(bounds[0], low), min(bounds[1], high)))
    merged: list[tuple[dt.datetime, dt.datetime]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _show(when: dt.datetime, zone: dt.tzinfo) -> str:
    local = when.astimezone(zone).replace(microsecond=0)
    text = local.isoformat()
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


def _query(call: Call) -> Reply:
    world, caller = call.world, call.caller
    low, high = _time(call, "timeMin"), _time(call, "timeMax")
    if high < low:
        raise ApiError(
            400,
            "timeRangeEmpty",
            "The specified time range is empty.",
            domain="calendar",
            location_type="parameter",
            location="timeMax",
        )
    if high - low > dt.timedelta(days=MAX_RANGE_DAYS):
        raise ApiError(
            400, "timeRangeTooLong", "The requested time range is too long.", domain="calendar"
        )
    limit = call.body.get("calendarExpansionMax")
    if limit is not None and not 1 <= int(limit) <= MAX_CALENDARS:
        raise ApiError(400, "invalid", "Invalid calendarExpansionMax value.")
    zone_name = str(call.body.get("timeZone") or "UTC")
    try:
        zone: dt.tzinfo = zoneinfo.ZoneInfo(zone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ApiError(400, "invalid", "Invalid time zone definition.") from None
    allowed = int(limit) if limit is not None else MAX_CALENDARS
    calendars: dict[str, Any] = {}
    for index, item in enumerate(call.body.get("items") or []):
        wanted = str((item or {}).get("id") or "")
        if index >= allowed:
            calendars[wanted] = {
                "busy": [],
                "errors": [{"domain": "calendar", "reason": "tooManyCalendarsRequested"}],
            }
            continue
        key = caller.email if wanted == "primary" else wanted.lower()
        calendar = world.calendars.get(key)
        if calendar is None or not _visible(world, caller, calendar):
            calendars[wanted] = {"busy": [], "errors": [{"domain": "global", "reason": "notFound"}]}
            continue
        calendars[wanted] = {
            "busy": [
                {"start": _show(s, zone), "end": _show(e, zone)}
                for s, e in _blocks(world, calendar, low, high)
            ]
        }
    return Reply(
        200,
        {
            "kind": "calendar#freeBusy",
            "timeMin": rfc3339(low),
            "timeMax": rfc3339(high),
            "calendars": calendars,
        },
    )


HANDLERS: dict[str, Handler] = {"calendar.freebusy.query": _query}
