"""Benchmark: the orphan sweeper's Google calls and duration in a large tenant.

One tenant in organizer mode with 10,000 organizers (sandbox Workspace users), 5 of
them suspended, and 20,000 future parts (one item with 2 parts per organizer). The 5
suspended organizers are connected (their grant stored through calsync's grant store)
and their items are synced by calsync itself, so their events really exist in their
calendars, with a learner as guest (Data Transfer only moves events with guests). The
other 19,990 parts are part mappings in Firestore only: a correct sweep never reads
them, which is what this benchmark shows. The items have no hosts, so every item goes
to the tenant's fallback organizer (one successor for all).

Measured from the sandbox's request log around one ``Sweeper.sweep()`` run in this
process: Directory calls (``directory.*``), Data Transfer calls (``datatransfer.*``),
Calendar calls, OAuth token calls and all Google calls, plus the sweep's wall-clock
duration; then a second sweep, which must do nothing. Target (bench/README.md):
Directory calls <= 2 + one per page of suspended users.

    ./run python bench/sweep.py                          # 10,000 organizers, 5 suspended
    ./run python bench/sweep.py --organizers 1000 --parts 2000   # smaller and quicker
    ./run python bench/sweep.py --transfer-delay 0.5     # Google-like transfer latency
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from calsync_dev.stack import LocalStack, StackConfig

TENANT = "acme"
DOMAIN = "acme.com"
ADMIN = "gadmin@acme.com"
FALLBACK = "ops@acme.com"
LEARNER = "learner@acme.com"
SERVICE_ACCOUNT = "calsync-bench-admin@calsync-local.iam.gserviceaccount.com"
BATCH = 500
"""Firestore allows 500 writes per commit."""
SUSPENDED_PAGE = 500
"""Suspended users per Directory ``users.list`` page (calsync asks for the maximum)."""


def organizer(index: int) -> str:
    """The address of organizer number ``index``."""
    return f"org{index:05d}@{DOMAIN}"


def item_id(index: int) -> str:
    """The platform id of organizer ``index``'s item."""
    return f"evt_org{index:05d}"


def suspended_indexes(organizers: int, suspended: int) -> list[int]:
    """Which organizers get suspended: spread evenly over the tenant."""
    step = max(organizers // max(suspended, 1), 1)
    return [n * step for n in range(suspended)]


def _parts(per_item: int, base: datetime) -> list[dict[str, str]]:
    """``per_item`` one-hour parts on consecutive days from ``base``."""
    return [
        {
            "key": f"p{n}",
            "start": (base + timedelta(days=n)).isoformat(),
            "end": (base + timedelta(days=n, hours=1)).isoformat(),
        }
        for n in range(per_item)
    ]


def _item(index: int, per_item: int, base: datetime) -> dict[str, Any]:
    return {
        "kind": "event",
        "id": item_id(index),
        "title": f"Workshop {index}",
        "organizer_email": organizer(index),
        "host_emails": [],
        "timezone": "UTC",
        "parts": _parts(per_item, base),
    }


def _deliver(message: dict[str, Any]) -> None:
    from calsync.entrypoints.platform_events import Outcome, handle_platform_event
    from calsync.entrypoints.services import services

    outcome = handle_platform_event(services(), json.dumps(message).encode())
    assert outcome is Outcome.ACK, message


def seed_users(base_url: str, emails: list[str], workers: int) -> float:
    """Create the sandbox users concurrently (one control client per thread); seconds taken."""
    from calsync_sandbox import SandboxControl

    local = threading.local()

    def seed(email: str) -> None:
        control = getattr(local, "control", None)
        if control is None:
            control = local.control = SandboxControl(base_url)
        control.seed_user(email)

    started = time.monotonic()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(seed, emails))
    return time.monotonic() - started


def connect_and_sync(control: Any, index: int, user_id: str, per_item: int, base: datetime) -> None:
    """Connect organizer ``index`` (a grant in calsync's grant store) and sync their item.

    The sandbox records the consent (``create_grant``), calsync stores the refresh token
    as the OAuth callback would; the item is then recorded and reconciled in-process, so
    its events are written into the organizer's calendar by calsync itself.
    """
    from calsync.config import get_settings
    from calsync.contracts import EnrollmentChange, EnrollmentStatus, ItemRef
    from calsync.entrypoints.services import services
    from calsync.organizers.grants import organizer_grants
    from calsync.organizers.oauth_flow import CONNECT_SCOPES

    email = organizer(index)
    settings = get_settings()
    scopes = list(CONNECT_SCOPES)
    refresh_token = control.create_grant(email, settings.oauth.client_id, scopes)
    organizer_grants(settings).connect(TENANT, email, refresh_token, scopes, user_id)
    services().store.record_attendance(
        TENANT,
        ItemRef(kind="event", id=item_id(index)),
        [EnrollmentChange(email=LEARNER, status=EnrollmentStatus.ENROLLED, version=1)],
    )
    _deliver(
        {
            "type": "item.upserted",
            "tenant_id": TENANT,
            "version": 1,
            "item": _item(index, per_item, base),
        }
    )
    mappings = services().store.mappings(TENANT, f"event:{item_id(index)}")
    assert len(mappings) == per_item, mappings
    assert all(m.owner_email == email and m.owner_kind == "organizer" for m in mappings.values())


def write_mappings(project: str, indexes: list[int], per_item: int, base: datetime) -> float:
    """Part mappings only (no Google event) for ``indexes``, in batches of 500; seconds taken."""
    from calsync.records import PartMapping
    from calsync.state.store import firestore_client

    db = firestore_client(project)
    items = db.collection("tenants").document(TENANT).collection("items")
    docs: list[tuple[Any, dict[str, Any]]] = []
    for index in indexes:
        parts = items.document(f"event:{item_id(index)}").collection("parts")
        for n, part in enumerate(_parts(per_item, base)):
            mapping = PartMapping(
                part_key=part["key"],
                calendar_id=organizer(index),
                event_id=f"calsyncbench{index:05d}p{n}",
                owner_email=organizer(index),
                owner_kind="organizer",
                synced_version=1,
                state="synced",
                ends_at=datetime.fromisoformat(part["end"]),
            )
            docs.append((parts.document(part["key"]), mapping.model_dump(mode="json")))

    def commit(chunk: list[tuple[Any, dict[str, Any]]]) -> None:
        batch = db.batch()
        for ref, data in chunk:
            batch.set(ref, data)
        batch.commit()

    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(commit, [docs[i : i + BATCH] for i in range(0, len(docs), BATCH)]))
    return time.monotonic() - started


def google_calls(before: dict[str, int], after: dict[str, int]) -> dict[str, Any]:
    """The sandbox's request-log counts between two snapshots, grouped by API."""
    delta = Counter(after)
    delta.subtract(before)
    calls = {method: n for method, n in sorted(delta.items()) if n}

    def total(prefix: str) -> int:
        return sum(n for method, n in calls.items() if method.startswith(prefix))

    directory, transfer = total("directory."), total("datatransfer.")
    calendar, tokens = total("calendar."), total("oauth2.token")
    everything = sum(calls.values())
    return {
        "directory": directory,
        "datatransfer": transfer,
        "calendar": calendar,
        "oauth_token": tokens,
        "other": everything - directory - transfer - calendar - tokens,
        "total": everything,
        "total_without_tokens": everything - tokens,
        "by_method": calls,
    }


def _emails(control: Any) -> int:
    return sum(sum(kinds.values()) for kinds in control.notification_counts().values())


def timed_sweep(control: Any) -> tuple[Any, float, dict[str, Any]]:
    """One sweep in this process: its report, seconds, and Google calls (with the e-mails
    Google would have sent meanwhile under ``emails``)."""
    from calsync.entrypoints.services import services
    from calsync.sweeper.sweep import Sweeper

    before, mails = control.request_counts()["counts"], _emails(control)
    started = time.monotonic()
    report = Sweeper(services()).sweep()
    seconds = time.monotonic() - started
    calls = google_calls(before, control.request_counts()["counts"])
    return report, seconds, {**calls, "emails": _emails(control) - mails}


def run(
    organizers: int, suspended: int, parts: int, workers: int, transfer_delay: float
) -> dict[str, Any]:
    """Set the tenant up, run two sweeps; returns the measurements."""
    from calsync.entrypoints.services import reset_services, services
    from calsync_sandbox import SandboxControl

    per_item = max(parts // organizers, 1)
    stack = LocalStack(StackConfig.ephemeral(Path(tempfile.mkdtemp(prefix="calsync-sweep-"))))
    endpoints = stack.start(with_functions=False)
    saved = dict(os.environ)
    try:
        setup_started = time.monotonic()
        url = endpoints["google_sandbox"]
        control = SandboxControl(url)
        control.seed_domain(DOMAIN)
        control.seed_user(ADMIN, admin=True)
        for email in (FALLBACK, LEARNER):
            control.seed_user(email)
        control.set_transfer_delay(transfer_delay)
        key = control.create_service_account(SERVICE_ACCOUNT, domain_wide_delegation=True)
        os.environ.update(stack.environment)
        os.environ["CALSYNC_ADMIN_CREDENTIALS"] = json.dumps(key)
        reset_services()
        _deliver(
            {
                "type": "settings.updated",
                "tenant_id": TENANT,
                "version": 1,
                "settings": {
                    "sync_enabled": True,
                    "use_organizer_accounts": True,
                    "domains": [DOMAIN],
                    "admin_email": ADMIN,
                    "fallback_organizer_email": FALLBACK,
                },
            }
        )
        seed_seconds = seed_users(url, [organizer(n) for n in range(organizers)], workers)

        base = (datetime.now(UTC) + timedelta(days=30)).replace(
            hour=15, minute=0, second=0, microsecond=0
        )
        chosen = suspended_indexes(organizers, suspended)
        ids = {str(user["email"]): str(user["id"]) for user in control.users()}
        for index in chosen:
            connect_and_sync(control, index, ids[organizer(index)], per_item, base)
        others = sorted(set(range(organizers)) - set(chosen))
        mapping_seconds = write_mappings(stack.config.project, others, per_item, base)
        for index in chosen:
            control.update_user(organizer(index), suspended=True)
        setup_seconds = time.monotonic() - setup_started

        # the sweep's one Firestore query, alone (the emulator scans every part for it)
        query_started = time.monotonic()
        found = services().store.parts_owned_by(TENANT, sorted(organizer(n) for n in chosen))
        query_seconds = time.monotonic() - query_started
        assert len(found) == len(chosen) * per_item, found

        report, seconds, calls = timed_sweep(control)
        again, seconds_again, calls_again = timed_sweep(control)

        pages = max(-(-len(chosen) // SUSPENDED_PAGE), 1)  # users.list pages of suspended users
        target = 2 + pages
        moved = [
            m
            for index in chosen
            for m in services().store.mappings(TENANT, f"event:{item_id(index)}").values()
        ]
        return {
            "organizers": organizers,
            "suspended": len(chosen),
            "future_parts": organizers * per_item,
            "parts_with_google_events": len(chosen) * per_item,
            "transfer_delay_seconds": transfer_delay,
            "setup_seconds": round(setup_seconds, 1),
            "seed_users_seconds": round(seed_seconds, 1),
            "write_mappings_seconds": round(mapping_seconds, 1),
            "parts_owned_by_query_seconds": round(query_seconds, 2),
            "sweep": {
                "seconds": round(seconds, 2),
                "suspended_organizers": len(report.suspended_organizers),
                "parts_transferred": report.parts_transferred,
                "parts_recreated": report.parts_recreated,
                "parts_failed": report.parts_failed,
                "transfers_in_progress": report.transfers_in_progress,
                "google_calls": calls,
            },
            "second_sweep": {
                "seconds": round(seconds_again, 2),
                "actions": len(again.actions),
                "google_calls": calls_again,
            },
            "directory_target": target,
            "directory_target_met": calls["directory"] <= target,
            "all_parts_now_with_successor": all(m.owner_email == FALLBACK for m in moved),
        }
    finally:
        stack.stop()
        os.environ.clear()
        os.environ.update(saved)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--organizers", type=int, default=10_000)
    parser.add_argument("--suspended", type=int, default=5)
    parser.add_argument("--parts", type=int, default=20_000, help="future parts in the tenant")
    parser.add_argument("--workers", type=int, default=16, help="threads seeding sandbox users")
    parser.add_argument(
        "--transfer-delay", type=float, default=0.0, help="sandbox Data Transfer delay, seconds"
    )
    args = parser.parse_args()
    result = run(args.organizers, args.suspended, args.parts, args.workers, args.transfer_delay)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
