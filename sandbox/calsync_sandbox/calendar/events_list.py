"""Calendar v3 ``events.list``: filters, ordering, paging and sync tokens.

Supported: ``showDeleted``, ``privateExtendedProperty`` / ``sharedExtendedProperty``
(``name=value``; repeated constraints are ANDed, as the reference says), ``timeMin``/``timeMax``
(overlap), ``updatedMin``, ``iCalUID``, ``q`` (substring of summary, description, location,
attendee emails), ``orderBy`` (``startTime`` needs ``singleEvents=true``; ``updated``),
``maxResults``/``pageToken`` and ``syncToken``. Recurring events are not expanded:
``singleEvents`` only enables ``orderBy=startTime``.

Incremental sync (Google's guide "Synchronize resources efficiently", facts §8.4): the last page
of every list carries ``nextSyncToken`` (the other pages ``nextPageToken`` only); a list with
``syncToken`` returns every event of the calendar changed since that token, deletions included
(``status: cancelled``), and ends with a new ``nextSyncToken``. It refuses the filters Google
forbids with it, and ``showDeleted=false`` ("it is not allowed to set showDeleted to False",
discovery ``events.list.syncToken``), with 400. A token that this world did not make (another
calendar's, one from before a reset, garbage) or one older than the strictness switch
``sync_token_max_age_seconds`` (sandbox clock; default 7 days, a strict guess: Google only says
tokens expire) is 410 ``fullSyncRequired``.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from ..clock import parse_rfc3339, rfc3339
from ..errors import ApiError
from ..gateway.paging import page
from ..gateway.validation import Params
from ..state.calendars import Calendar, EventRecord
from ..state.world import World
from .event_rules import event_bounds, render
from .invitations import invitations_on

__all__ = ["list_events", "refuse_hidden_deletions", "sync_position", "sync_token"]

_SYNC_PREFIX = "sbx-sync:"
_NOT_WITH_SYNC = (
    "iCalUID",
    "orderBy",
    "privateExtendedProperty",
    "q",
    "sharedExtendedProperty",
    "timeMin",
    "timeMax",
    "updatedMin",
)


def sync_token(world: World, calendar_id: str, seq: int) -> str:
    """An opaque token: this world's epoch, the calendar, the change position, when issued."""
    state = {"e": world.epoch, "c": calendar_id, "s": seq, "t": world.clock.time()}
    return base64.urlsafe_b64encode((_SYNC_PREFIX + json.dumps(state)).encode()).decode()


def refuse_hidden_deletions(params: Params) -> None:
    """A read with a ``syncToken`` always returns deletions: ``showDeleted=false`` is 400."""
    if "showDeleted" in params and not params.flag("showDeleted"):
        raise ApiError(
            400,
            "invalid",
            "showDeleted=false cannot be combined with syncToken.",
            location_type="parameter",
            location="showDeleted",
        )


def sync_position(world: World, calendar_id: str, token: str) -> int:
    """The change position ``token`` stands for, or 410 ``fullSyncRequired``."""
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        if not text.startswith(_SYNC_PREFIX):
            raise ValueError(token)
        state = json.loads(text.removeprefix(_SYNC_PREFIX))
        age = world.clock.time() - float(state["t"])
        if (
            state["e"] != world.epoch
            or state["c"] != calendar_id
            or age > world.strictness.sync_token_max_age_seconds
        ):
            raise ValueError(token)
        return int(state["s"])
    except (ValueError, KeyError, TypeError):
        raise ApiError(
            410,
            "fullSyncRequired",
            "Sync token is no longer valid, a full sync is required.",
            domain="calendar",
            location_type="parameter",
            location="syncToken",
        ) from None


def _property_filter(params: Params, name: str) -> list[tuple[str, str]]:
    out = []
    for constraint in params.strings(name):
        key, sep, value = constraint.partition("=")
        if not sep:
            raise ApiError(
                400,
                "invalid",
                f"Invalid {name} constraint: {constraint}",
                location_type="parameter",
                location=name,
            )
        out.append((key, value))
    return out


def _time_param(params: Params, name: str) -> Any:
    raw = params.string(name)
    if raw is None:
        return None
    when = parse_rfc3339(raw)
    if when is None or when.tzinfo is None:
        raise ApiError(
            400,
            "badRequest",
            f"Bad Request: {name} must be an RFC3339 timestamp with a time zone offset.",
            location_type="parameter",
            location=name,
        )
    return when


def _matches(record: EventRecord, own: bool, params: Params) -> bool:
    data = record.data
    scopes = {"privateExtendedProperty": "private", "sharedExtendedProperty": "shared"}
    for param, scope in scopes.items():
        wanted = _property_filter(params, param)
        if wanted:
            if scope == "private" and not own:
                return False
            props = (data.get("extendedProperties") or {}).get(scope) or {}
            if any(props.get(k) != v for k, v in wanted):
                return False
    time_min, time_max = _time_param(params, "timeMin"), _time_param(params, "timeMax")
    if time_min is not None or time_max is not None:
        bounds = event_bounds(data)
        if bounds is None:
            return False
        if (time_min is not None and bounds[1] <= time_min) or (
            time_max is not None and bounds[0] >= time_max
        ):
            return False
    updated_min = _time_param(params, "updatedMin")
    updated = parse_rfc3339(str(data.get("updated", "")))
    if updated_min is not None and (updated is None or updated < updated_min):
        return False
    ical = params.string("iCalUID")
    if ical is not None and data.get("iCalUID") != ical:
        return False
    query = (params.string("q") or "").lower()
    if query:
        text = " ".join(
            [str(data.get(f, "")) for f in ("summary", "description", "location")]
            + record.attendee_emails()
        ).lower()
        if query not in text:
            return False
    return True


def list_events(
    world: World, calendar: Calendar, params: Params, viewer: str, access_role: str
) -> dict[str, Any]:
    """The ``calendar#events`` page for ``calendar`` as ``viewer`` (whose effective role there
    is ``access_role``) sees it."""
    own_records = list(world.events.get(calendar.id, {}).values())
    invited = invitations_on(world, calendar)
    own_ids = {r.id for r in own_records}
    candidates = [(r, True) for r in own_records] + [
        (r, False) for r in invited if r.id not in own_ids
    ]
    sync = params.string("syncToken")
    if sync is not None:
        for name in _NOT_WITH_SYNC:
            if name in params:
                raise ApiError(
                    400,
                    "invalid",
                    f"{name} cannot be combined with syncToken.",
                    location_type="parameter",
                    location=name,
                )
        refuse_hidden_deletions(params)
        since = sync_position(world, calendar.id, sync)
        chosen = [(r, o) for r, o in candidates if r.change_seq > since]
    else:
        show_deleted = params.flag("showDeleted")
        chosen = [
            (r, o)
            for r, o in candidates
            if (show_deleted or not r.cancelled) and _matches(r, o, params)
        ]
    order = params.string("orderBy")
    if order == "startTime":
        if not params.flag("singleEvents"):
            raise ApiError(
                400,
                "invalid",
                "The requested ordering is not available for the particular query.",
                location_type="parameter",
                location="orderBy",
            )
        chosen.sort(key=lambda ro: _start_key(ro[0]))
    elif order == "updated" or sync is not None:
        chosen.sort(key=lambda ro: ro[0].change_seq)
    else:
        chosen.sort(key=lambda ro: ro[0].order)
    items, next_token = page(chosen, params.string("pageToken"), params.integer("maxResults"))
    hide = world.strictness.hide_guests_in_copies
    body: dict[str, Any] = {
        "kind": "calendar#events",
        "etag": world.new_etag(),
        "summary": calendar.summary,
        "description": calendar.description or "",
        "updated": rfc3339(world.clock.now()),
        "timeZone": calendar.time_zone,
        "accessRole": access_role,
        "defaultReminders": [],
        "items": [render(r.data, viewer, own_copy=o, hide_other_guests=hide) for r, o in items],
    }
    if next_token:
        body["nextPageToken"] = next_token
    else:
        latest = max((r.change_seq for r, _ in candidates), default=0)
        body["nextSyncToken"] = sync_token(world, calendar.id, max(latest, world.next_seq()))
    return body


def _start_key(record: EventRecord) -> float:
    bounds = event_bounds(record.data)
    return bounds[0].timestamp() if bounds else 0.0
