"""Benchmark: cold start of each function (fresh process: import, load, first request).

Starts the emulators and the Google sandbox (no functions), seeds a tenant and
an item, then for every ``functions/<name>/main.py`` runs ``cold_start_probe.py``
in a fresh interpreter several times and reports the median of each phase and
the heavy client libraries each function had imported after loading and after
its first request.

Each function is compared with a floor measured in the same run, against the same emulators:
a fresh interpreter that imports functions-framework, creates a Firestore client and reads one
document (``cold_start_probe.py --floor``). The floor is probed right before every probe of a
function, and ``× floor`` is the median over the runs of the function's total divided by the
total of the floor probed just before it (so a machine that slows down mid-run slows both).
``× floor, CPU`` is the same ratio of the CPU seconds each process used (user and system, from
interpreter start to the answer): it leaves out waiting for the emulators, but it also hardly
moves when other processes compete for the processors.

    ./run python bench/cold_start.py [--runs 5] [--breakdown] [--against REF ...]

``--breakdown`` also says where each first request's time goes (``cold_start_probe.py``):
seconds in imports, Firestore RPCs and HTTP calls (count and seconds), and the rest.

``--against REF`` (repeatable) also loads every function from ``git archive REF`` (for example
the commit before a refactoring), alternating the trees run by run in the same stack, and adds
the ratios of this tree's medians to REF's per function.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from calsync_dev.dates import at
from calsync_dev.stack import LocalStack, StackConfig, repo_root

ITEM = {
    "kind": "event",
    "id": "evt_cold",
    "title": "Cold start",
    "organizer_email": "alice@acme.com",
    "host_emails": ["bob@acme.com"],
    "timezone": "UTC",
    "parts": [{"key": "p", "start": at(1, "10:00"), "end": at(1, "11:00")}],
}


FLOOR_DOC = "tenants/acme"
"""The document the floor reads (the seeded tenant)."""


def _push(message: dict[str, Any]) -> dict[str, Any]:
    data = base64.b64encode(json.dumps(message).encode()).decode()
    return {"json": {"message": {"data": data, "messageId": "1"}, "subscription": "s"}}


def _requests(version: int) -> dict[str, dict[str, Any]]:
    """A representative first request for each function."""
    ref = {"kind": "event", "id": ITEM["id"]}
    return {
        "on_event_change": _push(
            {
                "type": "item.upserted",
                "tenant_id": "acme",
                "version": version,
                "item": {**ITEM, "title": f"v{version}"},
            }
        ),
        "on_enroll": _push(
            {
                "type": "enrollment.changed",
                "tenant_id": "acme",
                "item": ref,
                "changes": [{"email": "carol@acme.com", "status": "enrolled", "version": version}],
            }
        ),
        "reconcile": {"json": {"action": "reconcile", "tenant_id": "acme", "item": ref}},
        "oauth_callback": {"method": "GET", "path": "/status?tenant=acme&organizer=alice@acme.com"},
        "rooms": {
            "method": "GET",
            "path": "/?tenant=acme&organizer=alice@acme.com"
            f"&start={at(1, '10:00')}&end={at(1, '11:00')}",
        },
        "orphan_sweeper": {"method": "POST", "path": "/?dry_run=1"},
        "on_calendar_change": {
            "headers": {
                "X-Goog-Channel-ID": f"cold-{version}",
                "X-Goog-Resource-State": "exists",
                "X-Goog-Resource-ID": "cold-resource",
                "X-Goog-Channel-Token": "unknown",
            },
        },
    }


def _seed_tenant() -> None:
    """Tenant acme and the item, recorded and synced in this process."""
    from calsync.entrypoints.platform_events import handle_platform_event
    from calsync.entrypoints.services import reset_services, services

    reset_services()
    for message in (
        {
            "type": "settings.updated",
            "tenant_id": "acme",
            "version": 1,
            "settings": {"domains": ["acme.com"]},
        },
        {"type": "item.upserted", "tenant_id": "acme", "version": 1, "item": ITEM},
    ):
        handle_platform_event(services(), json.dumps(message).encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--against",
        metavar="REF",
        action="append",
        default=[],
        help="also measure this git commit's tree (repeatable)",
    )
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="also account each first request's imports, Firestore RPCs and HTTP calls",
    )
    args = parser.parse_args()
    trees = {"this tree": repo_root(), **{ref: _archive(ref) for ref in args.against}}
    from calsync_sandbox import SandboxControl

    stack = LocalStack(StackConfig.ephemeral(Path(tempfile.mkdtemp(prefix="calsync-cold-"))))
    endpoints = stack.start(with_functions=False)
    try:
        control = SandboxControl(endpoints["google_sandbox"])
        control.seed_domain("acme.com")
        for email in ("alice@acme.com", "bob@acme.com", "carol@acme.com"):
            control.seed_user(email)
        _seed_tenant()
        env = {
            **os.environ,
            **stack.environment,
            "CALSYNC_TASKS_URL": endpoints["google_sandbox"] + "/_sandbox/sink",
            "CALSYNC_PROBE_BREAKDOWN": "1" if args.breakdown else "",
        }
        names = sorted(p.parent.name for p in (repo_root() / "functions").glob("*/main.py"))
        rows: dict[str, dict[str, list[dict[str, Any]]]] = {
            tree: {name: [] for name in names} for tree in trees
        }
        floors: dict[str, dict[str, list[dict[str, Any]]]] = {
            tree: {name: [] for name in names} for tree in trees
        }
        for run in range(args.runs):
            for name in _requests(0):
                if name not in names:
                    continue
                for index, (tree, root) in enumerate(trees.items()):
                    # each tree its own version: a repeated one would be answered as a duplicate
                    request = _requests(100 + run * len(trees) + index)[name]
                    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
                        json.dump(request, handle)
                    floors[tree][name].append(_probe_floor(env))
                    time.sleep(0.2)
                    rows[tree][name].append(_probe(name, handle.name, root, env))
                    Path(handle.name).unlink()
                    time.sleep(0.2)
        for tree, tree_rows in rows.items():
            print(f"\n{tree}:\n{_table(tree_rows, floors[tree])}")
            if args.breakdown:
                print(f"\n{_breakdown(tree_rows, floors[tree])}")
        for ref in args.against:
            print(f"\n{_ratios(rows['this tree'], rows[ref], ref)}")
    finally:
        stack.stop()
        for ref in args.against:
            shutil.rmtree(trees[ref], ignore_errors=True)


def _archive(ref: str) -> Path:
    """``ref``'s tree, unpacked into a temporary directory (no worktree left behind)."""
    target = Path(tempfile.mkdtemp(prefix="calsync-cold-ref-"))
    archive = subprocess.run(
        ["git", "-C", str(repo_root()), "archive", ref], capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target


def _probe(name: str, request_file: str, root: Path, env: dict[str, str]) -> dict[str, Any]:
    """One cold start of ``name`` loaded from the checkout at ``root``."""
    tree_env = {
        **env,
        "CALSYNC_PROBE_ROOT": str(root),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(root / "shared"), env.get("PYTHONPATH")])),
    }
    probe = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("cold_start_probe.py")), name, request_file],
        capture_output=True,
        text=True,
        env=tree_env,
        check=True,
    )
    return cast(dict[str, Any], json.loads(probe.stdout.strip().splitlines()[-1]))


def _probe_floor(env: dict[str, str]) -> dict[str, Any]:
    """One cold start of the floor (functions-framework, a Firestore client, one read)."""
    probe = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).with_name("cold_start_probe.py")),
            "--floor",
            FLOOR_DOC,
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return cast(dict[str, Any], json.loads(probe.stdout.strip().splitlines()[-1]))


def _loading(run: dict[str, Any]) -> float:
    return float(run["import_framework_s"] + run["load_function_s"])


def _total(run: dict[str, Any]) -> float:
    return float(run["import_framework_s"] + run["load_function_s"] + run["first_request_s"])


def _ratios(
    this: dict[str, list[dict[str, Any]]], other: dict[str, list[dict[str, Any]]], ref: str
) -> str:
    """Median times of this tree over ``ref``'s, per function. Loading (import the framework,
    load main.py) compares always; the first request only where both trees answered alike
    (an older tree may refuse the state this tree's code seeded)."""

    def ratio(key: Callable[[dict[str, Any]], float], name: str) -> float:
        return statistics.median(map(key, this[name])) / statistics.median(map(key, other[name]))

    lines = [
        f"| function | load main.py, this / {ref} | framework + load, this / {ref} | "
        f"total, this / {ref} | HTTP this, {ref} |",
        "|---|---|---|---|---|",
    ]
    for name in this:
        if not this[name] or not other[name]:
            continue
        same = this[name][-1]["status"] == other[name][-1]["status"]
        total = f"{ratio(_total, name):.2f}" if same else "n/a (answers differ)"
        lines.append(
            f"| {name} | {ratio(lambda r: r['load_function_s'], name):.2f} | "
            f"{ratio(_loading, name):.2f} | {total} | "
            f"{this[name][-1]['status']}, {other[name][-1]['status']} |"
        )
    return "\n".join(lines)


_PHASES = ("import_framework_s", "load_function_s", "first_request_s")


def _table(rows: dict[str, list[dict[str, Any]]], floors: dict[str, list[dict[str, Any]]]) -> str:
    """Median phases per function and the floor, and each total over the floor probed just
    before it (median of the runs' ratios)."""
    lines = [
        "| function | import functions_framework | load main.py | first request | total | "
        "× floor | × floor, CPU | HTTP | heavy libraries after load | after first request |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    every_floor = [run for runs in floors.values() for run in runs]
    for name, runs in [("floor", every_floor), *rows.items()]:
        if not runs:
            continue
        med = {k: statistics.median(r[k] for r in runs) for k in _PHASES}
        total = sum(med.values())
        if name == "floor":
            ratio = cpu = "1"
        else:
            paired = list(zip(runs, floors[name], strict=True))
            ratio = f"{statistics.median(_total(r) / _total(f) for r, f in paired):.2f}"
            cpu = f"{statistics.median(r['cpu_s'] / f['cpu_s'] for r, f in paired):.2f}"
        lines.append(
            f"| {name} | {med['import_framework_s']:.2f} s | {med['load_function_s']:.2f} s | "
            f"{med['first_request_s']:.2f} s | {total:.2f} s | {ratio} | {cpu} | "
            f"{runs[-1]['status']} | "
            f"{', '.join(runs[-1]['heavy_after_load']) or 'none'} | "
            f"{', '.join(runs[-1]['heavy_after_first_request']) or 'none'} |"
        )
    return "\n".join(lines)


def _breakdown(
    rows: dict[str, list[dict[str, Any]]], floors: dict[str, list[dict[str, Any]]]
) -> str:
    """Where each first request's time goes (medians; ``--breakdown``)."""
    lines = [
        "| function | first request | in imports | Firestore RPCs | in RPCs | HTTP calls | "
        "in HTTP | rest |",
        "|---|---|---|---|---|---|---|---|",
    ]
    every_floor = [run for runs in floors.values() for run in runs]
    for name, runs in [("floor", every_floor), *rows.items()]:
        if not runs:
            continue
        med = {
            k: statistics.median(float(r[k]) for r in runs)
            for k in ("first_request_s", "import_s", "rpcs", "rpc_s", "https", "http_s")
        }
        rest = statistics.median(
            r["first_request_s"] - r["import_s"] - r["rpc_s"] - r["http_s"] for r in runs
        )
        lines.append(
            f"| {name} | {med['first_request_s']:.3f} s | {med['import_s']:.3f} s | "
            f"{med['rpcs']:.0f} | {med['rpc_s']:.3f} s | {med['https']:.0f} | "
            f"{med['http_s']:.3f} s | {rest:.3f} s |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
