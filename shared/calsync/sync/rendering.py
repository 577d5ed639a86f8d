"""What one part of an item should look like in Google Calendar (pure).

``render_part`` turns the platform's item, the tenant's settings and the people
who should attend into a ``DesiredEvent``; ``DesiredEvent.body()`` is the
Calendar API resource calsync writes. Nothing here does I/O.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from calsync.contracts import Item, Part, TenantSettings, in_domains

__all__ = [
    "ITEM_PROPERTY",
    "PART_PROPERTY",
    "TENANT_PROPERTY",
    "DesiredEvent",
    "render_part",
    "requested_rooms",
    "wants_meet",
]

TENANT_PROPERTY = "calsync_tenant"
ITEM_PROPERTY = "calsync_item"
PART_PROPERTY = "calsync_part"
"""Private extended properties naming what an event belongs to (keys under Google's 44 chars);
the orphan sweeper finds calsync's events by them."""

_FOOTER = "Managed by calsync from {platform}: changes made in Google Calendar may be overwritten."


@dataclass(frozen=True)
class DesiredEvent:
    """The managed fields of one Google Calendar event."""

    event_id: str
    summary: str
    description: str
    location: str
    start: str
    end: str
    time_zone: str
    attendees: tuple[str, ...]
    source_title: str
    source_url: str
    guests_can_see_other_guests: bool
    private_properties: dict[str, str] = field(default_factory=dict)
    rooms: tuple[str, ...] = ()
    meet_request_id: str = ""

    @property
    def wants_meet(self) -> bool:
        """True when the event should carry a Google Meet link."""
        return bool(self.meet_request_id)

    def body(self) -> dict[str, Any]:
        """The event resource (without attendee response state, which the planner merges)."""
        body: dict[str, Any] = {
            "summary": self.summary,
            "description": self.description,
            "location": self.location,
            "start": {"dateTime": self.start, "timeZone": self.time_zone},
            "end": {"dateTime": self.end, "timeZone": self.time_zone},
            "attendees": [{"email": email} for email in self.attendees]
            + [{"email": room, "resource": True} for room in self.rooms],
            "guestsCanSeeOtherGuests": self.guests_can_see_other_guests,
            "guestsCanInviteOthers": False,
            "guestsCanModify": False,
            "extendedProperties": {"private": dict(self.private_properties)},
            "status": "confirmed",
        }
        if self.source_url:
            body["source"] = {"title": self.source_title, "url": self.source_url}
        if self.meet_request_id:
            body["conferenceData"] = {
                "createRequest": {
                    "requestId": self.meet_request_id,
                    "conferenceSolutionKey": {"type": "hangoutsMeet"},
                }
            }
        return body

    def fingerprint(self) -> str:
        """A digest of every managed field: equal fingerprints mean nothing to write."""
        canonical = json.dumps(self.body(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def render_part(
    *,
    tenant_id: str,
    settings: TenantSettings,
    item: Item,
    part: Part,
    event_id: str,
    owner_email: str,
    enrolled: Iterable[str] = (),
    organizer_mode: bool = False,
    organizer_attends: bool = True,
) -> DesiredEvent:
    """Render ``part`` of ``item`` as written by ``owner_email`` (the calendar's owner).

    Rooms and Google Meet exist only in organizer mode (``organizer_mode``): the
    platform account cannot book rooms or create Meet links for a tenant. The item's
    organizer is an attendee unless ``organizer_attends`` is false (their account is
    suspended and a successor looks after the item).
    """
    hosts = part.host_emails if part.host_emails is not None else item.host_emails
    location = part.location if part.location is not None else (item.location or "")
    link = str(item.conference.url) if item.conference and item.conference.kind == "link" else ""
    if link:
        location = f"{location} | {link}" if location else link
    summary = item.title
    if len(item.parts) > 1:
        index = [p.key for p in item.parts].index(part.key) + 1
        summary = f"{item.title} ({index}/{len(item.parts)})"
    return DesiredEvent(
        event_id=event_id,
        summary=summary,
        description=_description(item, hosts, link),
        location=location,
        start=part.start.isoformat(),
        end=part.end.isoformat(),
        time_zone=item.timezone,
        attendees=_attendees(
            owner_email,
            [*([item.organizer_email] if organizer_attends else []), *hosts, *enrolled],
            settings.attendee_domains,
        ),
        source_title=item.title,
        source_url=str(item.url) if item.url else "",
        guests_can_see_other_guests=settings.guests_can_see_other_guests,
        private_properties={
            TENANT_PROPERTY: tenant_id,
            ITEM_PROPERTY: f"{item.kind.value}:{item.id}",
            PART_PROPERTY: part.key,
        },
        rooms=tuple(requested_rooms(item, part)) if organizer_mode else (),
        meet_request_id=f"calsync-{event_id}" if organizer_mode and wants_meet(item) else "",
    )


def requested_rooms(item: Item, part: Part) -> list[str]:
    """The rooms a part asks for (its own list, else the item's)."""
    return list(part.room_emails if part.room_emails is not None else item.room_emails)


def wants_meet(item: Item) -> bool:
    """True when the organizer asked for a Google Meet link."""
    return item.conference is not None and item.conference.kind == "google_meet"


def _attendees(
    owner_email: str, emails: Iterable[str], allowed: list[str] | None = None
) -> tuple[str, ...]:
    """Everyone once, in order, without the calendar's owner (Google adds the organizer),
    and, when the tenant lists ``allowed`` attendee domains, only addresses inside them."""
    owner = owner_email.lower()
    unique = dict.fromkeys(
        email.lower()
        for email in emails
        if email.lower() != owner and (allowed is None or in_domains(email, allowed))
    )
    return tuple(unique)


def _description(item: Item, hosts: list[str], link: str) -> str:
    lines = [item.description.strip()] if item.description.strip() else []
    if hosts:
        lines.append("Hosts: " + ", ".join(hosts))
    if link:
        lines.append(f"Join online: {link}")
    if item.url:
        lines.append(f"Details and enrollment: {item.url}")
    lines.append(_FOOTER.format(platform=item.url.host if item.url else "the learning platform"))
    return "\n\n".join(lines)
