"""The items of the demo's story, as the platform's messages carry them.

Each function returns one item (``kind``, ``id``, ``title``, people, parts with
their times from ``calsync_dev.dates``), ready for ``FakePlatform.upsert``::

    platform.upsert(python_course())                  # acme's two-part event
    platform.upsert(python_course("11:00", "13:00"))  # day 2 one hour later
    globex.upsert(leadership("evt_budget", "Budget review", "quinn@globex.com"))
"""

from __future__ import annotations

from typing import Any

from calsync_dev.dates import at

__all__ = ["leadership", "python_course", "security_session"]


def python_course(
    day2_start: str = "10:00",
    day2_end: str = "12:00",
    description: str = "Two mornings of hands-on Python.",
) -> dict[str, Any]:
    """The two-part event of the scenario: days 1 and 2 of the schedule, New York time."""
    return {
        "kind": "event",
        "id": "evt_python101",
        "title": "Intro to Python",
        "description": description,
        "url": "https://acme.example/events/evt_python101",
        "organizer_email": "alice@acme.com",
        "host_emails": ["bob@acme.com"],
        "timezone": "America/New_York",
        "location": "HQ, floor 4",
        "conference": {"kind": "link", "url": "https://video.acme.example/python101"},
        "parts": [
            {
                "key": "day1",
                "start": at(1, "10:00", "America/New_York"),
                "end": at(1, "12:00", "America/New_York"),
            },
            {
                "key": "day2",
                "start": at(2, day2_start, "America/New_York"),
                "end": at(2, day2_end, "America/New_York"),
                "location": "HQ, floor 2",
                "host_emails": ["dan@acme.com"],
            },
        ],
    }


def security_session() -> dict[str, Any]:
    """The one-part session that gets cancelled."""
    return {
        "kind": "session",
        "id": "ses_security",
        "title": "Security awareness",
        "organizer_email": "frank@acme.com",
        "host_emails": ["grace@acme.com"],
        "timezone": "Europe/Berlin",
        "location": "Berlin office, room Spree",
        "url": "https://acme.example/sessions/ses_security",
        "parts": [
            {
                "key": "main",
                "start": at(3, "14:00", "Europe/Berlin"),
                "end": at(3, "15:00", "Europe/Berlin"),
            }
        ],
    }


def leadership(item_id: str, title: str, organizer: str, **extra: Any) -> dict[str, Any]:
    """A one-part globex event."""
    return {
        "kind": "event",
        "id": item_id,
        "title": title,
        "organizer_email": organizer,
        "host_emails": ["paul@globex.com"],
        "timezone": "Europe/London",
        "location": "London office",
        "url": f"https://globex.example/events/{item_id}",
        "parts": [
            {
                "key": "main",
                "start": at(4, "09:00", "Europe/London"),
                "end": at(4, "10:30", "Europe/London"),
            }
        ],
        **extra,
    }
