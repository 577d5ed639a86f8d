"""The wire contracts (v1) between the platform and calsync (DESIGN §3).

Inbound messages: ``item.upserted``, ``item.deleted`` and ``settings.updated`` on
``platform-events``; ``enrollment.changed`` on ``platform-enrollments``. Outbound:
``Result`` on ``calsync-results``. JSON Schemas for all of them are generated into
``docs/schemas/`` by ``calsync schemas`` (a test keeps them current).
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    TypeAdapter,
    model_validator,
)

__all__ = [
    "MAX_ENROLLMENT_CHANGES",
    "MAX_PARTS",
    "VERSION_LIMIT",
    "AttendeeNotifications",
    "Conference",
    "Domain",
    "Email",
    "EnrollmentChange",
    "EnrollmentChanged",
    "EnrollmentMessage",
    "Item",
    "ItemDeleted",
    "ItemRef",
    "ItemUpserted",
    "Part",
    "PlatformEvent",
    "PlatformEventMessage",
    "Result",
    "ResultStatus",
    "SettingsUpdated",
    "TenantSettings",
    "in_domains",
    "path_bound",
]

MAX_PARTS = 100
"""Parts per item; each part is one Google Calendar event."""
MAX_ENROLLMENT_CHANGES = 10_000
"""Changes in one ``enrollment.changed`` message (a bulk enrollment)."""
VERSION_LIMIT = 2**63
"""Every integer calsync stores is below this: Firestore keeps signed 64-bit integers, and a
larger one would pass validation and then fail in Firestore's encoder."""

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


def _email(value: str) -> str:
    value = value.strip().lower()
    if len(value) > 254 or not _EMAIL.match(value):
        raise ValueError(f"not a valid email address: {value!r}")
    return value


_HOST = re.compile(
    r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$"
)


def _domain(value: str) -> str:
    value = value.strip().lower()
    if not _HOST.match(value):
        raise ValueError(f"not a valid host name: {value!r}")
    return value


def in_domains(email: str, domains: list[str]) -> bool:
    """True when ``email``'s domain is exactly one of ``domains`` (case-insensitive)."""
    _, at, domain = email.lower().rpartition("@")
    return bool(at) and domain in {d.lower() for d in domains if d}


def path_bound(tenant_id: object, email: object = None) -> str | None:
    """What is wrong with a tenant id (and an email) about to name a Firestore path or a
    person, or None when both are well formed (HTTP functions check every parameter)."""
    if not isinstance(tenant_id, str) or not re.match(_TENANT_ID, tenant_id):
        return "tenant must match " + _TENANT_ID
    if email is not None and (not isinstance(email, str) or not _EMAIL.match(email)):
        return "organizer must be an email address"
    return None


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA time zone: {value!r}") from exc
    return value


def _unique(values: list[str]) -> list[str]:
    seen: dict[str, None] = dict.fromkeys(values)
    return list(seen)


Email = Annotated[str, AfterValidator(_email)]
"""An email address, normalised to lower case."""
Domain = Annotated[str, AfterValidator(_domain)]
"""A host name (``acme.com``), normalised to lower case; never empty."""
_TENANT_ID = r"^[a-z0-9][a-z0-9_-]{0,62}$"
TenantId = Annotated[str, Field(pattern=_TENANT_ID)]
ItemId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:-]{1,128}$")]
PartKey = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
TimeZone = Annotated[str, AfterValidator(_timezone)]
Version = Annotated[int, Field(ge=0, lt=VERSION_LIMIT)]
"""A version: 0 ≤ version < 2**63 (what Firestore stores as an integer)."""
EmailList = Annotated[list[Email], Field(max_length=1000), AfterValidator(_unique)]


class _Wire(BaseModel):
    """Base of every wire model: unknown fields are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ItemKind(StrEnum):
    """What the platform calls the thing being scheduled."""

    EVENT = "event"
    SESSION = "session"


class ItemRef(_Wire):
    """Names one event or session of a tenant."""

    kind: ItemKind
    id: ItemId

    @property
    def key(self) -> str:
        """``kind:id``, the item's key in storage and logs."""
        return f"{self.kind.value}:{self.id}"


class Conference(_Wire):
    """Video conferencing: a Google Meet created by Google, or a link the organizer gives."""

    kind: Literal["google_meet", "link"]
    url: HttpUrl | None = None

    @model_validator(mode="after")
    def _link_needs_url(self) -> Self:
        if self.kind == "link" and self.url is None:
            raise ValueError("conference of kind 'link' needs a url")
        return self


class Part(_Wire):
    """One occurrence of an item; each becomes one Google Calendar event."""

    key: PartKey
    start: AwareDatetime
    end: AwareDatetime
    location: Annotated[str, Field(max_length=1024)] | None = None
    room_emails: EmailList | None = None
    host_emails: EmailList | None = None

    @model_validator(mode="after")
    def _end_after_start(self) -> Self:
        if self.end <= self.start:
            raise ValueError(f"part {self.key!r} ends before it starts")
        return self


class Item(ItemRef):
    """An event or session as the platform describes it."""

    title: Annotated[str, Field(min_length=1, max_length=1024)]
    description: Annotated[str, Field(max_length=8000)] = ""
    url: HttpUrl | None = None
    organizer_email: Email
    host_emails: EmailList = Field(default_factory=list)
    timezone: TimeZone
    location: Annotated[str, Field(max_length=1024)] | None = None
    conference: Conference | None = None
    room_emails: EmailList = Field(default_factory=list)
    parts: Annotated[list[Part], Field(min_length=1, max_length=MAX_PARTS)]

    @model_validator(mode="after")
    def _unique_part_keys(self) -> Self:
        keys = [part.key for part in self.parts]
        if len(set(keys)) != len(keys):
            raise ValueError("part keys must be unique within an item")
        return self

    def ref(self) -> ItemRef:
        """The item's reference without its content."""
        return ItemRef(kind=self.kind, id=self.id)


class ItemUpserted(_Wire):
    """An item was created or changed; ``version`` grows with every change."""

    type: Literal["item.upserted"]
    tenant_id: TenantId
    version: Version
    item: Item


class ItemDeleted(_Wire):
    """An item was deleted."""

    type: Literal["item.deleted"]
    tenant_id: TenantId
    version: Version
    item: ItemRef


AttendeeNotifications = Literal["none", "external_only", "all"]
DriftPolicy = Literal["repair", "report"]


class TenantSettings(_Wire):
    """A tenant's calsync settings."""

    sync_enabled: bool = True
    use_organizer_accounts: bool = False
    domains: Annotated[list[Domain], Field(max_length=50), AfterValidator(_unique)] = Field(
        default_factory=list
    )
    guests_can_see_other_guests: bool = False
    fallback_organizer_email: Email | None = None
    admin_email: Email | None = None
    attendee_notifications: AttendeeNotifications = "none"
    """Who Google e-mails when only the attendee list of an event changes (enrollments,
    waitlist promotions, unenrollments): ``none`` (nobody; internal people see the entry
    appear on their calendar), ``external_only`` (guests outside the tenant's Workspace,
    all of them on each such write) or ``all`` (every guest on each such write). Google's
    ``sendUpdates`` applies to a whole request, not to the guests it adds; see
    docs/decisions.md, "Notifications for attendee-only changes"."""
    attendee_domains: Annotated[list[Domain], Field(max_length=50)] | None = None
    """None: anyone may be invited. A list: only addresses in these domains are (calsync
    does not relay invitations to arbitrary addresses); others are left out of the events."""
    two_way_sync: bool = False
    """Watch the calendars calsync writes to (Calendar push channels) and read their changes
    back (issue 15). Off by default while two-way sync lands in slices; turning it off, or
    sync off, stops the tenant's channels."""
    drift_policy: DriftPolicy = "repair"
    """What two-way sync does when someone changes calsync's event in Google Calendar:
    ``repair`` (put it back with one write: attendees are told when time or place is put back,
    cosmetic repairs are silent; a deleted event is created again under a new id; guests added
    by hand are removed) or ``report`` (leave it). Both publish a ``drifted`` result."""

    @model_validator(mode="after")
    def _people_inside_domains(self) -> Self:
        """calsync acts as these people through delegation: only inside the tenant's domains."""
        for name in ("admin_email", "fallback_organizer_email"):
            email = getattr(self, name)
            if email is not None and not in_domains(email, self.domains):
                raise ValueError(f"{name} {email!r} is outside the tenant's domains")
        return self


class SettingsUpdated(_Wire):
    """A tenant's settings changed (and, the first time, the tenant became known)."""

    type: Literal["settings.updated"]
    tenant_id: TenantId
    version: Version
    settings: TenantSettings


PlatformEvent = Annotated[ItemUpserted | ItemDeleted | SettingsUpdated, Field(discriminator="type")]
PlatformEventMessage: TypeAdapter[ItemUpserted | ItemDeleted | SettingsUpdated] = TypeAdapter(
    PlatformEvent
)


class EnrollmentStatus(StrEnum):
    """Only ``enrolled`` people are attendees."""

    ENROLLED = "enrolled"
    WAITLISTED = "waitlisted"
    UNENROLLED = "unenrolled"


class EnrollmentChange(_Wire):
    """One person's enrollment status; the latest version per (item, email) wins."""

    email: Email
    status: EnrollmentStatus
    version: Version


class EnrollmentChanged(_Wire):
    """A batch of enrollment changes for one item (a bulk enrollment is one message)."""

    type: Literal["enrollment.changed"]
    tenant_id: TenantId
    item: ItemRef
    changes: Annotated[
        list[EnrollmentChange], Field(min_length=1, max_length=MAX_ENROLLMENT_CHANGES)
    ]


EnrollmentMessage: TypeAdapter[EnrollmentChanged] = TypeAdapter(EnrollmentChanged)


class ResultStatus(StrEnum):
    """What happened to one part (or, for ``rejected``, to a whole message)."""

    SYNCED = "synced"
    DELETED = "deleted"
    REJECTED = "rejected"
    FAILED = "failed"
    SKIPPED = "skipped"
    NEEDS_CONSENT = "needs_consent"
    ROOM_DECLINED = "room_declined"
    MEET_FAILED = "meet_failed"
    TRANSFERRED = "transferred"
    DRIFTED = "drifted"
    """Someone changed calsync's event in Google Calendar (two-way sync): ``drifted_fields``
    names what differs, ``error_code`` what calsync did (``repaired`` or ``reported``)."""
    RESPONDED = "responded"
    """An attendee answered the invitation in Google Calendar (two-way sync): ``email`` and
    ``response``."""


DriftField = Literal["time", "title", "location", "description", "attendees", "status"]
"""A managed field of an event that someone changed in Google Calendar."""
AttendeeResponse = Literal["accepted", "declined", "tentative", "needsAction"]
"""An attendee's ``responseStatus`` in Google Calendar."""


class Result(BaseModel):
    """Published to ``calsync-results``: one per part and outcome."""

    model_config = ConfigDict(extra="forbid")

    tenant_id: str
    item: ItemRef | None = None
    part_key: str | None = None
    source_version: Annotated[int, Field(ge=-1, lt=VERSION_LIMIT)] | None = None
    """The item version the result is about (-1: only enrollments for it have arrived)."""
    status: ResultStatus
    calendar_id: str | None = None
    event_id: str | None = None
    html_link: str | None = None
    meet_url: str | None = None
    meet_status: str | None = None
    room_responses: dict[str, str] | None = None
    error_code: str | None = None
    error_message: str | None = None
    drifted_fields: list[DriftField] | None = None
    """``drifted``: the managed fields that differ from what the platform asked for."""
    email: str | None = None
    """``responded``: the attendee who answered."""
    response: AttendeeResponse | None = None
    """``responded``: their answer, as Google Calendar holds it."""
    at: datetime | None = None

    def to_json(self) -> bytes:
        """The message body, without empty fields."""
        return self.model_dump_json(exclude_none=True).encode()


def json_schemas() -> dict[str, dict[str, Any]]:
    """JSON Schema of every contract, keyed by file name (written to docs/schemas/)."""
    return {
        "platform-event.schema.json": PlatformEventMessage.json_schema(),
        "enrollment-changed.schema.json": EnrollmentMessage.json_schema(),
        "result.schema.json": Result.model_json_schema(),
    }
