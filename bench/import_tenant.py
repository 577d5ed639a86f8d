"""Benchmark: a large tenant turns sync on, with 1 and with 4 platform identities in the pool.

The tenant's items (``--items`` × ``--parts`` parts, ``--attendees`` enrolled people each, all
Workspace users of its domain) are recorded while sync is off; then sync is turned on and the
re-sync fans out as paced tasks. Measured from "sync on" until every part is synced in
Firestore: the time, Google calls per part, each identity's peak calls in any 60 s and its
mean rate as a share of the per-user limit, and the rate-limit or quota errors Google gave.

Google's real limit is 600 calls per minute per user. At that rate, 10,000 items × 2 parts
take about 40 minutes with one identity, and four identities would need about 34 calls a second
from this 2-core machine, which would then be what binds. So the limits are scaled down,
equally for every identity (``--per-minute``, default 120, with the project limit scaled by the
same factor), and calsync's pacing is set from it as deployed (``--pace-share`` of it, with a
burst that keeps any minute under it). The speed-up then shows the pool at work, not the
machine::

    ./run python bench/import_tenant.py                       # 150 items, pools of 1 and 4
    ./run python bench/import_tenant.py --items 10000 --per-minute 600 --pools 4   # real scale
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections import Counter, deque
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from calsync_dev.dates import at
from calsync_dev.platform import FakePlatform
from calsync_dev.stack import LocalStack, StackConfig

TENANT, DOMAIN, ZONE = "acme", "acme.com", "America/New_York"
GOOGLE_PER_USER, GOOGLE_PER_PROJECT = 600, 10_000


def _item(n: int, parts: int) -> dict[str, Any]:
    return {
        "kind": "session",
        "id": f"ses_{n:05d}",
        "title": f"Session {n}",
        "organizer_email": f"person{n % 7}@{DOMAIN}",
        "timezone": ZONE,
        "location": "HQ",
        "parts": [
            {
                "key": f"p{k}",
                "start": at(1 + (n + k) % 60, f"{9 + k % 8:02d}:00", ZONE),
                "end": at(1 + (n + k) % 60, f"{10 + k % 8:02d}:00", ZONE),
            }
            for k in range(1, parts + 1)
        ],
    }


def _synced_parts(project: str) -> int:
    from google.cloud import firestore

    query = firestore.Client(project=project).collection_group("parts")
    counting: Any = query.where(filter=firestore.FieldFilter("state", "==", "synced")).count()
    return int(counting.get()[0][0].value)


def _peak_per_minute(times: list[float]) -> int:
    window: deque[float] = deque()
    peak = 0
    for t in sorted(times):
        window.append(t)
        while window[0] <= t - 60:
            window.popleft()
        peak = max(peak, len(window))
    return peak


def run(
    pool: int, items: int, parts: int, attendees: int, per_minute: int, pace_share: float
) -> dict[str, Any]:
    """One import with ``pool`` identities; returns the measurements."""
    from calsync_sandbox import SandboxControl

    pace = per_minute * pace_share
    burst = max(int(per_minute - pace) - 3, 0)  # any minute: burst + 2 + pace < the limit
    os.environ.update(
        {
            "CALSYNC_PACING_CALLS_PER_MINUTE": f"{pace:g}",
            "CALSYNC_PACING_BURST": str(burst),
            "CALSYNC_PACING_MAX_WAIT_SECONDS": "20",
        }
    )
    config = replace(
        StackConfig.ephemeral(Path(tempfile.mkdtemp(prefix="calsync-bench-"))),
        platform_pool_size=pool,
    )
    stack = LocalStack(config)
    endpoints = stack.start()
    try:
        control = SandboxControl(endpoints["google_sandbox"])
        control.set_rate_limit(
            per_user_per_minute=per_minute,
            per_project_per_minute=per_minute * GOOGLE_PER_PROJECT // GOOGLE_PER_USER,
        )
        control.seed_domain(DOMAIN)
        people = [f"person{n}@{DOMAIN}" for n in range(max(attendees * 3, 7))]
        for email in people:
            control.seed_user(email)
        platform = FakePlatform(config.project, TENANT, {"domains": [DOMAIN]})
        platform.settings["sync_enabled"] = False
        platform.publish_settings()
        time.sleep(1)
        for n in range(items):
            item = _item(n, parts)
            platform.upsert(item)
            chosen = [people[(n * 3 + k) % len(people)] for k in range(attendees)]
            platform.enroll_async("session", item["id"], dict.fromkeys(chosen, "enrolled"))
        platform.flush()
        time.sleep(5)  # the recorded messages settle (sync is off: nothing reaches Google)
        before = len(control.requests())
        platform.settings["sync_enabled"] = True
        started = time.monotonic()
        platform.publish_settings()
        target, synced = items * parts, 0
        last_report = started
        while synced < target:
            time.sleep(2)
            synced = _synced_parts(config.project)
            if time.monotonic() - last_report > 30:
                print(f"  pool {pool}: {synced}/{target} parts synced", flush=True)
                last_report = time.monotonic()
            if time.monotonic() - started > 3600:
                raise SystemExit(f"pool {pool}: did not converge in an hour ({synced}/{target})")
        seconds = time.monotonic() - started
        calls = [r for r in control.requests()[before:] if r["method_id"].startswith("calendar.")]
        per_user: dict[str, list[float]] = {}
        for r in calls:
            stamp = datetime.fromisoformat(r["time"].replace("Z", "+00:00")).timestamp()
            per_user.setdefault(str(r["user"]), []).append(stamp)
        errors = Counter(r["status"] for r in calls if r["status"] in (403, 429))
        return {
            "pool": pool,
            "items": items,
            "parts": target,
            "attendees_per_part": attendees,
            "seconds": round(seconds, 1),
            "google_calls": len(calls),
            "calls_per_part": round(len(calls) / target, 2),
            "per_identity": {
                user: {
                    "calls": len(times),
                    "peak_per_minute": _peak_per_minute(times),
                    "peak_share_of_limit": round(_peak_per_minute(times) / per_minute, 2),
                    "mean_share_of_limit": round(len(times) / seconds * 60 / per_minute, 2),
                }
                for user, times in sorted(per_user.items())
            },
            "rate_or_quota_errors": dict(errors),
            "limit_per_minute": per_minute,
            "pace_per_minute": pace,
            "burst": burst,
        }
    finally:
        stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=150)
    parser.add_argument("--parts", type=int, default=2)
    parser.add_argument("--attendees", type=int, default=20)
    parser.add_argument("--per-minute", type=int, default=120, help="per-user limit (scaled)")
    parser.add_argument("--pace-share", type=float, default=0.85)
    parser.add_argument("--pools", type=int, nargs="+", default=[1, 4])
    args = parser.parse_args()
    runs = []
    for pool in args.pools:
        print(f"importing {args.items} items with {pool} identit{'y' if pool == 1 else 'ies'}")
        result = run(pool, args.items, args.parts, args.attendees, args.per_minute, args.pace_share)
        print(json.dumps(result, indent=2), flush=True)
        runs.append(result)
    base = next((r for r in runs if r["pool"] == 1), None)
    for other in runs:
        if base is not None and other is not base:
            print(
                f"speed-up with {other['pool']} identities over 1: "
                f"{base['seconds'] / other['seconds']:.2f}x"
            )


if __name__ == "__main__":
    main()
