"""Calendars, the events stored on them, and rooms (calendar resources with a calendar).

calendar = Calendar("alice@acme.com", owner="alice@acme.com", summary="alice@acme.com",
                    primary=True)
record = EventRecord(calendar.id, {"id": "evt00001", ...}, order=1, change_seq=1)
rule = AclRule("user", "bob@acme.com", "writer", etag='"1"')   # rule id "user:bob@acme.com"
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["AclRule", "Calendar", "EventRecord", "Room"]


@dataclass
class Calendar:
    """A calendar and its data owner (its creator; others get access through ACL rules)."""

    id: str
    owner: str
    summary: str
    primary: bool
    time_zone: str = "UTC"
    description: str | None = None
    etag: str = ""


@dataclass
class AclRule:
    """One rule of a calendar's access control list (``calendar#aclRule``).

    ``deleted`` rules are kept as tombstones (role ``none``) for ``acl.list?showDeleted``."""

    scope_type: str
    """``user``, ``group``, ``domain`` or ``default``."""
    scope_value: str | None
    role: str
    etag: str = ""
    change_seq: int = 0
    """The world's sequence number of the rule's last change (``acl.list`` sync tokens)."""
    deleted: bool = False

    @property
    def id(self) -> str:
        """The rule id: ``<scope type>:<value>``, or ``default`` for the public scope."""
        return (
            self.scope_type if self.scope_value is None else f"{self.scope_type}:{self.scope_value}"
        )


@dataclass
class EventRecord:
    """One event on its organizer's calendar; ``data`` is the stored Event resource."""

    calendar_id: str
    data: dict[str, Any]
    order: int
    change_seq: int

    @property
    def id(self) -> str:
        """The event id."""
        return str(self.data["id"])

    @property
    def cancelled(self) -> bool:
        """True for a deleted event (tombstone)."""
        return self.data.get("status") == "cancelled"

    def attendee_emails(self) -> list[str]:
        """Lower-cased emails of all attendees."""
        return [str(a.get("email", "")).lower() for a in self.data.get("attendees") or []]


@dataclass
class Room:
    """A seeded calendar resource (a room): a Directory entry plus a calendar that answers."""

    email: str
    name: str
    domain: str
    """The Workspace domain (= customer) that owns the room; its users may book and read it."""
    resource_id: str
    capacity: int | None = None
    building_id: str | None = None
    floor_name: str | None = None
    category: str = "CONFERENCE_ROOM"
    resource_type: str | None = None
    auto_accept: bool = True
    """False: the room never answers by itself (stays needsAction; use the control ``respond``)."""
    answer_delay: float = 0.0
    """Seconds before the room answers; until then its responseStatus is needsAction."""
    bookers: tuple[str, ...] | None = None
    """Who has booking rights: None = every user of the room's domain; else only these
    addresses (the room declines everyone else's invitations)."""
