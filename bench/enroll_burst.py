"""Benchmark: a burst of enrollments through the local stack, coalesced vs naive.

1,000 people enroll in an item with 3 parts, each enrollment its own message on
``platform-enrollments``, all published within about 10 seconds. Measured: the
Google write calls the burst caused, the e-mails Google would send, and the time
from the last publish until every part's attendee list holds everyone. The same
harness with ``CALSYNC_COALESCE_SECONDS=0`` is the naive baseline (one reconcile
per message).

    ./run python bench/enroll_burst.py                 # coalesced, 1,000 enrollments
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


def _attendee_counts(control: Any) -> list[int]:
    return sorted(len(e["attendees"]) for e in control.calendar_view("alice@acme.com"))


def run(enrollments: int, window: float, publish_seconds: float) -> dict[str, Any]:
    """Run one burst; returns the measurements."""
    from calsync_sandbox import SandboxControl

    config = replace(
        StackConfig.ephemeral(Path(tempfile.mkdtemp(prefix="calsync-bench-"))),
        coalesce_seconds=window,
    )
    stack = LocalStack(config)
    endpoints = stack.start()
    try:
        control = SandboxControl(endpoints["google_sandbox"])
        control.seed_domain("acme.com")
        for email in ("alice@acme.com", "bob@acme.com"):
            control.seed_user(email)
        platform = FakePlatform(config.project, "acme", {"domains": ["acme.com"]})
        platform.publish_settings()
        time.sleep(1)
        platform.upsert(ITEM)
        deadline = time.monotonic() + 60
        while _attendee_counts(control) != [2, 2, 2] and time.monotonic() < deadline:
            time.sleep(0.2)
        writes_before = control.request_counts()["writes"]
        mails_before = len(control.notifications())

        people = [f"learner{n:05d}@acme.com" for n in range(enrollments)]
        gap = publish_seconds / enrollments
        started = time.monotonic()
        for index, email in enumerate(people):
            platform.enroll_async("event", ITEM["id"], {email: "enrolled"})
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
        mails = len(control.notifications()) - mails_before
        return {
            "enrollments": enrollments,
            "parts": 3,
            "window_seconds": window,
            "publish_seconds": round(last_publish - started, 1),
            "google_writes": writes,
            "writes_per_enrollment_per_part": round(writes / enrollments / 3, 4),
            "emails": mails,
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
    args = parser.parse_args()
    print(json.dumps(run(args.enrollments, args.window, args.publish_seconds), indent=2))


if __name__ == "__main__":
    main()
