"""The results calsync publishes about parts (pure builders, DESIGN §3 ``Result``).

One function per outcome, so the reconciler says *what* happened and these say
how the platform is told.
"""

from __future__ import annotations

from calsync.contracts import Part, Result, ResultStatus
from calsync.errors import PermanentGoogleError
from calsync.records import ItemRecord, PartMapping, now
from calsync.sync.amenities import Amenities, outcomes
from calsync.sync.rendering import requested_rooms, wants_meet

__all__ = [
    "amenity_results",
    "asks_amenities",
    "failed",
    "needs_consent",
    "part_result",
    "pending",
    "quota_deferred",
    "seen_in",
    "skipped",
    "without_amenities",
]


def part_result(
    record: ItemRecord, part_key: str, mapping: PartMapping | None, status: ResultStatus
) -> Result:
    """A part's result with everything the mapping knows (ids, link, Meet, rooms)."""
    return Result(
        tenant_id=record.tenant_id,
        item=record.ref,
        part_key=part_key,
        source_version=record.version,
        status=status,
        calendar_id=mapping.calendar_id if mapping else None,
        event_id=mapping.event_id if mapping else None,
        html_link=mapping.html_link if mapping else None,
        meet_url=mapping.meet_url if mapping else None,
        meet_status=(mapping.meet_status or None) if mapping else None,
        room_responses=(mapping.room_responses or None) if mapping else None,
        at=now(),
    )


def amenity_results(record: ItemRecord, mapping: PartMapping, seen: Amenities) -> list[Result]:
    """A later answer from Google about the part's rooms or Meet link (``seen``, already in
    ``mapping``): the part's ``synced`` result carrying it, and ``room_declined`` or
    ``meet_failed`` beside it. One shape whoever noticed: the follow-up, or two-way sync's read
    of a room that answered after the follow-ups."""
    base = part_result(record, mapping.part_key, mapping, ResultStatus.SYNCED)
    return [base, *outcomes(base, seen)]


def needs_consent(record: ItemRecord, part_key: str, mapping: PartMapping, code: str) -> Result:
    """The part's owner must reconnect before calsync can change it again."""
    return part_result(record, part_key, mapping, ResultStatus.NEEDS_CONSENT).model_copy(
        update={
            "error_code": code,
            "error_message": (
                f"{mapping.owner_email} must reconnect Google Calendar before calsync can "
                "change this event again"
            ),
        }
    )


def failed(record: ItemRecord, part_key: str, exc: PermanentGoogleError) -> Result:
    """Google refused in a way retrying cannot fix; its reason goes to the platform."""
    return Result(
        tenant_id=record.tenant_id,
        item=record.ref,
        part_key=part_key,
        source_version=record.version,
        status=ResultStatus.FAILED,
        error_code=exc.reason,
        error_message=exc.message,
        at=now(),
    )


def skipped(record: ItemRecord, why: str) -> Result:
    """Nothing was written (sync is off for the tenant)."""
    return Result(
        tenant_id=record.tenant_id,
        item=record.ref,
        source_version=record.version,
        status=ResultStatus.SKIPPED,
        error_code="sync_disabled",
        error_message=why,
        at=now(),
    )


def quota_deferred(record: ItemRecord, retry_seconds: int) -> Result:
    """Google's anti-abuse limiter refused; a delayed task will try again."""
    return Result(
        tenant_id=record.tenant_id,
        item=record.ref,
        source_version=record.version,
        status=ResultStatus.FAILED,
        error_code="quotaExceeded",
        error_message=(
            f"Google's usage limiter refused; retrying in {retry_seconds // 60} minutes"
        ),
        at=now(),
    )


def seen_in(result: Result) -> Amenities:
    """What a result says about the part's rooms and Meet link."""
    return Amenities(dict(result.room_responses or {}), result.meet_status or "", result.meet_url)


def pending(result: Result) -> bool:
    """A room has not answered or the Meet link is still being created."""
    return seen_in(result).pending


def asks_amenities(record: ItemRecord, part: Part) -> bool:
    """The part asks for rooms or a Meet link."""
    return record.item is not None and (
        bool(requested_rooms(record.item, part)) or wants_meet(record.item)
    )


def without_amenities(record: ItemRecord, part: Part | None) -> str:
    """A note for fallback results: what the platform account cannot provide."""
    if part is None or not asks_amenities(record, part):
        return ""
    return " (without rooms and Google Meet, which need the organizer's account)"
