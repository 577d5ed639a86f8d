"""The planner picks one operation per part and keeps the notification budget (pure)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from calsync.contracts import Item, TenantSettings
from calsync.sync.planning import Delete, Insert, Noop, Patch, plan_part
from calsync.sync.rendering import DesiredEvent, render_part
from calsync_dev.dates import at, in_utc, instant
from tests.unit.factories import NEW_YORK, item_dict

OWNER = "calsync@platform.example"


def desired(enrolled: tuple[str, ...] = (), part: int = 0, **overrides: Any) -> DesiredEvent:
    item = Item.model_validate(item_dict(**overrides))
    return render_part(
        tenant_id="acme",
        settings=TenantSettings(),
        item=item,
        part=item.parts[part],
        event_id="abcdefghij0123456789abcdefghijkl",
        owner_email=OWNER,
        enrolled=enrolled,
    )


def remote_of(event: DesiredEvent, **changes: Any) -> dict[str, Any]:
    """What Google would return after calsync wrote ``event``."""
    body = event.body()
    body.update(id=event.event_id, etag='"1"', status="confirmed")
    body["attendees"] = [{**a, "responseStatus": "needsAction"} for a in body["attendees"]]
    body.update(changes)
    return body


def test_new_part_is_inserted_with_invitations() -> None:
    """No event yet: insert under the deterministic id and invite everyone."""
    op = plan_part(desired(), None)
    assert isinstance(op, Insert)
    assert op.event_id == desired().event_id
    assert op.send_updates == "all"


def test_identical_event_needs_nothing() -> None:
    """Google already matches: no write at all."""
    assert isinstance(plan_part(desired(), remote_of(desired())), Noop)


def test_reschedule_notifies_attendees() -> None:
    """A time change is patched with sendUpdates=all."""
    old = remote_of(
        desired(
            parts=[
                {
                    "key": "day1",
                    "start": at(1, "09:00", NEW_YORK),
                    "end": at(1, "12:00", NEW_YORK),
                }
            ]
        )
    )
    op = plan_part(desired(), old)
    assert isinstance(op, Patch)
    assert op.send_updates == "all"
    assert "time" in op.reason


def test_place_change_notifies_attendees() -> None:
    """A location change is patched with sendUpdates=all."""
    op = plan_part(desired(), remote_of(desired(), location="Somewhere else"))
    assert isinstance(op, Patch)
    assert op.send_updates == "all"


def test_cosmetic_edit_sends_nothing() -> None:
    """A title or description change is written with sendUpdates=none."""
    op = plan_part(desired(), remote_of(desired(), summary="Old title", description="Old"))
    assert isinstance(op, Patch)
    assert op.send_updates == "none"
    assert op.reason == "changed: content"


def test_same_instant_in_another_offset_is_not_a_reschedule() -> None:
    """Google may echo times in UTC; equal instants are equal."""
    event = desired()
    op = plan_part(
        event,
        remote_of(
            event, start={"dateTime": in_utc(instant(1, "10:00", NEW_YORK)), "timeZone": NEW_YORK}
        ),
    )
    assert isinstance(op, Noop)


def test_patch_keeps_existing_responses() -> None:
    """Attendees who stay keep responseStatus, comment and optional."""
    event = desired(enrolled=("carol@acme.com",))
    remote = remote_of(desired())
    remote["attendees"][1].update(responseStatus="accepted", comment="See you", optional=True)
    op = plan_part(event, remote)
    assert isinstance(op, Patch)
    kept = {a["email"]: a for a in op.body["attendees"]}
    assert kept["bob@acme.com"] == {
        "email": "bob@acme.com",
        "responseStatus": "accepted",
        "comment": "See you",
        "optional": True,
    }
    assert kept["carol@acme.com"] == {"email": "carol@acme.com"}


def test_enrollment_is_written_silently_by_default() -> None:
    """Adding an attendee alone sends nothing: Google would e-mail everyone already there."""
    op = plan_part(desired(enrolled=("carol@acme.com",)), remote_of(desired()))
    assert isinstance(op, Patch)
    assert op.send_updates == "none"
    assert op.reason == "changed: attendees"


def test_unenrollment_is_written_silently_by_default() -> None:
    """Removing an attendee alone sends nothing by default."""
    op = plan_part(desired(), remote_of(desired(enrolled=("carol@acme.com",))))
    assert isinstance(op, Patch)
    assert op.send_updates == "none"


def test_attendee_change_follows_the_tenant_policy() -> None:
    """``external_only`` and ``all`` map to Google's externalOnly and all."""
    added, before = desired(enrolled=("carol@acme.com",)), remote_of(desired())
    external = plan_part(added, before, "external_only")
    everyone = plan_part(added, before, "all")
    assert isinstance(external, Patch)
    assert isinstance(everyone, Patch)
    assert (external.send_updates, everyone.send_updates) == ("externalOnly", "all")


def test_attendee_and_cosmetic_change_together_follow_the_attendee_policy() -> None:
    """A title edit does not turn a silent enrollment into mail."""
    remote = remote_of(desired(), summary="Old title")
    op = plan_part(desired(enrolled=("carol@acme.com",)), remote)
    assert isinstance(op, Patch)
    assert op.send_updates == "none"


def test_reschedule_with_new_attendees_notifies_everyone_whatever_the_policy() -> None:
    """Content that matters (here the place) still reaches every guest."""
    remote = remote_of(desired(), location="Somewhere else")
    op = plan_part(desired(enrolled=("carol@acme.com",)), remote, "none")
    assert isinstance(op, Patch)
    assert op.send_updates == "all"


def test_cancelled_tombstone_is_restored() -> None:
    """A deleted event with our id is brought back with status confirmed, not re-inserted."""
    op = plan_part(desired(), remote_of(desired(), status="cancelled"))
    assert isinstance(op, Patch)
    assert op.body["status"] == "confirmed"
    assert op.reason == "restored"


def test_removed_part_is_deleted_with_cancellations() -> None:
    """A part that should not exist is deleted, guarded by its etag, notifying attendees."""
    op = plan_part(None, remote_of(desired()))
    assert isinstance(op, Delete)
    assert op.etag == '"1"'
    assert op.send_updates == "all"


def test_removed_part_already_cancelled_needs_nothing() -> None:
    """Deleting twice is not attempted (Google would answer 410)."""
    assert isinstance(plan_part(None, remote_of(desired(), status="cancelled")), Noop)
    assert isinstance(plan_part(None, None), Noop)


def test_render_lists_each_person_once_without_the_owner() -> None:
    """Organizer, hosts and enrollees each appear once; the calendar owner never."""
    event = desired(
        enrolled=("bob@acme.com", "carol@acme.com", OWNER),
        host_emails=["bob@acme.com", "alice@acme.com"],
    )
    assert event.attendees == ("alice@acme.com", "bob@acme.com", "carol@acme.com")


def test_render_uses_part_overrides() -> None:
    """A part's own location and hosts replace the item's."""
    event = desired(part=1)
    assert event.location == "HQ, floor 2"
    assert event.attendees == ("alice@acme.com", "dan@acme.com")
    assert event.summary == "Intro to Python (2/2)"


def test_render_applies_privacy_defaults_and_labels() -> None:
    """Guests can't see each other, invite or modify; private properties name the part."""
    body = desired().body()
    assert body["guestsCanSeeOtherGuests"] is False
    assert body["guestsCanInviteOthers"] is False
    assert body["guestsCanModify"] is False
    assert body["extendedProperties"]["private"] == {
        "calsync_tenant": "acme",
        "calsync_item": "event:evt_123",
        "calsync_part": "day1",
    }
    assert body["source"] == {
        "title": "Intro to Python",
        "url": "https://acme.example/events/evt_123",
    }
    assert body["start"] == {
        "dateTime": at(1, "10:00", NEW_YORK),
        "timeZone": "America/New_York",
    }


def test_render_puts_a_link_conference_in_location_and_description() -> None:
    """An organizer-supplied video link is visible without Meet."""
    event = desired(conference={"kind": "link", "url": "https://video.example/x"})
    assert event.location == "HQ, floor 4 | https://video.example/x"
    assert "Join online: https://video.example/x" in event.description


def test_render_links_back_to_the_platform_and_names_hosts() -> None:
    """The description says who hosts and where to find the item."""
    description = desired().description
    assert "Hosts: bob@acme.com" in description
    assert "https://acme.example/events/evt_123" in description


def with_meet(event: DesiredEvent) -> DesiredEvent:
    return replace(event, meet_request_id=f"calsync-{event.event_id}")


def meet(status: str) -> dict[str, Any]:
    """Google's conferenceData for a Meet whose creation is in ``status``."""
    return {"createRequest": {"requestId": "calsync-old", "status": {"statusCode": status}}}


def request_id(op: Any) -> str:
    return str(op.body["conferenceData"]["createRequest"]["requestId"])


def test_meet_request_carries_the_nonce() -> None:
    """Google ignores a requestId it saw before: each request is made unique."""
    op = plan_part(with_meet(desired()), None, meet_nonce="n1")
    assert isinstance(op, Insert)
    assert request_id(op) == f"calsync-{desired().event_id}-n1"


def test_meet_turned_on_again_asks_with_a_new_request_id() -> None:
    """Off then on: the event has no conference; the new request is not the old one."""
    event = with_meet(desired())
    op = plan_part(event, remote_of(desired()), meet_nonce="n2")
    assert isinstance(op, Patch)
    assert request_id(op).endswith("-n2")
    assert "conference" in op.reason


def test_failed_meet_is_asked_for_again() -> None:
    """A Meet whose creation failed is requested anew with a new requestId."""
    event = with_meet(desired())
    remote = remote_of(event, conferenceData=meet("failure"))
    op = plan_part(event, remote, meet_nonce="n3")
    assert isinstance(op, Patch)
    assert request_id(op).endswith("-n3")


def test_pending_or_created_meet_is_left_alone() -> None:
    """A Meet being created or created is never requested again."""
    event = with_meet(desired())
    for status in ("pending", "success"):
        remote = remote_of(event, conferenceData=meet(status))
        assert isinstance(plan_part(event, remote, meet_nonce="n4"), Noop)


def test_failed_meet_is_removed_when_conferencing_is_turned_off() -> None:
    """No conference wanted: even a failed one is cleared."""
    op = plan_part(desired(), remote_of(desired(), conferenceData=meet("failure")))
    assert isinstance(op, Patch)
    assert op.body["conferenceData"] is None


def test_time_in_the_events_zone_at_seconds_precision_is_not_a_reschedule() -> None:
    """Google keeps seconds only: a desired time with microseconds matches its echo."""
    event = replace(desired(), start=desired().start.replace(":00-", ":00.250000-", 1))
    remote = remote_of(desired())
    assert event.start != remote["start"]["dateTime"]
    assert isinstance(plan_part(event, remote), Noop)


def test_time_echoed_without_offset_is_read_in_the_events_zone() -> None:
    """A floating dateTime with its timeZone names the same instant."""
    event = desired()
    floating = {"dateTime": event.start[:19], "timeZone": NEW_YORK}
    assert isinstance(plan_part(event, remote_of(event, start=floating)), Noop)


def test_a_one_second_shift_is_a_reschedule() -> None:
    """Comparing to the second still sees a real change."""
    event = desired()
    moved = {"dateTime": event.start.replace(":00-", ":01-", 1), "timeZone": NEW_YORK}
    op = plan_part(event, remote_of(event, start=moved))
    assert isinstance(op, Patch)
    assert "time" in op.reason


def test_an_unreadable_time_is_a_reschedule() -> None:
    """A dateTime calsync cannot read is rewritten, not trusted."""
    event = desired()
    op = plan_part(event, remote_of(event, start={"dateTime": "soon", "timeZone": NEW_YORK}))
    assert isinstance(op, Patch)
