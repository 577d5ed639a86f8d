"""The wire contracts accept what DESIGN §3 shows and reject bad input with a reason."""

from __future__ import annotations

import json

import pytest

from calsync.contracts import ItemUpserted, PlatformEventMessage, SettingsUpdated
from calsync.entrypoints.platform_events import MAX_EVENT_MESSAGE_BYTES, parse_platform_event
from calsync.errors import BadInput
from calsync_dev.dates import at, day
from tests.unit.factories import NEW_YORK, delete_message, settings_message, upsert_message


def _parse(message: object) -> object:
    return parse_platform_event(json.dumps(message).encode())


def test_design_example_upsert_parses() -> None:
    """The upsert from DESIGN §3 (with a Meet conference and rooms) is valid."""
    message = upsert_message(
        conference={"kind": "google_meet"}, room_emails=["hq-4-pine@resource.calendar.google.com"]
    )
    parsed = _parse(message)
    assert isinstance(parsed, ItemUpserted)
    assert [p.key for p in parsed.item.parts] == ["day1", "day2"]


def test_settings_message_parses_with_defaults() -> None:
    """Settings not sent take their documented defaults (privacy first)."""
    parsed = _parse(settings_message())
    assert isinstance(parsed, SettingsUpdated)
    assert parsed.settings.guests_can_see_other_guests is False
    assert parsed.settings.use_organizer_accounts is False


def test_emails_are_normalised_to_lower_case() -> None:
    """Email addresses compare case-insensitively, so they are stored lower-cased."""
    parsed = _parse(upsert_message(organizer_email="Alice@ACME.com"))
    assert isinstance(parsed, ItemUpserted)
    assert parsed.item.organizer_email == "alice@acme.com"


@pytest.mark.parametrize(
    ("name", "data", "code", "fragment"),
    [
        ("not json", b"{not json", "not_json", "not JSON"),
        ("unknown type", json.dumps({"type": "item.exploded"}).encode(), "invalid", "type"),
        (
            "end before start",
            json.dumps(
                upsert_message(
                    parts=[
                        {
                            "key": "p",
                            "start": at(1, "12:00", NEW_YORK),
                            "end": at(1, "10:00", NEW_YORK),
                        }
                    ]
                )
            ).encode(),
            "invalid",
            "ends before it starts",
        ),
        (
            "bad email",
            json.dumps(upsert_message(host_emails=["bob at acme"])).encode(),
            "invalid",
            "not a valid email",
        ),
        (
            "bad time zone",
            json.dumps(upsert_message(timezone="Mars/Olympus")).encode(),
            "invalid",
            "unknown IANA time zone",
        ),
        (
            "naive time",
            json.dumps(
                upsert_message(
                    parts=[{"key": "p", "start": f"{day(1)}T10:00:00", "end": f"{day(1)}T12:00:00"}]
                )
            ).encode(),
            "invalid",
            "timezone",
        ),
        ("no parts", json.dumps(upsert_message(parts=[])).encode(), "invalid", "parts"),
        (
            "duplicate part keys",
            json.dumps(
                upsert_message(
                    parts=[
                        {
                            "key": "p",
                            "start": at(1, "10:00", NEW_YORK),
                            "end": at(1, "12:00", NEW_YORK),
                        },
                        {
                            "key": "p",
                            "start": at(2, "10:00", NEW_YORK),
                            "end": at(2, "12:00", NEW_YORK),
                        },
                    ]
                )
            ).encode(),
            "invalid",
            "unique",
        ),
        (
            "unknown field",
            json.dumps({**delete_message(2), "colour": "red"}).encode(),
            "invalid",
            "colour",
        ),
        ("negative version", json.dumps(delete_message(-1)).encode(), "invalid", "version"),
        (
            "bad tenant id",
            json.dumps(delete_message(1, tenant_id="Acme Corp")).encode(),
            "invalid",
            "tenant_id",
        ),
        (
            "link without url",
            json.dumps(upsert_message(conference={"kind": "link"})).encode(),
            "invalid",
            "needs a url",
        ),
        ("too large", b" " * (MAX_EVENT_MESSAGE_BYTES + 1), "too_large", "limit"),
    ],
)
def test_bad_input_is_rejected_with_a_reason(
    name: str, data: bytes, code: str, fragment: str
) -> None:
    """Each kind of bad input from DESIGN §3 raises BadInput naming the problem."""
    with pytest.raises(BadInput) as caught:
        parse_platform_event(data)
    assert caught.value.code == code, name
    assert fragment in caught.value.message, caught.value.message


def test_schema_of_platform_events_names_every_message_type() -> None:
    """The published JSON Schema covers all three platform-events messages."""
    schema = json.dumps(PlatformEventMessage.json_schema())
    for name in ("item.upserted", "item.deleted", "settings.updated"):
        assert name in schema


def test_item_defaults_have_no_rooms_or_hosts() -> None:
    """Optional lists default to empty, not to None."""
    message = upsert_message()
    del message["item"]["host_emails"]
    parsed = _parse(message)
    assert isinstance(parsed, ItemUpserted)
    assert parsed.item.host_emails == []
    assert parsed.item.room_emails == []
