"""How strictly the sandbox reads Google: one named switch per behaviour, strict by default.

Where Google's documentation is silent or users' reports disagree, the sandbox takes the stricter
reading (issue 13); a switch gives the lenient one where a test needs both::

    switches = Strictness()
    switches.notify_all_guests_on_attendee_change    # True: every remaining guest gets mail
    switches.update({"transfer_keeps_private_properties": True})   # ValueError on unknown names
    switches.as_dict()                               # {"revoke_kills_all_grants": True, ...}

Every switch is documented in ``docs/sandbox.md`` ("Strictness switches") with its source.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

__all__ = ["Strictness"]


@dataclass
class Strictness:
    """The switches; the defaults are the strict reading."""

    notify_all_guests_on_attendee_change: bool = True
    """sendUpdates=all/externalOnly on a write that changes the attendee list sends an
    ``update`` to every remaining guest it applies to, not only to those added or removed."""
    revoke_kills_all_grants: bool = True
    """Revoking any token of a grant revokes every grant of that user for that client."""
    transfer_keeps_private_properties: bool = False
    """False: Data Transfer drops private extended properties of the events it moves."""
    transfer_changes_event_ids: bool = False
    """True: events moved by Data Transfer get new ids."""
    meet_request_id_reuse_ignored: bool = True
    """A Meet ``createRequest`` whose ``requestId`` was used before on that event is ignored."""
    abuse_limit_writes: int = 1000
    """Attendee-changing writes per user allowed within the window (0: no limit)."""
    abuse_limit_window_seconds: float = 60.0
    abuse_block_seconds: float = 3600.0
    """How long that user's writes then fail with ``quotaExceeded``."""
    abuse_calendars_created: int = 60
    """Calendars one user may create within ``abuse_calendars_window_seconds`` (0: no limit);
    Google: "more than 60 calendars in a short period"."""
    abuse_calendars_window_seconds: float = 86400.0
    abuse_events_created: int = 100000
    """Events one user may create within ``abuse_events_window_seconds`` (0: no limit)."""
    abuse_events_window_seconds: float = 86400.0
    abuse_external_invitations: int = 10000
    """Invitations one user may send to guests who are not seeded Workspace users within
    ``abuse_external_window_seconds`` (0: no limit)."""
    abuse_external_window_seconds: float = 86400.0
    abuse_volume_block_seconds: float = 21600.0
    """How long a user's writes fail with ``quotaExceeded`` after one of the three counts
    above was reached ("read-only for hours")."""
    calendar_list_includes_subscriptions: bool = True
    """calendarList.list also returns subscribed calendars (shared, holidays, rooms)."""
    delegation_checks_scopes: bool = True
    """Domain-wide delegation is authorised per client id, scope and domain."""
    hide_guests_in_copies: bool = True
    """guestsCanSeeOtherGuests=false hides the other guests in attendees' copies."""
    normalise_datetimes: bool = True
    """Returned dateTime values are in the event's time zone at seconds precision."""
    html_error_bodies: bool = True
    """Some injected or transient 5xx answers have HTML bodies."""
    task_name_retention_seconds: float = 3600.0
    """Cloud Tasks forgets a task name this long after the task ran or was deleted."""
    task_duplicate_every: int = 0
    """N > 0: every N-th Cloud Tasks dispatch is delivered twice (0: never)."""
    rooms_answer_async: bool = True
    """Rooms answer invitations after a delay, not in the write's answer."""
    push_requires_https: bool = True
    """events.watch refuses an ``http://`` address (400 ``push.webhookUrlNotHttps``), and
    notifications to ``https://`` addresses check the certificate. False: the local stack's
    http addresses are accepted."""
    watch_max_ttl_seconds: float = 604800.0
    """The longest a watch channel lives, whatever ``params.ttl``/``expiration`` ask for."""
    sync_token_max_age_seconds: float = 604800.0
    """A syncToken older than this (sandbox clock) is 410 ``fullSyncRequired``."""

    def abuse_limit(self, kind: str) -> tuple[int, float, float]:
        """(limit, window seconds, block seconds) of one anti-abuse count
        (:data:`calsync_sandbox.state.abuse.KINDS`)."""
        volume = self.abuse_volume_block_seconds
        limits = {
            "attendee_writes": (
                self.abuse_limit_writes,
                self.abuse_limit_window_seconds,
                self.abuse_block_seconds,
            ),
            "calendars_created": (
                self.abuse_calendars_created,
                self.abuse_calendars_window_seconds,
                volume,
            ),
            "events_created": (self.abuse_events_created, self.abuse_events_window_seconds, volume),
            "external_invitations": (
                self.abuse_external_invitations,
                self.abuse_external_window_seconds,
                volume,
            ),
        }
        return limits[kind]

    def as_dict(self) -> dict[str, Any]:
        """Every switch by name."""
        return asdict(self)

    def update(self, changes: dict[str, Any]) -> None:
        """Set the named switches; ValueError on an unknown name or a value of the wrong kind
        (nothing is changed then)."""
        kinds = {f.name: f.type for f in fields(self)}
        checked: dict[str, Any] = {}
        for name, value in changes.items():
            kind = kinds.get(name)
            if kind is None:
                raise ValueError(f"unknown strictness switch: {name}")
            checked[name] = _checked(name, str(kind), value)
        for name, value in checked.items():
            setattr(self, name, value)


def _checked(name: str, kind: str, value: Any) -> Any:
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be true or false")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"{name} must be a number >= 0")
    if kind == "int":
        if value != int(value):
            raise ValueError(f"{name} must be a whole number")
        return int(value)
    return float(value)
