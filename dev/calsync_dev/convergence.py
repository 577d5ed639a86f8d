"""Waiting until the system has settled, and saying what still differs.

After each step of the demo, ``wait_for_results`` first waits until calsync
reported on the message's item version on ``calsync-results``, then
``wait_for_convergence`` polls until every person's calendar in the Google
sandbox matches the platforms' state (the end-to-end tests call it alone)::

    problems = wait_for_results(reader, message, timeout)
    problems = problems or wait_for_convergence([acme, globex], control, timeout)

Both return human-readable problems; an empty list means settled.
``owner_problems`` is the organizer-mode part of the check: whose calendar
holds each event.
"""

from __future__ import annotations

import time
from typing import Any

from calsync_dev.cast import GLOBEX_PEOPLE, LEARNERS, PEOPLE
from calsync_dev.platform import FakePlatform
from calsync_dev.report import actual_calendars, differences, title_of
from calsync_dev.results_reader import ResultsReader

__all__ = ["owner_problems", "wait_for_convergence", "wait_for_results"]


def wait_for_convergence(
    platform: FakePlatform | list[FakePlatform], control: Any, timeout: float = 60.0
) -> list[str]:
    """Poll until every calendar matches the platforms' state; the remaining problems."""
    platforms = platform if isinstance(platform, list) else [platform]
    deadline = time.monotonic() + timeout
    problems: list[str] = ["not checked yet"]
    while time.monotonic() < deadline:
        problems = []
        for each in platforms:
            people = GLOBEX_PEOPLE if each.tenant_id == "globex" else {**PEOPLE, **LEARNERS}
            actual = actual_calendars(control, people)
            problems += differences(each.expected_calendars(), actual)
            problems += owner_problems(each, actual)
        if not problems:
            break
        time.sleep(0.25)
    return problems


def owner_problems(platform: FakePlatform, actual: dict[str, list[dict[str, Any]]]) -> list[str]:
    """In organizer mode, connected organizers (or successors) own their items' events."""
    if not platform.settings.get("use_organizer_accounts"):
        return []
    owners = {item["title"]: item["organizer_email"] for item in platform.items.values()}
    problems = []
    for person, events in actual.items():
        for event in events:
            title = title_of(str(event.get("summary", "")))
            organizer = platform.successors.get(title) or owners.get(title)
            if organizer is None:
                continue
            expected_own = organizer in platform.connected or title in platform.successors
            if (event.get("organizer") == organizer) != expected_own:
                where = f"{organizer}'s calendar" if expected_own else "the platform account"
                problems.append(f"{person}: {event['summary']!r} is not in {where}")
    return problems


def wait_for_results(
    reader: ResultsReader, message: dict[str, Any] | None, timeout: float
) -> list[str]:
    """Wait until calsync reported on this item version (settings have no results), or, for
    ``{"type": "expect", "match": {...}}`` (an edit in Google), until a matching result."""
    if message is None or message["type"] in ("settings.updated", "enrollment.changed"):
        return []  # no per-message result: convergence of the calendars is the check
    if message["type"] == "expect":
        match = message["match"]
        return [] if reader.wait_for(1, timeout, **match) else [f"no result matching {match}"]
    ref = {"kind": message["item"]["kind"], "id": message["item"]["id"]}
    version = message["version"]
    if not reader.wait_for(1, timeout, item=ref, source_version=version):
        return [f"no result for {ref['kind']}:{ref['id']} version {version}"]
    return [
        f"{r['status']}: {r.get('error_message')}"
        for r in reader.seen
        if r.get("item") == ref
        and r.get("source_version") == version
        and r.get("status") in ("failed", "rejected")
    ]
