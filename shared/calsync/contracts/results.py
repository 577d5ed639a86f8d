"""What calsync publishes on ``calsync-results``: one ``Result`` per part and outcome."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from calsync.contracts.fields import VERSION_LIMIT
from calsync.contracts.items import ItemRef

__all__ = ["AttendeeResponse", "DriftField", "Result", "ResultStatus"]


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
