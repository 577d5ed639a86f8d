"""Benchmark: two-way sync's speed and cost (issue 15, item 8), against the local stack.

One tenant with two-way sync on and ``drift_policy: repair``, its platform calendar watched.
Measured, each against a floor or baseline taken in the same run:

- **edit to repair:** a person drags one of calsync's events in Google Calendar; seconds until
  calsync has put it back, against the floor of one coalescing window plus 5 s (the target);
- **a burst:** a person retitles ``--burst`` events of one calendar within one window; the
  ``events.list`` calls the burst caused against the windows it spanned (target: one list per
  calendar per window), the notifications Google sent, and every Google call per repaired event;
- **renewals:** from the channels actually opened: each channel's renewal time, and the Google
  calls one renewal costs (renewals run now, whatever their time), giving renewal calls per day
  for 10,000 watched calendars;
- **a busy calendar:** ``--busy`` other events in the watched calendar (as in an organizer's
  primary); what the first full read costs (calls, events returned, seconds) against one
  incremental read after a single change.

    ./run python bench/two_way.py                       # burst 50, busy 2,000
    ./run python bench/two_way.py --burst 20 --busy 500 --repeats 3   # smaller and quicker
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from calsync.google.cloud_tasks import task_name
from calsync_dev.dates import at
from calsync_dev.platform import FakePlatform
from calsync_dev.stack import LocalStack, StackConfig

WINDOW = 5.0
"""The production coalescing window (``CALSYNC_CALENDAR_CHANGE_SECONDS``)."""
CALENDARS = 10_000
"""The fleet the renewal cost is given for (issue 15, item 8)."""


def _item(item_id: str, parts: int) -> dict[str, Any]:
    return {
        "kind": "event",
        "id": item_id,
        "title": "Two-way bench",
        "organizer_email": "alice@acme.com",
        "host_emails": ["bob@acme.com"],
        "timezone": "UTC",
        "parts": [
            {"key": f"p{n}", "start": at(n + 1, "10:00"), "end": at(n + 1, "11:00")}
            for n in range(parts)
        ],
    }


def _wait(condition: Any, timeout: float, poll: float = 0.1) -> float:
    """Seconds until ``condition()`` is true (raises after ``timeout``)."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"not reached within {timeout} s")
        time.sleep(poll)
    return time.monotonic() - started


def _arrived(delivery: dict[str, Any]) -> float:
    """When the notification reached calsync (its first attempt), in seconds."""
    first = delivery["attempts"][0]["time"] if delivery["attempts"] else delivery["queued_at"]
    return (
        float(first)
        if isinstance(first, int | float)
        else datetime.fromisoformat(first).timestamp()
    )


def _starts_at(svc: Any, calendar_id: str, event_id: str, start: dict[str, Any]) -> bool:
    return bool(svc.platform_gateway().get_event(calendar_id, event_id)["start"] == start)


def _count(control: Any, method: str) -> int:
    return int(control.request_counts()["counts"].get(method, 0))


def _calls(control: Any) -> int:
    return int(control.request_counts()["total"])


def _quiet(control: Any, timeout: float = 120.0) -> None:
    """Every push delivered and every task due within a minute run."""
    soon = time.time() + 60

    def busy() -> list[dict[str, Any]]:
        return [
            t
            for t in control.tasks()
            if t["state"] in ("scheduled", "running", "retrying")
            and datetime.fromisoformat(t["schedule_time"]).timestamp() < soon
        ]

    for _ in range(3):
        control.drain_push(timeout=timeout)
        try:
            _wait(lambda: not busy(), timeout)
        except TimeoutError:
            raise TimeoutError(json.dumps(busy(), indent=1)[:3000]) from None


def edit_to_repair(
    svc: Any, control: Any, calendar_id: str, item: str, repeats: int
) -> dict[str, Any]:
    """Drag a part ``repeats`` times; seconds until each is back."""
    seconds = []
    for n in range(repeats):
        mapping = svc.store.mappings("acme", item)[f"p{n}"]
        start = svc.platform_gateway().get_event(calendar_id, mapping.event_id)["start"]
        control.edit_move(
            calendar_id,
            mapping.event_id,
            {"dateTime": at(60 + n, "15:00"), "timeZone": "UTC"},
            {"dateTime": at(60 + n, "16:00"), "timeZone": "UTC"},
        )
        seconds.append(_wait(partial(_starts_at, svc, calendar_id, mapping.event_id, start), 60))
        _quiet(control)
    floor = WINDOW + 5
    return {
        "repeats": repeats,
        "seconds_median": round(statistics.median(seconds), 2),
        "seconds_max": round(max(seconds), 2),
        "floor_window_plus_5_s": floor,
        "max_as_share_of_floor": round(max(seconds) / floor, 2),
        "target_met": max(seconds) < floor,
    }


def burst(svc: Any, control: Any, calendar_id: str, item: str, size: int) -> dict[str, Any]:
    """Retitle ``size`` events at once; the reads, notifications and calls it costs."""
    mappings = svc.store.mappings("acme", item)
    keys = [f"p{n}" for n in range(size)]
    gateway = svc.platform_gateway()
    titles = {k: gateway.get_event(calendar_id, mappings[k].event_id)["summary"] for k in keys}
    lists, calls = _count(control, "calendar.events.list"), _calls(control)
    pushes = len(control.push_deliveries())
    started = time.time()
    for key in keys:
        control.edit_retitle(calendar_id, mappings[key].event_id, f"Edited {key}")
    edited = time.time()

    def repaired() -> bool:
        gateway = svc.platform_gateway()
        return all(
            gateway.get_event(calendar_id, mappings[k].event_id)["summary"] == titles[k]
            for k in keys
        )

    _quiet(control)
    _wait(repaired, 120, 0.5)
    lists = _count(control, "calendar.events.list") - lists
    delivered = control.push_deliveries()[pushes:]
    # the windows notifications arrived in: the person's edits, then calsync's own repair
    # writes heard back (recognised by their etag, but still one read)
    windows = len({int(_arrived(d) // WINDOW) for d in delivered})
    return {
        "events_edited": size,
        "edit_seconds": round(edited - started, 2),
        "notifications": len(delivered),
        "windows_with_notifications": windows,
        "events_list_calls": lists,
        "lists_per_window_with_notifications": round(lists / max(windows, 1), 2),
        "google_calls_per_repaired_event": round((_calls(control) - calls) / size, 2),
        "target_one_list_per_window_met": lists <= windows,
    }


def renewals(svc: Any, control: Any) -> dict[str, Any]:
    """What renewing the open channels costs, measured, scaled to ``CALENDARS`` calendars."""
    channels = [c for c in control.push_channels() if not c["stopped"] and not c["expired"]]
    lifetimes = []
    leads = []
    tasks = {t["name"].rsplit("/", 1)[-1]: t for t in control.tasks()}
    for channel in channels:
        stored = svc.store.channel(channel["id"])
        renewal = tasks[task_name("renew_channel", channel["id"])]
        expires = channel["expiration"] / 1000
        lifetimes.append(expires - stored.created_at.timestamp())
        leads.append(expires - datetime.fromisoformat(renewal["schedule_time"]).timestamp())
    watch, stop = (
        _count(control, "calendar.events.watch"),
        _count(control, "calendar.channels.stop"),
    )
    for channel in channels:
        svc.channels.renew("acme", channel["id"])
    watch = _count(control, "calendar.events.watch") - watch
    stop = _count(control, "calendar.channels.stop") - stop
    interval_days = (statistics.mean(lifetimes) - statistics.mean(leads)) / 86400
    per_renewal = (watch + stop) / len(channels)
    return {
        "channels": len(channels),
        "channel_lifetime_days": round(statistics.mean(lifetimes) / 86400, 2),
        "renewed_days_before_expiry": round(statistics.mean(leads) / 86400, 2),
        "google_calls_per_renewal": per_renewal,
        "renewals_per_day_for_10000_calendars": round(CALENDARS / interval_days),
        "google_calls_per_day_for_10000_calendars": round(CALENDARS / interval_days * per_renewal),
    }


def busy_calendar(
    svc: Any, control: Any, calendar_id: str, item: str, others: int
) -> dict[str, Any]:
    """Full read of a calendar holding ``others`` foreign events, against one incremental read."""
    gateway = svc.platform_gateway()
    for n in range(others):
        gateway.insert_event(
            calendar_id,
            f"other{n:06d}",
            {
                "summary": f"Someone else's meeting {n}",
                "start": {"dateTime": at(1 + n % 90, "13:00"), "timeZone": "UTC"},
                "end": {"dateTime": at(1 + n % 90, "13:30"), "timeZone": "UTC"},
            },
            "none",
        )
    _quiet(control)
    svc.store.save_sync_token("acme", calendar_id, "")  # as a first read, or after a 410
    lists = _count(control, "calendar.events.list")
    started = time.monotonic()
    full_changes = len(svc.changes.read("acme", calendar_id))
    full_seconds = time.monotonic() - started
    full_lists = _count(control, "calendar.events.list") - lists
    mapping = svc.store.mappings("acme", item)["p0"]
    control.edit_retitle(calendar_id, mapping.event_id, "One change")
    lists = _count(control, "calendar.events.list")
    started = time.monotonic()
    incremental_changes = len(svc.changes.read("acme", calendar_id))
    incremental_seconds = time.monotonic() - started
    incremental_lists = _count(control, "calendar.events.list") - lists
    _quiet(control)
    return {
        "foreign_events": others,
        "full_read": {
            "events_list_calls": full_lists,
            "managed_events_seen": full_changes,
            "seconds": round(full_seconds, 2),
        },
        "incremental_read_after_one_change": {
            "events_list_calls": incremental_lists,
            "managed_events_seen": incremental_changes,
            "seconds": round(incremental_seconds, 3),
        },
        "incremental_as_share_of_full_seconds": round(incremental_seconds / full_seconds, 3),
    }


def run(burst_size: int, busy: int, repeats: int) -> dict[str, Any]:
    """Start a stack, sync one item of ``burst_size`` parts with two-way sync, measure."""
    from calsync_sandbox import SandboxControl

    config = replace(
        StackConfig.ephemeral(Path(tempfile.mkdtemp(prefix="calsync-bench-"))),
        coalesce_seconds=WINDOW,
    )
    stack = LocalStack(config)
    endpoints = stack.start()
    try:
        os.environ.update(stack.environment)
        from calsync.entrypoints.services import reset_services, services

        reset_services()
        svc = services()
        control = SandboxControl(endpoints["google_sandbox"])
        control.seed_domain("acme.com")
        for email in ("alice@acme.com", "bob@acme.com"):
            control.seed_user(email)
        settings = {"domains": ["acme.com"], "two_way_sync": True, "drift_policy": "repair"}
        platform = FakePlatform(config.project, "acme", settings)
        platform.publish_settings()
        time.sleep(1)
        size = max(burst_size, repeats, 1)
        platform.upsert(_item("evt_twoway", size))
        item = "event:evt_twoway"
        _wait(lambda: len(svc.store.mappings("acme", item)) == size, 120, 0.5)
        _quiet(control)
        tenant = svc.store.get_tenant("acme")
        assert tenant is not None
        assert tenant.platform_calendar_id
        calendar_id = tenant.platform_calendar_id
        return {
            "window_seconds": WINDOW,
            "edit_to_repair": edit_to_repair(svc, control, calendar_id, item, repeats),
            "burst": burst(svc, control, calendar_id, item, burst_size),
            "renewals": renewals(svc, control),
            "busy_calendar": busy_calendar(svc, control, calendar_id, item, busy),
        }
    finally:
        stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--burst", type=int, default=50, help="events edited in one window")
    parser.add_argument("--busy", type=int, default=2000, help="foreign events in the calendar")
    parser.add_argument("--repeats", type=int, default=5, help="edit-to-repair measurements")
    args = parser.parse_args()
    print(json.dumps(run(args.burst, args.busy, args.repeats), indent=2), flush=True)


if __name__ == "__main__":
    main()
