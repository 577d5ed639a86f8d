"""Plan the Google operation that brings one part's event to its desired state (pure).

Inputs are plain data: what the event should be (``DesiredEvent`` or ``None``
when the part should not exist) and what Google holds (the event resource, or
``None`` when Google has no event with that id). The output is one ``Operation``
for the executor. The notification budget lives here: new, removed and restored
parts, and changes of time, place or link, are written with ``sendUpdates=all``;
cosmetic edits with ``none``; a change of only the attendee list (enrollments,
waitlist promotions, unenrollments) with what the tenant's ``attendee_notifications``
asks for, ``none`` by default, because Google's ``sendUpdates`` covers the whole
request: ``all`` may e-mail every guest already on the event, not only the new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from calsync.contracts import AttendeeNotifications
from calsync.sync.rendering import DesiredEvent

__all__ = [
    "Delete",
    "Insert",
    "Noop",
    "Operation",
    "Patch",
    "SendUpdates",
    "instant",
    "meet_state",
    "plan_part",
]

SendUpdates = Literal["all", "externalOnly", "none"]

_ATTENDEE_ONLY: dict[AttendeeNotifications, SendUpdates] = {
    "none": "none",
    "external_only": "externalOnly",
    "all": "all",
}
"""``sendUpdates`` for a write that changes only who attends, per tenant setting."""

_NOTIFYING = frozenset({"time", "place", "conference"})
"""Changes every guest hears about, whatever the attendee policy."""

_KEPT_ATTENDEE_FIELDS = ("responseStatus", "comment", "optional", "additionalGuests", "displayName")


@dataclass(frozen=True)
class Insert:
    """Create the event under its deterministic id."""

    event_id: str
    body: dict[str, Any]
    send_updates: SendUpdates
    reason: str


@dataclass(frozen=True)
class Patch:
    """Change the event, guarded by its etag."""

    event_id: str
    body: dict[str, Any]
    etag: str
    send_updates: SendUpdates
    reason: str


@dataclass(frozen=True)
class Delete:
    """Cancel the event (it stays as a tombstone Google can restore)."""

    event_id: str
    etag: str
    send_updates: SendUpdates
    reason: str


@dataclass(frozen=True)
class Noop:
    """Google already holds the desired state."""

    reason: str


Operation = Insert | Patch | Delete | Noop


def plan_part(
    desired: DesiredEvent | None,
    remote: dict[str, Any] | None,
    attendee_notifications: AttendeeNotifications = "none",
    meet_nonce: str = "",
) -> Operation:
    """The one operation that makes ``remote`` match ``desired``; ``attendee_notifications``
    chooses ``sendUpdates`` when only the attendee list (and perhaps cosmetic content)
    changes. ``meet_nonce`` is appended to a Meet ``createRequest.requestId``: Google
    ignores a requestId it saw before on the event, so turning Meet off and on again, or
    retrying a failed Meet, needs a new one."""
    live = remote is not None and remote.get("status") != "cancelled"
    if desired is None:
        if remote is None or not live:
            return Noop("already gone")
        return Delete(str(remote["id"]), str(remote.get("etag", "")), "all", "part removed")
    if remote is None:
        return Insert(desired.event_id, _with_nonce(desired.body(), meet_nonce), "all", "new part")
    body = desired.body()
    body["attendees"] = merge_attendees(desired, remote.get("attendees", []))
    _keep_conference(body, desired, remote)
    _with_nonce(body, meet_nonce)
    etag = str(remote.get("etag", ""))
    if not live:
        return Patch(desired.event_id, body, etag, "all", "restored")
    changes = changed_fields(desired, remote)
    if not changes:
        return Noop("up to date")
    send: SendUpdates = "none"
    if changes & _NOTIFYING:
        send = "all"
    elif "attendees" in changes:
        send = _ATTENDEE_ONLY[attendee_notifications]
    return Patch(desired.event_id, body, etag, send, "changed: " + ", ".join(sorted(changes)))


def _keep_conference(body: dict[str, Any], desired: DesiredEvent, remote: dict[str, Any]) -> None:
    """Never regenerate an existing Meet (one that failed is asked for again); remove it
    when conferencing is turned off."""
    state = meet_state(remote)
    if desired.wants_meet and state not in ("", "failure"):
        body.pop("conferenceData", None)  # keep the link people already have
    elif not desired.wants_meet and state:
        body["conferenceData"] = None


def _with_nonce(body: dict[str, Any], nonce: str) -> dict[str, Any]:
    """Make a Meet ``createRequest`` in ``body`` unique with ``nonce``."""
    create = (body.get("conferenceData") or {}).get("createRequest")
    if nonce and isinstance(create, dict):
        create["requestId"] = f"{create['requestId']}-{nonce}"
    return body


def meet_state(remote: dict[str, Any]) -> str:
    """``""`` (no conference), Google's ``createRequest`` status (``pending``, ``success``,
    ``failure``), or ``present`` for a conference without one."""
    conference = remote.get("conferenceData") or {}
    if not conference:
        return ""
    status = ((conference.get("createRequest") or {}).get("status") or {}).get("statusCode")
    return str(status or "present")


def merge_attendees(desired: DesiredEvent, current: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The desired attendee list, keeping what each staying attendee already has."""
    existing = {str(a.get("email", "")).lower(): a for a in current}
    merged: list[dict[str, Any]] = []
    rooms = set(desired.rooms)
    for email in (*desired.attendees, *desired.rooms):
        entry: dict[str, Any] = {"email": email}
        if email in rooms:
            entry["resource"] = True
        for key in _KEPT_ATTENDEE_FIELDS:
            if key in existing.get(email, {}):
                entry[key] = existing[email][key]
        merged.append(entry)
    return merged


def changed_fields(desired: DesiredEvent, remote: dict[str, Any]) -> set[str]:
    """Which aspects differ: ``time``, ``place``, ``attendees``, ``conference``, ``content``."""
    want = desired.body()
    changes: set[str] = set()
    if not (
        _same_time(want["start"], remote.get("start"))
        and _same_time(want["end"], remote.get("end"))
    ):
        changes.add("time")
    if want["location"] != remote.get("location", ""):
        changes.add("place")
    if set(desired.attendees) | set(desired.rooms) != _attendee_emails(remote):
        changes.add("attendees")
    state = meet_state(remote)
    if (desired.wants_meet and state in ("", "failure")) or (not desired.wants_meet and state):
        changes.add("conference")
    for key, default in (
        ("summary", ""),
        ("description", ""),
        ("source", None),
        ("guestsCanSeeOtherGuests", True),
        ("guestsCanInviteOthers", True),
        ("guestsCanModify", False),
    ):
        if want.get(key, default) != remote.get(key, default):
            changes.add("content")
    private = remote.get("extendedProperties", {}).get("private", {})
    if any(private.get(k) != v for k, v in desired.private_properties.items()):
        changes.add("content")
    return changes


def _attendee_emails(remote: dict[str, Any]) -> set[str]:
    return {
        str(a.get("email", "")).lower()
        for a in remote.get("attendees", [])
        if not a.get("organizer") or not a.get("self")
    }


def _same_time(want: dict[str, str], have: Any) -> bool:
    """Same instant (to the second) in the same zone. Google re-expresses a ``dateTime`` in
    the event's time zone (or UTC) and keeps seconds only, so strings cannot be compared."""
    if not isinstance(have, dict) or "dateTime" not in have:
        return False
    zone = str(have.get("timeZone", want["timeZone"]))
    if want["timeZone"] != zone:
        return False
    wanted, held = instant(want["dateTime"], zone), instant(str(have["dateTime"]), zone)
    return wanted is not None and wanted == held


def instant(value: str, zone: str) -> datetime | None:
    """An RFC 3339 ``dateTime`` as an aware instant truncated to the second; one without an
    offset is read in ``zone``. None when it cannot be read."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=ZoneInfo(zone))
    except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        return None
    return parsed.replace(microsecond=0)
