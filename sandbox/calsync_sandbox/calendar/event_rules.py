"""Pure rules for Calendar events: ids, times, building, patching and per-viewer rendering.

    check_event_id("evt12345")                      # ApiError 400 "Invalid resource id value."
    check_times(body)                               # ApiError 400 for missing/reversed times
    merged = merge_patch(stored, patch_body)        # JSON merge; arrays replace, null deletes
    view = render(stored, viewer="bob@acme.com", own_copy=False)

Nothing here touches the world; :mod:`calsync_sandbox.calendar.events` calls these under the
lock.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import zoneinfo
from typing import Any

from ..clock import parse_date, parse_rfc3339
from ..errors import ApiError

__all__ = [
    "READ_ONLY_FIELDS",
    "SEQUENCE_FIELDS",
    "check_event_id",
    "check_times",
    "clean_extended_properties",
    "event_bounds",
    "merge_patch",
    "render",
    "writable_fields",
]

_EVENT_ID = re.compile(r"[a-v0-9]{5,1024}")
# Fields the server owns: ignored in request bodies.
READ_ONLY_FIELDS = frozenset(
    {
        "kind",
        "etag",
        "id",
        "htmlLink",
        "created",
        "updated",
        "creator",
        "organizer",
        "hangoutLink",
        "iCalUID",
        "sequence",
        "attendeesOmitted",
        "privateCopy",
        "locked",
    }
)
# Changing any of these bumps ``sequence`` (RFC 5545 SEQUENCE: time and place).
SEQUENCE_FIELDS = ("start", "end", "location", "recurrence")
_WHOLE_VALUE_FIELDS = ("start", "end", "originalStartTime")
_MAX_KEY, _MAX_VALUE = 44, 1024


def check_event_id(event_id: str) -> None:
    """Client-chosen ids must be base32hex (``[a-v0-9]``), 5 to 1024 characters."""
    if not _EVENT_ID.fullmatch(event_id):
        raise ApiError(400, "invalid", "Invalid resource id value.")


def _instant(value: dict[str, Any], which: str) -> tuple[dt.datetime, bool]:
    """A start/end as an aware datetime (date -> midnight UTC) and whether it was all-day."""
    zone_name = value.get("timeZone")
    zone: dt.tzinfo | None = None
    if zone_name:
        try:
            zone = zoneinfo.ZoneInfo(str(zone_name))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ApiError(
                400, "invalid", f"Invalid time zone definition for {which} time."
            ) from None
    if value.get("dateTime"):
        when = parse_rfc3339(str(value["dateTime"]))
        if when is None:
            raise ApiError(400, "invalid", f"Invalid {which} time.")
        if when.tzinfo is None:
            if zone is None:
                raise ApiError(400, "required", f"Missing time zone definition for {which} time.")
            when = when.replace(tzinfo=zone)
        return when, False
    if value.get("date"):
        day = parse_date(str(value["date"]))
        if day is None:
            raise ApiError(400, "invalid", f"Invalid {which} time.")
        return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC), True
    raise ApiError(400, "required", f"Missing {which} time.")


def normalise_times(event: dict[str, Any]) -> None:
    """Re-express ``start``/``end``/``originalStartTime`` ``dateTime`` values in their time zone
    (``timeZone``, else the event's start time zone, else as sent), at seconds precision, as
    Google returns them (strict reading): ``2026-12-04T15:00:00.250Z`` with ``America/New_York``
    becomes ``2026-12-04T10:00:00-05:00``."""
    default_zone = (event.get("start") or {}).get("timeZone")
    for key in ("start", "end", "originalStartTime"):
        value = event.get(key)
        if not isinstance(value, dict) or not value.get("dateTime"):
            continue
        when = parse_rfc3339(str(value["dateTime"]))
        zone_name = value.get("timeZone") or default_zone
        try:
            zone = zoneinfo.ZoneInfo(str(zone_name)) if zone_name else None
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zone = None
        if when is None or (when.tzinfo is None and zone is None):
            continue
        when = when.replace(tzinfo=zone) if when.tzinfo is None else when
        local = when.astimezone(zone) if zone is not None else when
        text = local.replace(microsecond=0).isoformat(timespec="seconds")
        value["dateTime"] = text[:-6] + "Z" if text.endswith("+00:00") else text


def check_times(event: dict[str, Any]) -> None:
    """Start and end present, parseable, same kind (date vs dateTime) and not reversed."""
    if event.get("status") == "cancelled" and not event.get("start"):
        return
    start, start_all_day = _instant(event.get("start") or {}, "start")
    end, end_all_day = _instant(event.get("end") or {}, "end")
    if start_all_day != end_all_day:
        raise ApiError(
            400, "invalid", "Start and end times must either both be date or both be dateTime."
        )
    if end < start or (start_all_day and end == start):
        raise ApiError(
            400,
            "timeRangeEmpty",
            "The specified time range is empty.",
            domain="calendar",
            location_type="parameter",
            location="end",
        )
    if event.get("recurrence") and not start_all_day and not event["start"].get("timeZone"):
        raise ApiError(400, "required", "Missing time zone definition for start time.")


def event_bounds(event: dict[str, Any]) -> tuple[dt.datetime, dt.datetime] | None:
    """The event's [start, end) as aware datetimes, or None if it has no usable times."""
    try:
        start, _ = _instant(event.get("start") or {}, "start")
        end, _ = _instant(event.get("end") or {}, "end")
    except ApiError:
        return None
    return start, end


def clean_extended_properties(event: dict[str, Any]) -> None:
    """Apply Google's silent limits: keys over 44 chars dropped, values cut to 1024 chars."""
    props = event.get("extendedProperties")
    if not isinstance(props, dict):
        return
    for scope in ("private", "shared"):
        values = props.get(scope)
        if isinstance(values, dict):
            props[scope] = {
                k: (v[:_MAX_VALUE] if isinstance(v, str) else v)
                for k, v in values.items()
                if len(k) <= _MAX_KEY and v is not None
            }


def writable_fields(body: dict[str, Any]) -> dict[str, Any]:
    """The body without server-owned fields."""
    return {k: copy.deepcopy(v) for k, v in body.items() if k not in READ_ONLY_FIELDS}


def merge_patch(stored: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Patch semantics: nested objects merge, arrays and start/end replace, null deletes."""
    out = copy.deepcopy(stored)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif (
            isinstance(value, dict)
            and isinstance(out.get(key), dict)
            and (key not in _WHOLE_VALUE_FIELDS)
        ):
            out[key] = merge_patch(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def render(
    stored: dict[str, Any], viewer: str, own_copy: bool, hide_other_guests: bool = False
) -> dict[str, Any]:
    """The event as ``viewer`` sees it: ``self`` flags, and no private properties of others.
    With ``hide_other_guests`` (strict reading) an attendee's copy of an event with
    ``guestsCanSeeOtherGuests: false`` lists only the viewer among the attendees."""
    event = copy.deepcopy(stored)
    who = viewer.lower()
    if hide_other_guests and not own_copy and event.get("guestsCanSeeOtherGuests") is False:
        mine = [a for a in event.get("attendees") or [] if str(a.get("email", "")).lower() == who]
        if "attendees" in event:
            event["attendees"] = mine
    organizer = event.get("organizer") or {}
    organizer_email = str(organizer.get("email", "")).lower()
    if own_copy:
        organizer["self"] = True
    else:
        organizer.pop("self", None)
        props = event.get("extendedProperties") or {}
        props.pop("private", None)
        if not props:
            event.pop("extendedProperties", None)
    creator = event.get("creator") or {}
    if str(creator.get("email", "")).lower() == who:
        creator["self"] = True
    for attendee in event.get("attendees") or []:
        email = str(attendee.get("email", "")).lower()
        if email == who:
            attendee["self"] = True
        if email == organizer_email:
            attendee["organizer"] = True
    return event
