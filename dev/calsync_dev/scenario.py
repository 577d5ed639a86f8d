"""The demo: a realistic day of a learning platform, played through the local stack.

A tenant (``acme``) with an event in two parts and a one-part session; then a
reschedule, a cosmetic edit and a cancellation. A second tenant (``globex``, in
organizer mode) follows when the ``oauth_callback`` and ``orphan_sweeper``
functions run: organizers connect, create events with a room and Meet, and one
leaves. After each step the demo waits until every person's calendar matches
the platform's state, and finally prints each calendar, the e-mails Google
would have sent and the Google writes made. ``calsync demo`` calls::

    result = run_scenario(project, control, say=print, oauth_url=..., sweeper_url=...)
    print(result.report)  # result.converged, result.problems

The pieces live next door: ``cast`` (people, domains, the room),
``story_items`` (the items), ``http_callers`` (sweep, connect),
``convergence`` (waiting and checking) and ``google_activity`` (the closing
sections of the report).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from calsync_dev.cast import (
    DOMAIN,
    GLOBEX_DOMAIN,
    GLOBEX_PEOPLE,
    LEARNERS,
    PEOPLE,
    THAMES,
    seed_people,
)
from calsync_dev.convergence import wait_for_convergence, wait_for_results
from calsync_dev.dates import at
from calsync_dev.google_activity import (
    amenities_section,
    burst_section,
    emails_section,
    writes_section,
)
from calsync_dev.http_callers import connect_organizer, sweep
from calsync_dev.platform import FakePlatform
from calsync_dev.report import actual_calendars, render
from calsync_dev.results_reader import ResultsReader
from calsync_dev.story_items import leadership, python_course, security_session

__all__ = ["ScenarioResult", "run_scenario"]


@dataclass
class ScenarioResult:
    """How the demo went."""

    converged: bool
    problems: list[str]
    report: str


def run_scenario(
    project: str,
    control: Any,
    say: Callable[[str], None],
    timeout: float = 60.0,
    oauth_url: str = "",
    sweeper_url: str = "",
) -> ScenarioResult:
    """Play every step, checking convergence after each one."""
    seed_people(control)
    control.seed_room(THAMES, "Thames", 12, "London", "1", domain=GLOBEX_DOMAIN)
    platform = FakePlatform(
        project, "acme", {"sync_enabled": True, "domains": [DOMAIN], "two_way_sync": True}
    )
    globex = FakePlatform(
        project,
        "globex",
        {
            "sync_enabled": True,
            "domains": [GLOBEX_DOMAIN],
            "use_organizer_accounts": True,
            "admin_email": "gadmin@globex.com",
        },
    )

    def suspend_and_sweep(email: str, title: str, successor: str) -> None:
        control.update_user(email, suspended=True)
        globex.connected.discard(email)
        globex.successors[title] = successor
        sweep(sweeper_url)

    def connect(email: str) -> None:
        connect_organizer(oauth_url, "globex", email)
        globex.connected.add(email)

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
            "carol unenrolls (removed silently: attendee-only changes e-mail nobody)",
            lambda: platform.enroll("event", "evt_python101", {"carol@acme.com": "unenrolled"}),
        ),
        (
            "alice moves day 2 of 'Intro to Python' one hour later (reschedule)",
            lambda: platform.upsert(python_course("11:00", "13:00")),
        ),
        (
            "alice rewords the description (cosmetic edit: nobody is e-mailed)",
            lambda: platform.upsert(
                python_course(
                    "11:00",
                    "13:00",
                    "Two mornings of hands-on Python. Bring a laptop.",
                )
            ),
        ),
        (
            "alice drags day 1 to another morning in Google Calendar: two-way sync puts it "
            "back (drift_policy repair; attendees are told) and reports it as drifted",
            lambda: in_google(control, "bob@acme.com", "Intro to Python (1/2)", "move"),
        ),
        (
            "bob declines day 1 in Google Calendar: the platform receives responded/declined",
            lambda: in_google(control, "bob@acme.com", "Intro to Python (1/2)", "decline"),
        ),
        ("frank cancels 'Security awareness'", lambda: platform.delete("session", "ses_security")),
        ("tenant globex (organizer accounts on) sends its settings", globex.publish_settings),
        (
            "olivia connects her Google Calendar (consent with PKCE, grant stored encrypted)",
            lambda: connect("olivia@globex.com"),
        ),
        (
            "olivia creates 'Leadership 101' (host paul) with room Thames and a Meet link, "
            "in her own calendar",
            lambda: globex.upsert(
                leadership(
                    "evt_lead101",
                    "Leadership 101",
                    "olivia@globex.com",
                    room_emails=[THAMES],
                    conference={"kind": "google_meet"},
                )
            ),
        ),
        (
            "quinn (not connected) creates 'Budget review': platform account, needs_consent",
            lambda: globex.upsert(leadership("evt_budget", "Budget review", "quinn@globex.com")),
        ),
        (
            "quinn connects: 'Budget review' moves to quinn's calendar, nobody holds two",
            lambda: connect("quinn@globex.com"),
        ),
        (
            "olivia leaves: her account is suspended; the scheduled sweep hands "
            "'Leadership 101' to paul (host), room and Meet kept",
            lambda: suspend_and_sweep("olivia@globex.com", "Leadership 101", "paul@globex.com"),
        ),
    ]
    if not (oauth_url and sweeper_url):  # without those functions, only tenant acme's day
        steps = steps[: next(i for i, step in enumerate(steps) if "globex" in step[0])]
    problems: list[str] = []
    burst = ""
    reader = ResultsReader(project, f"demo-{uuid.uuid4().hex[:8]}")
    try:
        for title, action in steps:
            started = time.monotonic()
            mails_before = control.notifications() if title.startswith("a burst") else None
            message = action()
            problems = wait_for_results(reader, message, timeout)
            problems = problems or wait_for_convergence([platform, globex], control, timeout)
            if mails_before is not None:
                policy = str(platform.settings.get("attendee_notifications", "none"))
                burst = burst_section(mails_before, control.notifications(), policy)
            took = time.monotonic() - started
            say(f"  {'ok ' if not problems else 'NOT'} {title}  ({took:.1f}s)")
            if problems:
                break
        if not problems:
            _run_follow_ups(control, timeout)
        seen = reader.drain()
    finally:
        reader.close()
    actual = actual_calendars(control, {**PEOPLE, **GLOBEX_PEOPLE})
    learners = actual_calendars(control, LEARNERS)
    holding = sorted({len(events) for events in learners.values()})
    report = (
        render(actual)
        + f"\n(and {len(learners)} learners, each holding {' or '.join(map(str, holding))}"
        + " entries)\n\n"
        + amenities_section(seen)
        + burst
        + emails_section(control, LEARNERS)
        + "\n"
        + writes_section(control)
    )
    return ScenarioResult(converged=not problems, problems=problems, report=report)


def in_google(control: Any, attendee: str, title: str, edit: str) -> dict[str, Any]:
    """A person's edit in Google Calendar of the entry ``title`` that ``attendee`` holds:
    its organizer moves it to 7:00 thirty days on (``move``), or ``attendee`` declines it
    (``decline``). Returns what the platform should then receive (``wait_for_results``)."""
    entry = next(e for e in control.calendar_view(attendee) if e.get("summary") == title)
    calendar_id, event_id = entry["calendar_id"], entry["event_id"]
    if edit == "move":
        zone = "America/New_York"
        control.edit_move(
            calendar_id,
            event_id,
            {"dateTime": at(30, "07:00", zone), "timeZone": zone},
            {"dateTime": at(30, "08:00", zone), "timeZone": zone},
        )
        return {"type": "expect", "match": {"status": "drifted", "event_id": event_id}}
    control.respond(attendee, calendar_id, event_id, "declined")
    return {
        "type": "expect",
        "match": {"status": "responded", "email": attendee, "response": "declined"},
    }


def _run_follow_ups(control: Any, timeout: float) -> None:
    """Rooms answer after the write, as at Google: run the follow-up tasks that read their
    answers now (the sandbox clock), so the report shows them rather than ``needsAction``.
    Watch channels' renewals (days ahead, each scheduling the next) are not waited for."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        soon = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
        live = [
            t
            for t in control.tasks()
            if t["state"] in ("scheduled", "running", "retrying") and t["schedule_time"] < soon
        ]
        if not live:
            return
        control.run_tasks(include_future=True)
        time.sleep(0.3)
