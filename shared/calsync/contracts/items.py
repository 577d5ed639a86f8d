"""What the platform schedules: an item (event or session) and its parts.

``Item`` is the content ``item.upserted`` carries; ``ItemRef`` names an item everywhere
else (deletions, enrollments, results, storage keys). Each ``Part`` becomes one Google
Calendar event.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import AwareDatetime, Field, HttpUrl, model_validator

from calsync.contracts.fields import (
    Email,
    EmailList,
    ItemId,
    PartKey,
    TimeZone,
    WireModel,
)

__all__ = ["MAX_PARTS", "Conference", "Item", "ItemKind", "ItemRef", "Part"]

MAX_PARTS = 100
"""Parts per item; each part is one Google Calendar event."""


class ItemKind(StrEnum):
    """What the platform calls the thing being scheduled."""

    EVENT = "event"
    SESSION = "session"


class ItemRef(WireModel):
    """Names one event or session of a tenant."""

    kind: ItemKind
    id: ItemId

    @property
    def key(self) -> str:
        """``kind:id``, the item's key in storage and logs."""
        return f"{self.kind.value}:{self.id}"

    @classmethod
    def from_key(cls, key: str) -> ItemRef:
        """The reference a storage key (``kind:id``, see ``key``) names."""
        kind, _, item_id = key.partition(":")
        return cls.model_validate({"kind": kind, "id": item_id})


class Conference(WireModel):
    """Video conferencing: a Google Meet created by Google, or a link the organizer gives."""

    kind: Literal["google_meet", "link"]
    url: HttpUrl | None = None

    @model_validator(mode="after")
    def _link_needs_url(self) -> Self:
        if self.kind == "link" and self.url is None:
            raise ValueError("conference of kind 'link' needs a url")
        return self


class Part(WireModel):
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
