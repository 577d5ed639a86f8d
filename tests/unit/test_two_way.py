"""Two-way sync's pure pieces: which managed fields drifted, when a channel is renewed, how
its token is kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from calsync.contracts import Item, TenantSettings
from calsync.sync.channel_calls import renew_at, token_digest
from calsync.sync.drift import drifted_fields
from calsync.sync.planning import plan_part
from calsync.sync.rendering import DesiredEvent, render_part
from calsync_dev.dates import at
from tests.unit.factories import item_dict


def desired() -> DesiredEvent:
    item = Item.model_validate(item_dict())
    return render_part(
        tenant_id="acme",
        settings=TenantSettings(domains=["acme.com"]),
        item=item,
        part=item.parts[0],
        event_id="a" * 32,
        owner_email="calsync@platform.example",
        enrolled=["carol@acme.com"],
    )


def as_google(event: DesiredEvent) -> dict[str, Any]:
    """What Google holds after calsync wrote ``event``."""
    operation = plan_part(event, None)
    body: dict[str, Any] = dict(operation.body)  # type: ignore[union-attr]
    return {**body, "id": event.event_id, "status": "confirmed", "etag": '"1"'}


@pytest.mark.parametrize(
    ("edit", "fields"),
    [
        ({}, []),
        ({"summary": "Pizza"}, ["title"]),
        ({"location": "Room 9"}, ["location"]),
        ({"description": "changed"}, ["description"]),
        ({"start": {"dateTime": at(40, "09:00"), "timeZone": "UTC"}}, ["time"]),
        ({"status": "cancelled"}, ["status"]),
        ({"summary": "Pizza", "location": "Room 9"}, ["title", "location"]),
    ],
)
def test_drifted_fields_name_what_differs(edit: dict[str, Any], fields: list[str]) -> None:
    """Each managed field is named on its own; a deletion is a change of status."""
    event = desired()
    assert drifted_fields(event, {**as_google(event), **edit}) == fields


def test_guests_added_or_removed_by_hand_are_attendee_drift_but_answers_are_not() -> None:
    """A guest more or less is drift; an attendee's answer is not."""
    event = desired()
    google = as_google(event)
    answered = [{**a, "responseStatus": "declined"} for a in google["attendees"]]
    assert drifted_fields(event, {**google, "attendees": answered}) == []
    extra = [*google["attendees"], {"email": "erin@acme.com"}]
    assert drifted_fields(event, {**google, "attendees": extra}) == ["attendees"]
    assert drifted_fields(event, {**google, "attendees": google["attendees"][1:]}) == ["attendees"]


def test_a_channel_is_renewed_a_day_before_a_week_ends_or_at_three_quarters() -> None:
    """Renewal: a quarter of the lifetime before expiry, at most a day."""
    opened = datetime(2026, 12, 3, tzinfo=UTC)
    assert renew_at(opened, opened + timedelta(days=7)) == opened + timedelta(days=6)
    assert renew_at(opened, opened + timedelta(hours=4)) == opened + timedelta(hours=3)


def test_tokens_are_kept_as_a_digest() -> None:
    """The stored form of a token is its SHA-256 and never the token."""
    digest = token_digest("secret-token")
    assert len(digest) == 64
    assert "secret-token" not in digest
    assert digest == token_digest("secret-token")
