"""Benchmark: a tenant switches from the platform account to its organizers' accounts.

``--items`` items of 2 parts, each with 3 enrolled learners, spread over ``--organizers``
connected organizers, are synced in platform mode first (into the tenant's platform calendar);
then the tenant turns ``use_organizer_accounts`` on and the re-sync moves every part into its
organizer's calendar: the platform account cancels its event, the organizer creates one. Timed
from the settings change until every part is mapped to its organizer; counted from the sandbox:
the Google calls by identity, the moves, and the e-mails Google sends (the cancellation and the
new invitation each attendee gets). Google's real per-user limit (600 a minute) and calsync's
default pacing apply: the platform account's cancellations are what bind, the organizers'
inserts are spread over their own quotas.

    ./run python bench/mode_switch.py                 # 1,000 items, 10 organizers
    ./run python bench/mode_switch.py --items 200     # quicker
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from calsync_dev.dates import at
from calsync_dev.platform import FakePlatform
from calsync_dev.stack import LocalStack, StackConfig

TENANT, DOMAIN, ZONE = "acme", "acme.com", "America/New_York"


def _item(n: int, organizers: int) -> dict[str, Any]:
    return {
        "kind": "event",
        "id": f"evt_{n:05d}",
        "title": f"Course {n}",
        "organizer_email": f"organizer{n % organizers}@{DOMAIN}",
        "timezone": ZONE,
        "location": "HQ",
        "parts": [
            {
                "key": f"p{k}",
                "start": at(1 + (n + k) % 60, f"{9 + k:02d}:00", ZONE),
                "end": at(1 + (n + k) % 60, f"{10 + k:02d}:00", ZONE),
            }
            for k in (1, 2)
        ],
    }


def _parts_by_owner(project: str) -> Counter[str]:
    from google.cloud import firestore

    parts = firestore.Client(project=project).collection_group("parts").stream()
    return Counter(
        str((p.to_dict() or {}).get("owner_kind"))
        for p in parts
        if (p.to_dict() or {}).get("state") == "synced"
    )


def _wait(project: str, kind: str, target: int, started: float, label: str) -> None:
    last = started
    while _parts_by_owner(project)[kind] < target:
        time.sleep(3)
        if time.monotonic() - last > 30:
            print(f"  {label}: {_parts_by_owner(project)[kind]}/{target}", flush=True)
            last = time.monotonic()
        if time.monotonic() - started > 3600:
            raise SystemExit(f"{label}: did not converge in an hour")


def run(items: int, organizers: int) -> dict[str, Any]:
    """Sync in platform mode, switch, measure the switch."""
    from calsync.config import get_settings
    from calsync.organizers.grants import organizer_grants
    from calsync.organizers.oauth_flow import CONNECT_SCOPES
    from calsync_sandbox import SandboxControl

    config = StackConfig.ephemeral(Path(tempfile.mkdtemp(prefix="calsync-bench-")))
    stack = LocalStack(config)
    endpoints = stack.start()
    try:
        control = SandboxControl(endpoints["google_sandbox"])
        control.seed_domain(DOMAIN)
        learners = [f"learner{n}@{DOMAIN}" for n in range(30)]
        for email in learners:
            control.seed_user(email)
        settings = get_settings()
        for n in range(organizers):
            email = f"organizer{n}@{DOMAIN}"
            user = control.seed_user(email)
            scopes = list(CONNECT_SCOPES)
            token = control.create_grant(email, settings.oauth.client_id, scopes)
            organizer_grants(settings).connect(TENANT, email, token, scopes, str(user["id"]))
        platform = FakePlatform(config.project, TENANT, {"domains": [DOMAIN]})
        platform.settings.update(sync_enabled=True, use_organizer_accounts=False)
        platform.publish_settings()
        time.sleep(1)
        for n in range(items):
            item_id = str(_item(n, organizers)["id"])
            platform.upsert(_item(n, organizers))
            chosen = {learners[(n * 3 + k) % len(learners)]: "enrolled" for k in range(3)}
            platform.enroll_async("event", item_id, chosen)
        platform.flush()
        setup = time.monotonic()
        _wait(config.project, "platform", 2 * items, setup, "platform mode")
        time.sleep(config.coalesce_seconds + 3)  # the enrollments' windows have run
        print(f"  synced in platform mode in {time.monotonic() - setup:.0f} s", flush=True)
        requests_before = len(control.requests())
        notes_before = len(control.notifications())

        platform.settings["use_organizer_accounts"] = True
        started = time.monotonic()
        platform.publish_settings()
        _wait(config.project, "organizer", 2 * items, started, "organizer mode")
        seconds = time.monotonic() - started
        time.sleep(3)
        calls = [
            r
            for r in control.requests()[requests_before:]
            if r["method_id"].startswith("calendar.")
        ]
        notes = control.notifications()[notes_before:]
        platform_email = endpoints["platform_identity"]
        return {
            "items": items,
            "parts_moved": 2 * items,
            "organizers": organizers,
            "seconds": round(seconds, 1),
            "google_calls": Counter(
                ("platform" if r["user"] == platform_email else "organizers") + " " + r["method_id"]
                for r in calls
            ),
            "rate_or_quota_errors": sum(1 for r in calls if r["status"] in (403, 429)),
            "emails": Counter(str(n["kind"]) for n in notes),
            "emails_per_part": round(len(notes) / (2 * items), 2),
        }
    finally:
        stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--organizers", type=int, default=10)
    args = parser.parse_args()
    print(json.dumps(run(args.items, args.organizers), indent=2))


if __name__ == "__main__":
    main()
