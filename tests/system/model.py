"""A seeded, model-based exploration of calsync through the whole local stack.

The reference model is the platform itself (``FakePlatform``): it knows every item, part,
enrollment, setting and organizer connection, and from that alone who should hold which entry.
``Exploration`` plays random steps against the real system (the platform's messages go through
the Pub/Sub emulator's push subscriptions into the functions; Google is the sandbox; state is in
the Firestore emulator), then lets everything settle on the sandbox clock and checks:

1. every person holds exactly one live calsync entry per live future part they should attend,
   and nothing else (``differences``), in the owner's calendar the mode calls for;
2. no live event calsync created lacks a mapping (found by mapping, not by private property);
3. the latest result the platform received for each part (two-way sync's ``drifted`` and
   ``responded`` reports aside) names its final state: ``synced``
   with an event that exists (or ``needs_consent`` while its organizer is not connected),
   ``transferred`` naming the live event a sweep handed the part over to (docs/sweeper.md: the
   hand-over publishes it after the successor's reconcile, with the new event id), or
   ``deleted``.

Known exceptions (entries calsync cannot remove by design) are listed in ``EXCEPTIONS``. The
steps always reconnect revoked organizers before settling, so only the first is produced: a
suspended organizer's own originals, when nobody could receive a Data Transfer (``_excused``).

    run = Exploration(stack, control, seed=7)
    run.play(steps=40)          # raises ExplorationFailed with the seed and the steps
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import requests

from calsync_dev.dates import at
from calsync_dev.http_callers import OrganizerBrowser
from calsync_dev.platform import FakePlatform
from calsync_dev.report import actual_calendars, differences, title_of
from calsync_dev.results_reader import ResultsReader

__all__ = ["EXCEPTIONS", "Exploration", "ExplorationFailed"]

TENANT = "acme"
DOMAIN = "acme.com"
ORGANIZERS = ("alice@acme.com", "bob@acme.com")
HOSTS = ("dan@acme.com", "grace@acme.com")
LEARNERS = ("carol@acme.com", "erin@acme.com", "ivan@acme.com")
ADMIN = "gadmin@acme.com"
PEOPLE = (*ORGANIZERS, *HOSTS, *LEARNERS)
ITEMS = ("evt_a", "evt_b", "ses_c")
ZONE = "America/New_York"

EXCEPTIONS = {
    "original of a part recreated for a suspended organizer without a transfer": "transferred",
    "event left with an owner whose grant is gone": "needs_consent",
}
"""Entries calsync cannot remove by design, with the result status that reports each."""


class ExplorationFailed(AssertionError):
    """An invariant did not hold after the system settled."""


@dataclass
class Exploration:
    """One seeded run: random steps, then settle and check the invariants."""

    stack: Any
    control: Any
    seed: int
    settle_timeout: float = 60.0
    log: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.platform = FakePlatform(
            self.stack.config.project,
            TENANT,
            {
                "sync_enabled": True,
                "domains": [DOMAIN],
                "use_organizer_accounts": False,
                "admin_email": ADMIN,
                "two_way_sync": True,
                "drift_policy": "repair",
            },
        )
        self.reader = ResultsReader(self.stack.config.project, f"model-{uuid.uuid4().hex[:12]}")
        self.held: list[dict[str, Any]] = []  # messages held back, delivered late (reordering)
        self.sent: list[dict[str, Any]] = []  # every platform-events message, for duplicates
        self.revoked: set[str] = set()
        self.suspended: set[str] = set()
        self.played = 0  # random steps played so far (what a replay needs)
        self.lasting_quota = False

    # -- the run ------------------------------------------------------------------------
    def play(self, steps: int, settle_every: int = 12) -> None:
        """Seed people, play ``steps`` random steps, settling now and then and at the end."""
        self.control.seed_domain(DOMAIN)
        for person in PEOPLE:
            self.control.seed_user(person)
        self.control.seed_user(ADMIN, admin=True)
        self._do("settings", self.platform.publish_settings)
        self._wait_for_tenant()
        try:
            for n in range(1, steps + 1):
                self.played = n
                self._step()
                if n % settle_every == 0:
                    self.settle()
            self.settle()
        finally:
            self.reader.close()
            # a delivery still in Pub/Sub's retry backoff would reach the next test, whose
            # empty Firestore takes it as new (it re-created an item there once)
            self.stack.drop_pending_pushes()

    def _wait_for_tenant(self) -> None:
        """The tenant exists once its first settings went through push (connects need it)."""
        from calsync.entrypoints.services import services

        deadline = time.monotonic() + 30
        while services().store.get_tenant(TENANT) is None:
            if time.monotonic() > deadline:
                raise ExplorationFailed("the tenant's first settings never arrived")
            time.sleep(0.2)

    def _step(self) -> None:
        choices: list[tuple[int, Callable[[], None]]] = [
            (8, self.upsert),
            (2, self.delete),
            (6, self.enroll),
            (2, self.duplicate),
            (2, self.hold_back),
            (2, self.release_held),
            (1, self.toggle_sync),
            (1, self.toggle_guest_visibility),
            (1, self.toggle_mode),
            (2, self.connect),
            (1, self.disconnect),
            (1, self.revoke),
            (2, self.fault),
            (1, self.quota_that_lasts),
            (1, self.suspend_and_sweep),
            (1, self.crashed_worker_lease),
            (3, self.edit_in_google),
        ]
        weights = [w for w, _ in choices]
        action = self.rng.choices([a for _, a in choices], weights)[0]
        action()

    def _do(self, what: str, action: Callable[[], Any]) -> Any:
        self.log.append(what)
        return action()

    # -- platform steps -----------------------------------------------------------------
    def _item(self, item_id: str) -> dict[str, Any]:
        rng = self.rng
        kind = "session" if item_id.startswith("ses_") else "event"
        parts = []
        for n, key in enumerate(rng.sample(["p1", "p2", "p3"], rng.randint(1, 2))):
            day, hour = rng.randint(1, 4) + 4 * n, rng.choice([9, 10, 14])
            part: dict[str, Any] = {
                "key": key,
                "start": at(day, f"{hour:02d}:00", ZONE),
                "end": at(day, f"{hour + 1:02d}:00", ZONE),
            }
            if rng.random() < 0.3:
                part["host_emails"] = rng.sample(HOSTS, rng.randint(0, 2))
            if rng.random() < 0.2:
                part["location"] = rng.choice(["Room 1", "Room 2"])
            parts.append(part)
        return {
            "kind": kind,
            "id": item_id,
            "title": f"Course {item_id}",
            "description": rng.choice(["Bring a laptop.", "Hands on.", ""]),  # cosmetic edits
            "organizer_email": rng.choice(self._active_organizers()),
            "host_emails": rng.sample(HOSTS, rng.randint(0, 2)),
            "timezone": ZONE,
            "location": rng.choice(["HQ", "Annex"]),
            "url": f"https://acme.example/{item_id}",
            "parts": parts,
        }

    def _active_organizers(self) -> list[str]:
        return [o for o in ORGANIZERS if o not in self.suspended]

    def _send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)
        item = message.get("item") or {}
        if message["type"] == "item.upserted":
            # the platform named a (new, active) organizer: a sweeper's successor steps back
            self.platform.successors.pop(item["title"], None)

    def upsert(self) -> None:
        """A new or changed item (times, places, hosts, organizer, parts)."""
        item = self._item(self.rng.choice(ITEMS))
        self._send(
            self._do(f"upsert {item['id']}: {_brief(item)}", lambda: self.platform.upsert(item))
        )

    def delete(self) -> None:
        """An item deleted (a later upsert recreates it)."""
        live = [k for k in self.platform.items if k not in self.platform.deleted]
        if not live:
            return self.upsert()
        kind, item_id = self.rng.choice(sorted(live)).split(":", 1)
        self._send(self._do(f"delete {item_id}", lambda: self.platform.delete(kind, item_id)))
        return None

    def enroll(self) -> None:
        """Someone enrolls, joins the waitlist or unenrolls."""
        live = sorted(k for k in self.platform.items if k not in self.platform.deleted)
        if not live:
            return self.upsert()
        kind, item_id = self.rng.choice(live).split(":", 1)
        person = self.rng.choice(LEARNERS)
        status = self.rng.choice(["enrolled", "enrolled", "waitlisted", "unenrolled"])
        self._do(
            f"{person} {status} in {item_id}",
            lambda: self.platform.enroll(kind, item_id, {person: status}),
        )
        return None

    def duplicate(self) -> None:
        """An earlier message delivered again."""
        if self.sent:
            message = self.rng.choice(self.sent)
            self._do(f"duplicate of {_describe(message)}", lambda: self.platform.republish(message))

    def hold_back(self) -> None:
        """An upsert whose delivery is delayed past the next change of its item."""
        item = self._item(self.rng.choice(ITEMS))
        key = f"{item['kind']}:{item['id']}"
        version = self.platform._next_version(key)
        message = {"type": "item.upserted", "tenant_id": TENANT, "version": version, "item": item}
        self.log.append(f"hold back upsert {item['id']} v{version}")
        self.held.append(message)
        # the platform moves on: an even newer version of the same item goes out first
        newer = self._item(item["id"])
        self._send(
            self._do(f"upsert {item['id']}: {_brief(newer)}", lambda: self.platform.upsert(newer))
        )

    def release_held(self) -> None:
        """A held-back (now stale) message finally arrives: it must change nothing."""
        if self.held:
            message = self.held.pop(0)
            self._do(
                f"late delivery of {_describe(message)}", lambda: self.platform.republish(message)
            )

    # -- someone edits in Google Calendar (two-way sync puts it back) -------------------------
    def edit_in_google(self) -> None:
        """A person moves, retitles or deletes one of calsync's events, or adds a guest, in
        Google Calendar; under ``drift_policy: repair`` the settled calendars are unchanged."""
        from calsync.entrypoints.services import services

        store = services().store
        synced = [
            (key, mapping)
            for key in sorted(store.item_keys(TENANT))
            for _, mapping in sorted(store.mappings(TENANT, key).items())
            if mapping.state == "synced"
        ]
        if not synced:
            return self.upsert()
        key, mapping = self.rng.choice(synced)
        where, eid = mapping.calendar_id, mapping.event_id
        edits: dict[str, Callable[[], Any]] = {
            "moves": lambda: self.control.edit_move(
                where,
                eid,
                {"dateTime": at(30, "07:00", ZONE), "timeZone": ZONE},
                {"dateTime": at(30, "08:00", ZONE), "timeZone": ZONE},
            ),
            "retitles": lambda: self.control.edit_retitle(where, eid, "Renamed by hand"),
            "deletes": lambda: self.control.edit_delete(where, eid),
            "adds a guest to": lambda: self.control.edit_add_guest(
                where, eid, self.rng.choice(LEARNERS)
            ),
        }
        what = self.rng.choice(sorted(edits))
        try:
            self._do(f"someone {what} {key}/{mapping.part_key} in Google", edits[what])
        except Exception as exc:  # a deleted event, a guest already there
            self.log.append(f"  (Google refused the edit: {exc})")
        return None

    # -- settings ---------------------------------------------------------------------------
    def _settings(self, what: str, **changes: Any) -> None:
        self.platform.settings.update(changes)
        self._send(self._do(what, self.platform.publish_settings))

    def toggle_sync(self) -> None:
        """Sync off (changes wait) or back on (they are caught up)."""
        on = not self.platform.settings["sync_enabled"]
        self._settings(f"sync {'on' if on else 'off'}", sync_enabled=on)

    def toggle_guest_visibility(self) -> None:
        """The privacy setting that changes every rendered event."""
        value = not self.platform.settings.get("guests_can_see_other_guests", False)
        self._settings(f"guests_can_see_other_guests={value}", guests_can_see_other_guests=value)

    def toggle_mode(self) -> None:
        """Platform account <-> organizers' accounts."""
        value = not self.platform.settings["use_organizer_accounts"]
        self._settings(f"use_organizer_accounts={value}", use_organizer_accounts=value)

    # -- organizers ---------------------------------------------------------------------------
    def _oauth(self, organizer: str, path: str) -> None:
        base = self.stack.endpoints["functions"]["oauth_callback"]
        query = urlencode({"tenant": TENANT, "organizer": organizer})
        for _ in range(4):  # a person whose page says "try again" tries again
            method = "POST" if path == "disconnect" else "GET"
            reply = OrganizerBrowser(timeout=60).open(f"{base}{path}?{query}", method)
            if reply.status_code < 500:
                break
            time.sleep(1)
        if reply.status_code != 200:
            raise ExplorationFailed(
                f"{path} {organizer}: HTTP {reply.status_code} {reply.text[:200]}"
            )

    def connect(self, organizer: str | None = None) -> None:
        """An organizer connects (or reconnects) their Google account."""
        who = organizer or self.rng.choice(self._active_organizers())
        self._do(f"{who} connects", lambda: self._oauth(who, "connect"))
        self.platform.connected.add(who)
        self.revoked.discard(who)

    def disconnect(self) -> None:
        """An organizer disconnects; their items fall back to the platform account."""
        connected = sorted(self.platform.connected - self.revoked)
        if connected:
            who = self.rng.choice(connected)
            self._do(f"{who} disconnects", lambda: self._oauth(who, "disconnect"))
            self.platform.connected.discard(who)

    def revoke(self) -> None:
        """An organizer revokes calsync's access in their Google account."""
        connected = sorted(self.platform.connected - self.revoked)
        if not connected:
            return
        who = self.rng.choice(connected)
        from calsync.config import get_settings
        from calsync.organizers.grants import organizer_grants

        credentials = organizer_grants(get_settings()).credentials(TENANT, who)
        if credentials is None:
            return
        self._do(
            f"{who} revokes the grant in Google",
            lambda: self.control.revoke_grant(credentials.refresh_token),
        )
        self.control.expire_tokens()
        self.revoked.add(who)

    def suspend_and_sweep(self) -> None:
        """An organizer's account is suspended; the scheduled sweep hands their items over."""
        active = self._active_organizers()
        if len(active) < 2 or not self.platform.settings["use_organizer_accounts"]:
            return
        who = self.rng.choice(active)
        self._do(f"{who} is suspended", lambda: self.control.update_user(who, suspended=True))
        self.suspended.add(who)
        self.platform.connected.discard(who)
        self.revoked.discard(who)
        # what the sweeper will find: every live item the suspended person organizes
        for key, item in self.platform.items.items():
            if key not in self.platform.deleted and item["organizer_email"] == who:
                self.platform.successors[item["title"]] = _successor(item, self.suspended)
        self._settle_messages()
        self._do("the scheduled sweep runs", self._sweep)

    def _settle_messages(self) -> None:
        """Let messages already published reach calsync (the sweep reads recorded state)."""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            self.control.run_tasks(include_future=True)
            if not self._differences():
                return
            time.sleep(0.3)

    def _sweep(self) -> None:
        base = self.stack.endpoints["functions"]["orphan_sweeper"]
        reply = requests.post(
            base,
            timeout=120,
            headers={
                "X-CloudScheduler-JobName": "calsync-orphan-sweep",
                "X-CloudScheduler-ScheduleTime": f"model-{uuid.uuid4().hex}",
            },
        )
        if reply.status_code != 200:
            raise ExplorationFailed(f"sweep: HTTP {reply.status_code} {reply.text[:300]}")

    def crashed_worker_lease(self) -> None:
        """A worker took an item's lease and crashed: the item waits until the short lease
        expires, then the next delivery or task syncs it (nothing lost, nothing doubled)."""
        from calsync.entrypoints.services import services

        key = self.rng.choice(sorted(self.platform.items) or [f"event:{ITEMS[0]}"])
        seconds = round(self.rng.uniform(1.0, 4.0), 1)

        def take() -> None:
            try:
                services().store.acquire_lease(TENANT, key, "crashed-worker", seconds)
            except ValueError as exc:  # Firestore gave up on the transaction (lock timeout):
                # a worker that lost the race for the lease, so it holds nothing
                self.log.append(f"(the crashed worker did not get the lease: {exc})")

        self._do(f"a crashed worker holds {key}'s lease for {seconds}s", take)

    # -- Google's moods -------------------------------------------------------------------------
    def fault(self) -> None:
        """A short burst of 5xx, 429 or dropped connections."""
        kind = self.rng.choice(["503", "429", "drop"])
        method = self.rng.choice(["*", "calendar.events.insert", "calendar.events.patch"])
        if kind == "drop":
            what = lambda: self.control.inject_fault(method, action="drop", count=2)  # noqa: E731
        elif kind == "429":
            what = lambda: self.control.inject_fault(  # noqa: E731
                method, status=429, reason="rateLimitExceeded", count=3
            )
        else:
            what = lambda: self.control.inject_fault(method, status=503, count=3)  # noqa: E731
        self._do(f"fault {kind} x{2 if kind == 'drop' else 3} on {method}", what)

    def quota_that_lasts(self) -> None:
        """Google's anti-abuse limiter: writes fail with quotaExceeded until the faults end."""
        self.lasting_quota = True
        self._do(
            "quotaExceeded on every insert and patch until the next settle",
            lambda: [
                self.control.inject_fault(method, status=403, reason="quotaExceeded", count=6)
                for method in ("calendar.events.insert", "calendar.events.patch")
            ],
        )

    # -- settling and the invariants ---------------------------------------------------------
    def _final_touches(self) -> None:
        """Before checking: Google calms down, sync is on, revoked organizers reconnect."""
        self.control.clear_faults()
        self.lasting_quota = False
        if not self.platform.settings["sync_enabled"]:
            self._settings("sync on (before settling)", sync_enabled=True)
        for who in sorted(self.revoked):
            self.connect(who)

    def settle(self) -> None:
        """Let the system quiesce on the sandbox clock, then check the three invariants."""
        self.log.append("settle")
        self._final_touches()
        self._let_windows_close()
        deadline = time.monotonic() + self.settle_timeout
        stable = 0
        problems: list[str] = ["not checked yet"]
        while time.monotonic() < deadline:
            # delayed work (coalescing windows, quota deferrals, retries) runs now
            self.control.run_tasks(include_future=True)
            problems = self.problems()
            stable = stable + 1 if not problems else 0
            if stable >= 3:
                return
            time.sleep(0.5)
        raise ExplorationFailed(self.report(problems))

    def _let_windows_close(self) -> None:
        """Run only due tasks for one coalescing window and its margin before forcing the rest.

        Settling runs tasks before their time (as Cloud Tasks' RunTask does), which nothing in
        production does to a coalescing window's task. Forced at once, the task of the window an
        enrollment published just before the settle falls into could run before that message
        was recorded; the message then finds its window's task name taken and is never
        reconciled (seed 700065437: "erin@acme.com: unexpected 'Course ses_c'", an unenrollment
        published right before the settle)."""
        from calsync.entrypoints.enrollment_events import WINDOW_MARGIN_SECONDS

        until = time.monotonic() + self.stack.config.coalesce_seconds + WINDOW_MARGIN_SECONDS + 0.5
        while time.monotonic() < until:
            self.control.run_tasks()
            time.sleep(0.3)

    def problems(self) -> list[str]:
        """Every invariant violation visible now."""
        actual = self._excused(actual_calendars(self.control, PEOPLE))
        found = differences(self.platform.expected_calendars(), actual)
        found += self._owner_problems(actual)
        found += self._orphans(actual)
        found += self._result_problems(actual)
        renewals = self._renewals()
        if any(
            t["state"] in ("scheduled", "running", "retrying") and t["name"] not in renewals
            for t in self.control.tasks()
        ):
            found.append("tasks still pending")
        return found

    def _renewals(self) -> set[str]:
        """The watch channels' renewal tasks: each renewal schedules the next (days ahead),
        so they are never "done"; running them early only replaces channels."""
        from calsync.entrypoints.services import services
        from calsync.google.cloud_tasks import task_name

        svc = services()
        queue = svc.settings.tasks_queue
        return {
            f"{queue}/tasks/{task_name('renew_channel', c.id)}" for c in svc.store.channels(TENANT)
        }

    def _excused(self, actual: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
        """Calendars without the entries calsync cannot remove by design (``EXCEPTIONS``): a
        suspended organizer's own events, kept when a part was recreated under the platform
        account (no person to transfer them to). Nobody can act as a suspended account, so
        they stay, in the organizer's calendar and in every guest's, until an administrator
        deletes them. A Data Transfer moves them to its receiver, so an entry still organized
        by a suspended person is one of these (docs/testing.md)."""
        return {
            person: [e for e in events if e.get("organizer") not in self.suspended]
            for person, events in actual.items()
        }

    def _differences(self) -> list[str]:
        return differences(
            self.platform.expected_calendars(), actual_calendars(self.control, PEOPLE)
        )

    def _owner_problems(self, actual: dict[str, list[dict[str, Any]]]) -> list[str]:
        """Who owns each entry: organizer mode puts it with the connected organizer (or the
        sweeper's successor), everything else lives in the tenant's platform calendar."""
        organizer_mode = self.platform.settings["use_organizer_accounts"]
        items = {
            i["title"]: i for k, i in self.platform.items.items() if k not in self.platform.deleted
        }
        found = []
        for person, events in actual.items():
            for event in events:
                item = items.get(title_of(str(event.get("summary", ""))))
                if item is None:
                    continue
                owner = self.platform.successors.get(item["title"]) if organizer_mode else None
                if (
                    owner is None
                    and organizer_mode
                    and item["organizer_email"] in self.platform.connected
                ):
                    owner = item["organizer_email"]
                if owner == PLATFORM_OWNER:
                    owner = None
                holder = str(event.get("organizer", ""))
                in_platform = holder.endswith("@group.calendar.google.com")
                if (owner is None and not in_platform) or (owner is not None and holder != owner):
                    where = owner or "the platform calendar"
                    found.append(f"{person}: {event.get('summary')!r} is {holder}'s, not {where}'s")
        return found

    def _mappings(self) -> dict[tuple[str, str], tuple[str, str, str]]:
        """(calendar id, event id) -> (item key, part key, state) from Firestore."""
        from calsync.entrypoints.services import services

        store = services().store
        found = {}
        for key in store.item_keys(TENANT):
            for part_key, mapping in store.mappings(TENANT, key).items():
                found[(mapping.calendar_id, mapping.event_id)] = (key, part_key, mapping.state)
        return found

    def _live_events(self) -> list[tuple[str, str, dict[str, Any]]]:
        """Every live event in the sandbox, whoever owns it: (calendar id, event id, body)."""
        world = self.stack.sandbox.world
        with world.lock:
            return [
                (calendar_id, event_id, dict(record.data))
                for calendar_id, events in world.events.items()
                for event_id, record in events.items()
                if not record.cancelled
            ]

    def _orphans(self, actual: dict[str, list[dict[str, Any]]]) -> list[str]:
        """Invariant 2, and the privacy setting on every event calsync holds."""
        mapped = self._mappings()
        visible = bool(self.platform.settings.get("guests_can_see_other_guests", False))
        found = []
        for calendar_id, event_id, body in self._live_events():
            if calendar_id in self.suspended:
                continue  # an original left with a suspended organizer (``_excused``)
            if mapped.get((calendar_id, event_id), ("", "", ""))[2] != "synced":
                found.append(f"{body.get('summary')!r} ({event_id}) has no synced mapping")
            elif bool(body.get("guestsCanSeeOtherGuests", True)) != visible:
                found.append(
                    f"{body.get('summary')!r} ({event_id}) has guestsCanSeeOtherGuests="
                    f"{body.get('guestsCanSeeOtherGuests')}, the tenant says {visible}"
                )
        return found

    def _result_problems(self, actual: dict[str, list[dict[str, Any]]]) -> list[str]:
        latest: dict[tuple[str, str], dict[str, Any]] = {}
        for result in self.reader.drain():
            if result.get("tenant_id") != TENANT or not result.get("part_key"):
                continue
            if result.get("status") in ("drifted", "responded"):
                continue  # two-way sync's reports; a repair's own write reports the state
            item = result.get("item") or {}
            key = (f"{item.get('kind')}:{item.get('id')}", str(result["part_key"]))
            if key not in latest or str(result.get("at", "")) >= str(latest[key].get("at", "")):
                latest[key] = result
        # the event exists (in any calendar: one nobody attends is in no person's view)
        live_events = {event_id for _, event_id, _ in self._live_events()}
        found = []
        for item_key, item in self.platform.items.items():
            deleted = item_key in self.platform.deleted
            for part in item["parts"]:
                result = latest.get((item_key, part["key"]))
                if result is None:
                    found.append(f"{item_key}/{part['key']}: no result yet")
                    continue
                status = result["status"]
                if deleted and status != "deleted":
                    found.append(f"{item_key}/{part['key']}: deleted, last result {status}")
                elif not deleted and status not in ("synced", "needs_consent", "transferred"):
                    found.append(f"{item_key}/{part['key']}: last result {status}")
                elif not deleted and result.get("event_id") not in live_events:
                    found.append(
                        f"{item_key}/{part['key']}: last result names {result.get('event_id')}, "
                        "which nobody holds"
                    )
        return found

    def report(self, problems: list[str]) -> str:
        """What failed, and how to replay it."""
        steps = "\n".join(f"  {n:3d}. {s}" for n, s in enumerate(self.log, 1))
        shown = "\n".join(f"  - {p}" for p in problems[:40])
        return (
            f"the system did not settle into the model's state (seed {self.seed}).\n"
            f"Replay: CALSYNC_MODEL_SEED={self.seed} CALSYNC_MODEL_STEPS={self.played} "
            f"./run python -m pytest tests/system -k model -x\nProblems:\n{shown}\nSteps:\n{steps}"
        )


PLATFORM_OWNER = "platform"
"""The sweeper's successor when no host or fallback is left: the platform account."""


def _successor(item: dict[str, Any], suspended: set[str]) -> str:
    """The sweeper's choice: an active host of the item, else the platform account."""
    hosts = [*item.get("host_emails", [])]
    for part in item["parts"]:
        hosts += part.get("host_emails") or []
    for candidate in hosts:
        if candidate != item["organizer_email"] and candidate not in suspended:
            return str(candidate)
    return PLATFORM_OWNER


def _brief(item: dict[str, Any]) -> str:
    parts = ", ".join(f"{p['key']}@{p['start'][5:16]}" for p in item["parts"])
    return f"{title_of(item['title'])} by {item['organizer_email']} [{parts}]"


def _describe(message: dict[str, Any]) -> str:
    item = message.get("item") or {}
    return f"{message['type']} {item.get('id', '')} v{message.get('version')}".strip()


def dumps(messages: list[dict[str, Any]]) -> str:
    """Messages as JSON lines (for attaching to a failure)."""
    return "\n".join(json.dumps(m) for m in messages)
