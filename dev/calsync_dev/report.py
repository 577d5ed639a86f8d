"""What every person's calendar holds, read from the Google sandbox, as a table.

``actual_calendars`` reads each person's primary calendar; ``differences``
compares it with what the platform's state says it should hold; ``render``
prints the human-readable table of the demo.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from calsync_dev.platform import ExpectedEntry

__all__ = ["actual_calendars", "differences", "render"]


def _when(value: Any) -> datetime:
    text = value.get("dateTime") if isinstance(value, dict) else value
    return datetime.fromisoformat(str(text).replace("Z", "+00:00"))


def title_of(summary: str) -> str:
    """calsync writes "Title (2/3)" for multi-part items; the platform knows "Title"."""
    if summary.endswith(")") and " (" in summary:
        head, _, tail = summary.rpartition(" (")
        if "/" in tail:
            return head
    return summary


def actual_calendars(control: Any, people: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """Each person's calendar entries as the sandbox shows them to that person."""
    return {person: list(control.calendar_view(person)) for person in people}


def as_expected_entries(events: list[dict[str, Any]]) -> set[ExpectedEntry]:
    """Calendar entries reduced to what the platform's state can predict."""
    return {
        ExpectedEntry(
            _when(e["start"]),
            _when(e["end"]),
            title_of(e.get("summary", "")),
            _place(e.get("location", "")),
        )
        for e in events
    }


def _organizer(email: str) -> str:
    """Who owns the event: a person, or the platform account's tenant calendar."""
    return "platform account" if email.endswith("@group.calendar.google.com") else email


def _place(location: str) -> str:
    return location.split(" | ", 1)[0]


def differences(
    expected: dict[str, set[ExpectedEntry]], actual: dict[str, list[dict[str, Any]]]
) -> list[str]:
    """Human-readable mismatches; empty when every calendar matches."""
    problems = []
    for person in sorted(set(expected) | set(actual)):
        want = expected.get(person, set())
        events = actual.get(person, [])
        have = as_expected_entries(events)
        if len(events) != len(have):
            problems.append(f"{person}: holds duplicate entries")
        for entry in sorted(want - have):
            problems.append(f"{person}: missing {entry.title!r} at {entry.start.isoformat()}")
        for entry in sorted(have - want):
            problems.append(f"{person}: unexpected {entry.title!r} at {entry.start.isoformat()}")
    return problems


def render(actual: dict[str, list[dict[str, Any]]]) -> str:
    """A plain-text table: person, event, when, where, organizer, their response."""
    rows = [("PERSON", "EVENT", "WHEN", "WHERE", "ORGANIZER", "RESPONSE")]
    for person in sorted(actual):
        events = sorted(actual[person], key=lambda e: _when(e["start"]))
        if not events:
            rows.append((person, "(nothing)", "", "", "", ""))
        for event in events:
            start, end = _when(event["start"]), _when(event["end"])
            rows.append(
                (
                    person,
                    str(event.get("summary", "")),
                    f"{start:%a %d %b %H:%M}-{end:%H:%M} {start:%z}",
                    str(event.get("location", "")),
                    _organizer(str(event.get("organizer") or "")),
                    str(event.get("response_status") or event.get("responseStatus") or ""),
                )
            )
    widths = [min(max(len(row[i]) for row in rows), 48) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        lines.append(
            "  ".join(cell[:48].ljust(width) for cell, width in zip(row, widths, strict=True))
        )
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)
