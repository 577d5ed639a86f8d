"""The demo: a realistic day of a learning platform, played through the local stack.

A tenant (``acme``) with an event in two parts and a one-part session; then a
reschedule, a cosmetic edit and a cancellation. After each step the demo waits
until every person's calendar matches the platform's state, and finally prints
each calendar, the e-mails Google would have sent and the Google writes made.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from calsync_dev.platform import FakePlatform
from calsync_dev.report import actual_calendars, differences, render
from calsync_dev.results_reader import ResultsReader

__all__ = ["PEOPLE", "ScenarioResult", "run_scenario"]

DOMAIN = "acme.com"
PEOPLE = {
    "alice@acme.com": "Alice Organizer",
    "bob@acme.com": "Bob Host",
    "dan@acme.com": "Dan Host",
    "carol@acme.com": "Carol Learner",
    "erin@acme.com": "Erin Learner",
    "frank@acme.com": "Frank Security",
    "grace@acme.com": "Grace Host",
}
LEARNERS = {f"learner{n:02d}@acme.com": f"Learner {n:02d}" for n in range(1, 11)}
"""Colleagues who enroll in a burst (shown as one summary line in the report)."""


def python_course(
    day2_start: str = "2026-12-02T10:00:00-05:00",
    day2_end: str = "2026-12-02T12:00:00-05:00",
    description: str = "Two mornings of hands-on Python.",
) -> dict[str, Any]:
    """The two-part event of the scenario."""
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
                "start": "2026-12-01T10:00:00-05:00",
                "end": "2026-12-01T12:00:00-05:00",
            },
            {
                "key": "day2",
                "start": day2_start,
                "end": day2_end,
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
                "start": "2026-12-03T14:00:00+01:00",
                "end": "2026-12-03T15:00:00+01:00",
            }
        ],
    }


@dataclass
class ScenarioResult:
    """How the demo went."""

    converged: bool
    problems: list[str]
    report: str


def seed_people(control: Any) -> None:
    """The tenant's Workspace: its domain and people."""
    control.seed_domain(DOMAIN)
    for email, name in {**PEOPLE, **LEARNERS}.items():
        control.seed_user(email, display_name=name)


def wait_for_convergence(platform: FakePlatform, control: Any, timeout: float = 60.0) -> list[str]:
    """Poll until every calendar matches the platform's state; the remaining problems."""
    deadline = time.monotonic() + timeout
    problems: list[str] = ["not checked yet"]
    while time.monotonic() < deadline:
        problems = differences(
            platform.expected_calendars(), actual_calendars(control, {**PEOPLE, **LEARNERS})
        )
        if not problems:
            break
        time.sleep(0.25)
    return problems


def run_scenario(
    project: str, control: Any, say: Callable[[str], None], timeout: float = 60.0
) -> ScenarioResult:
    """Play every step, checking convergence after each one."""
    seed_people(control)
    platform = FakePlatform(project, "acme", {"sync_enabled": True, "domains": [DOMAIN]})
    steps: list[tuple[str, Callable[[], Any]]] = [
        ("tenant acme sends its settings", platform.publish_settings),
        (
            "alice creates 'Intro to Python' (2 parts, hosts bob and dan)",
            lambda: platform.upsert(python_course()),
        ),
        (
            "frank creates the session 'Security awareness' (host grace)",
            lambda: platform.upsert(security_session()),
        ),
        (
            "a burst: carol and ten colleagues enroll in 'Intro to Python', one message each",
            lambda: [
                platform.enroll("event", "evt_python101", {email: "enrolled"})
                for email in ["carol@acme.com", *LEARNERS]
            ][-1],
        ),
        (
            "erin joins the waitlist (not invited)",
            lambda: platform.enroll("event", "evt_python101", {"erin@acme.com": "waitlisted"}),
        ),
        (
            "carol unenrolls (a cancellation for her, nobody else is e-mailed)",
            lambda: platform.enroll("event", "evt_python101", {"carol@acme.com": "unenrolled"}),
        ),
        (
            "alice moves day 2 of 'Intro to Python' one hour later (reschedule)",
            lambda: platform.upsert(
                python_course("2026-12-02T11:00:00-05:00", "2026-12-02T13:00:00-05:00")
            ),
        ),
        (
            "alice rewords the description (cosmetic edit: nobody is e-mailed)",
            lambda: platform.upsert(
                python_course(
                    "2026-12-02T11:00:00-05:00",
                    "2026-12-02T13:00:00-05:00",
                    "Two mornings of hands-on Python. Bring a laptop.",
                )
            ),
        ),
        ("frank cancels 'Security awareness'", lambda: platform.delete("session", "ses_security")),
    ]
    problems: list[str] = []
    reader = ResultsReader(project, f"demo-{uuid.uuid4().hex[:8]}")
    try:
        for title, action in steps:
            started = time.monotonic()
            message = action()
            problems = _wait_for_results(reader, message, timeout)
            problems = problems or wait_for_convergence(platform, control, timeout)
            took = time.monotonic() - started
            say(f"  {'ok ' if not problems else 'NOT'} {title}  ({took:.1f}s)")
            if problems:
                break
    finally:
        reader.close()
    actual = actual_calendars(control, PEOPLE)
    learners = actual_calendars(control, LEARNERS)
    holding = sorted({len(events) for events in learners.values()})
    report = (
        render(actual)
        + f"\n(and {len(learners)} learners, each holding {' or '.join(map(str, holding))}"
        + " entries)\n\n"
        + _emails(control, LEARNERS)
        + "\n"
        + _writes(control)
    )
    return ScenarioResult(converged=not problems, problems=problems, report=report)


def _wait_for_results(reader: ResultsReader, message: dict[str, Any], timeout: float) -> list[str]:
    """Wait until calsync reported on this item version (settings have no results)."""
    if message["type"] in ("settings.updated", "enrollment.changed"):
        return []  # no per-message result: convergence of the calendars is the check
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


def _emails(control: Any, summarised: dict[str, str]) -> str:
    counts: dict[str, dict[str, int]] = {}
    learner_mails = 0
    for note in control.notifications():
        if note["recipient"] in summarised:
            learner_mails += 1
            continue
        per = counts.setdefault(str(note["recipient"]), {})
        per[str(note["kind"])] = per.get(str(note["kind"]), 0) + 1
    lines = [f"E-mails Google would have sent (plus {learner_mails} to the learners):"]
    for person in sorted(counts):
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(counts[person].items()))
        lines.append(f"  {person}: {kinds}")
    return "\n".join(lines)


def _writes(control: Any) -> str:
    counts = control.request_counts()["counts"]
    writes = {
        k: v
        for k, v in counts.items()
        if k.split(".")[-1] in ("insert", "patch", "update", "delete", "move")
    }
    return "Google API writes: " + ", ".join(f"{k}={v}" for k, v in sorted(writes.items()))
