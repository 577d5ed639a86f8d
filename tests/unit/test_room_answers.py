"""Rooms' late answers (pure parts): which answers are news, and how they are reported."""

from __future__ import annotations

from calsync.contracts import ItemRef, ResultStatus
from calsync.records import ItemRecord, PartMapping
from calsync.sync.amenities import Amenities, late_answers, observe
from calsync.sync.part_results import amenity_results

PINE = "hq-4-pine@resource.calendar.google.com"
OAK = "hq-2-oak@resource.calendar.google.com"


def event_with(**rooms: str) -> dict[str, object]:
    """An event whose resource attendees answered ``rooms`` (keys: PINE, OAK)."""
    emails = {"pine": PINE, "oak": OAK}
    return {
        "attendees": [
            {"email": "alice@acme.com", "organizer": True, "responseStatus": "accepted"},
            {"email": "bob@acme.com", "responseStatus": "declined"},
            *(
                {"email": emails[name], "resource": True, "responseStatus": status}
                for name, status in rooms.items()
            ),
        ]
    }


def test_a_room_that_answered_since_is_news() -> None:
    seen = observe(event_with(pine="accepted", oak="declined"))
    known = {PINE: "needsAction", OAK: "needsAction"}
    assert late_answers(known, seen) == {PINE: "accepted", OAK: "declined"}


def test_an_answer_already_recorded_is_not_news() -> None:
    """Recorded by the follow-up (or an earlier read): nothing to publish again."""
    seen = observe(event_with(pine="accepted", oak="declined"))
    assert late_answers({PINE: "accepted", OAK: "needsAction"}, seen) == {OAK: "declined"}
    assert late_answers({PINE: "accepted", OAK: "declined"}, seen) == {}


def test_a_room_asked_again_is_no_answer_and_an_uninvited_room_is_not_calsyncs() -> None:
    """needsAction again follows a write (which reports it); a room added by hand in Google
    is drift, and attendees are not rooms."""
    seen = observe(event_with(pine="needsAction", oak="accepted"))
    assert late_answers({PINE: "accepted"}, seen) == {}


def test_a_late_answer_is_reported_as_the_follow_up_reports_one() -> None:
    """The part's synced result with every room's answer; room_declined beside it for a no."""
    record = ItemRecord(
        tenant_id="acme", ref=ItemRef.model_validate({"kind": "event", "id": "e1"}), version=3
    )
    mapping = PartMapping(
        part_key="day1",
        calendar_id="alice@acme.com",
        event_id="e" * 32,
        owner_email="alice@acme.com",
        owner_kind="organizer",
        room_responses={PINE: "accepted", OAK: "declined"},
    )
    synced, declined = amenity_results(record, mapping, Amenities(dict(mapping.room_responses)))
    assert synced.status is ResultStatus.SYNCED
    assert synced.room_responses == {PINE: "accepted", OAK: "declined"}
    assert (synced.part_key, synced.event_id, synced.source_version) == ("day1", "e" * 32, 3)
    assert declined.status is ResultStatus.ROOM_DECLINED
    assert declined.error_message is not None
    assert OAK in declined.error_message
    assert PINE not in declined.error_message
    accepted = mapping.model_copy(update={"room_responses": {PINE: "accepted"}})
    (only,) = amenity_results(record, accepted, Amenities({PINE: "accepted"}))
    assert only.status is ResultStatus.SYNCED
