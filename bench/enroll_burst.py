"""Benchmark: a burst of enrollments through the local stack, coalesced vs naive.

1,000 people enroll in an item with 3 parts, each enrollment its own message on
``platform-enrollments``, all published within about 10 seconds; one in ten is an
external guest (outside the tenant's domain). Measured: the Google write calls the
burst caused, the e-mails Google would send (to people already on the event, and per
newly enrolled person), and the time from the last publish until every part's
attendee list holds everyone. The same harness with ``CALSYNC_COALESCE_SECONDS=0`` is
the naive baseline (one reconcile per message). Each run is repeated for each tenant
``attendee_notifications`` policy asked for.

    ./run python bench/enroll_burst.py                 # coalesced, 1,000, every policy
    ./run python bench/enroll_burst.py --policy none   # the default policy only
    ./run python bench/enroll_burst.py --window 0 -n 200   # the naive baseline
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from calsync_dev.dates import at
from calsync_dev.platform import FakePlatform
from calsync_dev.stack import LocalStack, StackConfig

ITEM = {
    "kind": "event",
    "id": "evt_allhands",
    "title": "Security training",
    "organizer_email": "alice@acme.com",
    "host_emails": ["bob@acme.com"],
    "timezone": "America/New_York",
    "location": "Auditorium",
    "parts": [
        {
            "key": f"s{n}",
            "start": at(n, "10:00", "America/New_York"),
            "end": at(n, "11:00", "America/New_York"),
        }
        for n in (1, 2, 3)
    ],
}


POLICIES = ("none", "external_only", "all")
EXTERNAL_EVERY = 10
"""One enrollment in this many is a guest outside the tenant's domain."""


def _attendee_counts(control: Any) -> list[int]:
    return sorted(len(e["attendees"]) for e in control.calendar_view("alice@acme.com"))


def _strict(control: Any) -> str:
    """Ask the sandbox for Google's strict reading of attendee-change mail, if it has it."""
    if not hasattr(control, "strictness"):
        return "lenient (this sandbox has no strictness switches)"
    control.strictness(notify_all_guests_on_attendee_change=True)
    return "strict (notify_all_guests_on_attendee_change)"


def _mail_split(notes: list[dict[str, Any]], first_burst_seq: int) -> tuple[int, int]:
    """Burst e-mails to people already on that event, and to people new to it."""
    on_event: set[tuple[str, str]] = set()
    already = new = 0
    for note in sorted(notes, key=lambda n: int(n["seq"])):
        key = (str(note["recipient"]), str(note["event_id"]))
        if int(note["seq"]) >= first_burst_seq:
            if key in on_event:
                already += 1
            else:
                new += 1
        if note["kind"] == "cancellation":
            on_event.discard(key)
        else:
            on_event.add(key)
    return already, new


def _person(n: int, external_every: int) -> str:
    domain = "partner.example" if external_every and n % external_every == 0 else "acme.com"
    return f"learner{n:05d}@{domain}"


def run(
    enrollments: int, window: float, publish_seconds: float, policy: str = "none"
) -> dict[str, Any]:
    """Run one burst under one ``attendee_notifications`` policy; returns the measurements."""
    from calsync_sandbox import SandboxControl

    config = replace(
        StackConfig.ephemeral(Path(tempfile.mkdtemp(prefix="calsync-bench-"))),
        coalesce_seconds=window,
    )
    stack = LocalStack(config)
    endpoints = stack.start()
    try:
        control = SandboxControl(endpoints["google_sandbox"])
        sandbox_mode = _strict(control)
        control.seed_domain("acme.com")
        for email in ("alice@acme.com", "bob@acme.com"):
            control.seed_user(email)
        settings = {"domains": ["acme.com"], "attendee_notifications": policy}
        platform = FakePlatform(config.project, "acme", settings)
        platform.publish_settings()
        time.sleep(1)
        platform.upsert(ITEM)
        deadline = time.monotonic() + 60
        while _attendee_counts(control) != [2, 2, 2] and time.monotonic() < deadline:
            time.sleep(0.2)
        writes_before = control.request_counts()["writes"]
        notes_before = control.notifications()
        mails_before = len(notes_before)
        first_burst_seq = max((int(n["seq"]) for n in notes_before), default=0) + 1

        people = [_person(n, EXTERNAL_EVERY) for n in range(enrollments)]
        gap = publish_seconds / enrollments
        started = time.monotonic()
        for index, email in enumerate(people):
            platform.enroll_async("event", str(ITEM["id"]), {email: "enrolled"})
            sleep_for = started + (index + 1) * gap - time.monotonic()
            if sleep_for > 0:
                time.sleep(sleep_for)
        platform.flush()
        last_publish = time.monotonic()
        want = [enrollments + 2] * 3  # alice (organizer), bob (host) and the cohort
        while _attendee_counts(control) != want and time.monotonic() < last_publish + 900:
            time.sleep(0.25)
        converged = time.monotonic() - last_publish
        writes = control.request_counts()["writes"] - writes_before
        notes = control.notifications()
        mails = len(notes) - mails_before
        already, new = _mail_split(notes, first_burst_seq)
        return {
            "policy": policy,
            "sandbox": sandbox_mode,
            "enrollments": enrollments,
            "external_enrollments": sum(not p.endswith("@acme.com") for p in people),
            "parts": 3,
            "window_seconds": window,
            "publish_seconds": round(last_publish - started, 1),
            "google_writes": writes,
            "writes_per_enrollment_per_part": round(writes / enrollments / 3, 4),
            "emails": mails,
            "emails_to_people_already_on_the_event": already,
            "emails_per_newly_enrolled_person": round(new / enrollments, 2),
            "seconds_to_converge_after_last_publish": round(converged, 1),
            "converged": _attendee_counts(control) == want,
        }
    finally:
        stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("-n", "--enrollments", type=int, default=1000)
    parser.add_argument("--window", type=float, default=5.0, help="coalescing window; 0 = naive")
    parser.add_argument("--publish-seconds", type=float, default=10.0)
    parser.add_argument("--policy", choices=POLICIES, action="append", help="default: each")
    args = parser.parse_args()
    for policy in args.policy or POLICIES:
        result = run(args.enrollments, args.window, args.publish_seconds, policy)
        print(json.dumps(result, indent=2), flush=True)


if __name__ == "__main__":
    main()
