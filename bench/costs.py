"""Benchmark: what one item change and one enrollment cost in Firestore, Cloud Tasks, function
invocations, Pub/Sub messages and Google calls, counted through the local stack.

The functions run with ``bench/rpc_counter`` on their ``PYTHONPATH``, which counts their
Firestore RPCs and the document reads and writes Firestore bills; the sandbox's request log
counts Google and Cloud Tasks calls, its task history the task deliveries. Three phases, each
measured on its own and divided by its count:

1. ``--items`` new items (2 parts, 2 hosts each);
2. one change of each (a new title and time);
3. ``--enrollments`` enrollments into one item, one message each, published within a
   coalescing window (what a burst costs per person).

    ./run python bench/costs.py                   # 20 items, 200 enrollments
    ./run python bench/costs.py --json            # the figures only
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from calsync_dev.dates import at
from calsync_dev.platform import FakePlatform
from calsync_dev.results_reader import ResultsReader
from calsync_dev.stack import LocalStack, StackConfig

DOMAIN, ZONE = "acme.com", "America/New_York"
HOSTS = ["bob@acme.com", "dan@acme.com"]


def _item(n: int, revision: int = 0) -> dict[str, Any]:
    return {
        "kind": "event",
        "id": f"evt_{n:04d}",
        "title": f"Course {n}" + (f" (rev {revision})" if revision else ""),
        "organizer_email": "alice@acme.com",
        "host_emails": HOSTS,
        "timezone": ZONE,
        "location": "HQ",
        "parts": [
            {
                "key": f"p{k}",
                "start": at(2 + n % 20 + k, f"{9 + revision:02d}:00", ZONE),
                "end": at(2 + n % 20 + k, f"{10 + revision:02d}:00", ZONE),
            }
            for k in (1, 2)
        ],
    }


def _rpc_totals(directory: Path) -> Counter[str]:
    totals: Counter[str] = Counter()
    for path in directory.glob("*.json"):
        try:
            totals.update(json.loads(path.read_text()))
        except ValueError:
            continue  # caught mid-write; the next read has it
    return totals


def _snapshot(control: Any, directory: Path, reader: ResultsReader) -> dict[str, Any]:
    time.sleep(1.5)  # the counters flush twice a second
    requests = control.requests()
    return {
        "rpc": _rpc_totals(directory),
        "google": sum(1 for r in requests if r["method_id"].startswith("calendar.")),
        "tasks_created": sum(1 for r in requests if r["method_id"].endswith("tasks.create")),
        "deliveries": sum(len(t.get("history", [])) for t in control.tasks()),
        "results": len(reader.drain()),
    }


def _quiet(control: Any, counters: Path, timeout: float = 180) -> None:
    """Wait until nothing moves: no task pending, and neither Google calls nor Firestore RPCs
    changing for three seconds (Pub/Sub pushes arrive on their own time)."""
    deadline = time.monotonic() + timeout
    last: tuple[int, int] | None = None
    still = 0
    while time.monotonic() < deadline:
        pending = any(t["state"] in ("scheduled", "running", "retrying") for t in control.tasks())
        if pending:
            control.run_tasks(include_future=True)
        now = (len(control.requests()), sum(_rpc_totals(counters).values()))
        still = still + 1 if (now == last and not pending) else 0
        if still >= 3:
            return
        last = now
        time.sleep(1.0)
    raise SystemExit("the stack did not go quiet")


def _per(
    before: dict[str, Any], after: dict[str, Any], count: int, messages: int
) -> dict[str, Any]:
    rpc = after["rpc"] - before["rpc"]
    deliveries = after["deliveries"] - before["deliveries"]
    return {
        "firestore_reads": round(rpc["firestore_reads"] / count, 2),
        "firestore_writes": round(rpc["firestore_writes"] / count, 2),
        "firestore_rpcs": round(sum(v for k, v in rpc.items() if k.startswith("rpc:")) / count, 2),
        "cloud_tasks_created": round((after["tasks_created"] - before["tasks_created"]) / count, 2),
        "function_invocations": round((messages + deliveries) / count, 2),
        "pubsub_messages": round((messages + after["results"]) / count, 2),
        "google_calls": round((after["google"] - before["google"]) / count, 2),
    }


def run(items: int, enrollments: int) -> dict[str, Any]:
    """The three phases; returns the cost of one of each."""
    from calsync_sandbox import SandboxControl

    counters = Path(tempfile.mkdtemp(prefix="calsync-rpc-"))
    here = Path(__file__).resolve().parent / "rpc_counter"
    os.environ["CALSYNC_BENCH_RPC_DIR"] = str(counters)
    os.environ["PYTHONPATH"] = f"{here}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"
    config = StackConfig.ephemeral(Path(tempfile.mkdtemp(prefix="calsync-bench-")))
    config = replace(config, coalesce_seconds=5.0)
    stack = LocalStack(config)
    endpoints = stack.start()
    reader = ResultsReader(config.project, f"costs-{uuid.uuid4().hex[:8]}")
    try:
        control = SandboxControl(endpoints["google_sandbox"])
        control.seed_domain(DOMAIN)
        for email in ("alice@acme.com", *HOSTS):
            control.seed_user(email)
        platform = FakePlatform(config.project, "acme", {"domains": [DOMAIN]})
        platform.publish_settings()
        time.sleep(2)
        _quiet(control, counters)
        figures: dict[str, Any] = {}

        start = _snapshot(control, counters, reader)
        for n in range(items):
            platform.upsert(_item(n))
        _quiet(control, counters)
        created = _snapshot(control, counters, reader)
        figures["new item (2 parts)"] = _per(start, created, items, items)

        for n in range(items):
            platform.upsert(_item(n, revision=1))
        _quiet(control, counters)
        changed = _snapshot(control, counters, reader)
        figures["item change (2 parts)"] = _per(created, changed, items, items)

        for n in range(enrollments):
            platform.enroll_async("event", "evt_0000", {f"learner{n}@acme.com": "enrolled"})
        platform.flush()
        time.sleep(config.coalesce_seconds + 2)
        _quiet(control, counters)
        enrolled = _snapshot(control, counters, reader)
        figures["enrollment (in a burst)"] = _per(changed, enrolled, enrollments, enrollments)
        return {"items": items, "enrollments": enrollments, "per": figures}
    finally:
        reader.close()
        stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--enrollments", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.items, args.enrollments)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    columns = list(next(iter(result["per"].values())))
    print("| per | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for what, row in result["per"].items():
        print(f"| {what} | " + " | ".join(str(row[c]) for c in columns) + " |")


if __name__ == "__main__":
    main()
