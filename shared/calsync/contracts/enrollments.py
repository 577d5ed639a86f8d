"""The message on ``platform-enrollments``: ``enrollment.changed``, a batch of people's
enrollment statuses for one item."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from calsync.contracts.fields import Email, TenantId, Version, WireModel
from calsync.contracts.items import ItemRef

__all__ = [
    "MAX_ENROLLMENT_CHANGES",
    "EnrollmentChange",
    "EnrollmentChanged",
    "EnrollmentMessage",
    "EnrollmentStatus",
]

MAX_ENROLLMENT_CHANGES = 10_000
"""Changes in one ``enrollment.changed`` message (a bulk enrollment)."""


class EnrollmentStatus(StrEnum):
    """Only ``enrolled`` people are attendees."""

    ENROLLED = "enrolled"
    WAITLISTED = "waitlisted"
    UNENROLLED = "unenrolled"


class EnrollmentChange(WireModel):
    """One person's enrollment status; the latest version per (item, email) wins."""

    email: Email
    status: EnrollmentStatus
    version: Version


class EnrollmentChanged(WireModel):
    """A batch of enrollment changes for one item (a bulk enrollment is one message)."""

    type: Literal["enrollment.changed"]
    tenant_id: TenantId
    item: ItemRef
    changes: Annotated[
        list[EnrollmentChange], Field(min_length=1, max_length=MAX_ENROLLMENT_CHANGES)
    ]


EnrollmentMessage: TypeAdapter[EnrollmentChanged] = TypeAdapter(EnrollmentChanged)
