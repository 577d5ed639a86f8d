"""The sandbox's in-memory world: people, credentials, calendars, events and the logs.

Everything lives in one :class:`World` guarded by one re-entrant lock; request handlers hold the
lock for the whole call, so every API call is atomic, like a single Google write::

    world = World()
    with world.lock:
        world.add_user("alice@acme.com")          # also creates her primary calendar
        cal = world.calendars["alice@acme.com"]

The records it holds are defined by concept in :mod:`.identities` (users, service accounts,
callers), :mod:`.credentials` (OAuth clients, grants, tokens) and :mod:`.calendars` (calendars,
events, rooms).

``reset()`` wipes all state (users, tokens, events, tasks, logs, faults) but keeps the lock.
"""

from __future__ import annotations

import hashlib
import itertools
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

from ..clock import SandboxClock
from .abuse import AbuseLimiter
from .calendars import AclRule, Calendar, EventRecord, Room
from .cloud_tasks import TaskState
from .credentials import AccessToken, AuthCode, ConsentRule, Grant, OAuthClient
from .faults import FaultBook
from .iam_policies import IamPolicies
from .identities import ServiceAccount, User
from .notification_log import NotificationLog
from .pending import PendingQueue
from .push_channels import PushState
from .request_log import RequestLog
from .strictness import Strictness

__all__ = ["Settings", "World"]


@dataclass
class Settings:
    """Tunables set through the control API."""

    token_lifetime: int = 3600
    meet_delay: float = 0.2
    """Seconds from a Meet create request to its success/failure."""
    meet_fails: bool = False
    """True: Meet creations started from now on end in ``failure``."""
    transfer_delay: float = 0.5
    """Seconds from ``transfers.insert`` to the transfer being done (``completed``)."""


class World:
    """All sandbox state behind one lock."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._counter = itertools.count(1)
        self._etag_base = int(time.time() * 1_000_000) * 1000
        self.tasks = TaskState()
        self.clock = SandboxClock()
        self.pending: PendingQueue[World] = PendingQueue()
        self.push = PushState(self.lock)
        """Watch channels and the notifications to POST (``calendar.watch``, ``push_delivery``)."""
        self._init_state()

    def reset(self) -> None:
        """Wipe every user, credential, calendar, event, task, fault and log entry."""
        with self.lock:
            self._init_state()

    def _init_state(self) -> None:
        self.domains: set[str] = set()
        self.users: dict[str, User] = {}
        self.service_accounts: dict[str, ServiceAccount] = {}
        self.clients: dict[str, OAuthClient] = {}
        self.grants: dict[str, Grant] = {}
        self.codes: dict[str, AuthCode] = {}
        self.consent: dict[str, ConsentRule] = {}
        self.tokens: dict[str, AccessToken] = {}
        self.calendars: dict[str, Calendar] = {}
        self.events: dict[str, dict[str, EventRecord]] = {}
        self.attendance: dict[str, set[tuple[str, str]]] = {}
        self.notifications = NotificationLog()
        self.requests = RequestLog()
        self.faults = FaultBook()
        self.settings = Settings()
        self.strictness = Strictness()
        self.abuse = AbuseLimiter()
        self.rooms: dict[str, Room] = {}
        self.transfers: dict[str, dict[str, Any]] = {}
        self.room_invites: dict[tuple[str, str, str], int] = {}
        """(calendar id, event id, room email) -> the current invitation's number."""
        self.subscriptions: dict[str, dict[str, str]] = {}
        """user -> calendars in their calendar list that they do not own: id -> accessRole
        (``reader`` or ``freeBusyReader``), seeded by the control call ``subscribe`` (access
        given outside the API, e.g. holiday calendars)."""
        self.acl: dict[str, dict[str, AclRule]] = {}
        """calendar id -> rule id -> rule (``acl.*``; the data owner's rule is implied)."""
        self.calendar_list_added: dict[str, list[str]] = {}
        """user -> calendars they added to their list with ``calendarList.insert``."""
        self.meet_request_ids: dict[tuple[str, str], set[str]] = {}
        """(calendar id, event id) -> every Meet createRequest requestId used on the event."""
        self.relocated: dict[tuple[str, str], str] = {}
        """(old calendar id, event id) -> calendar the event was moved to (Data Transfer)."""
        self.iam = IamPolicies()
        """Keys held for keyless service accounts, and token creators (``calsync_sandbox.iam``)."""
        self.epoch = secrets.token_hex(8)
        """Changes at every reset: sync tokens of an earlier world are 410 ``fullSyncRequired``."""
        self.push.clear()
        self.tasks.clear()
        self.clock.reset()
        self.pending.clear()

    def settle(self) -> None:
        """Run the asynchronous work that is due on the sandbox clock (call with the lock)."""
        self.pending.run_due(self, self.clock.time())

    # ---- counters -------------------------------------------------------------------------

    def next_seq(self) -> int:
        """A process-wide increasing number (orders events, makes etags)."""
        return next(self._counter)

    def new_etag(self) -> str:
        """A fresh quoted etag, different from every earlier one."""
        return f'"{self._etag_base + self.next_seq() * 1000}"'

    # ---- people ---------------------------------------------------------------------------

    def add_user(
        self,
        email: str,
        *,
        display_name: str | None = None,
        admin: bool = False,
        suspended: bool = False,
        email_verified: bool = True,
        hosted_domain: str | None = None,
    ) -> User:
        """Seed (or re-seed) a user and make sure their primary calendar exists."""
        key = email.lower()
        user = User(key, display_name or key.split("@")[0].title(), admin, suspended)
        user.email_verified = email_verified
        user.hosted_domain = hosted_domain
        if key in self.users:
            user.id = self.users[key].id
        self.users[key] = user
        self.ensure_primary_calendar(key)
        return user

    def active_user(self, email: str) -> User | None:
        """The user if seeded and not suspended."""
        user = self.users.get(email.lower())
        return user if user and not user.suspended else None

    def is_internal(self, email: str) -> bool:
        """True if the address is in a seeded domain (or is a seeded user)."""
        key = email.lower()
        return key in self.users or key.rpartition("@")[2] in self.domains

    def ensure_primary_calendar(self, email: str) -> Calendar:
        """The identity's primary calendar (id = email), created on first use."""
        key = email.lower()
        cal = self.calendars.get(key)
        if cal is None:
            cal = Calendar(key, key, key, primary=True, etag=self.new_etag())
            self.calendars[key] = cal
            self.events[key] = {}
        return cal

    def add_secondary_calendar(self, owner: str, summary: str, **extra: Any) -> Calendar:
        """Create a secondary calendar (``c_<hex>@group.calendar.google.com``) for ``owner``."""
        calendar = Calendar(
            id=f"c_{secrets.token_hex(26)}@group.calendar.google.com",
            owner=owner.lower(),
            summary=summary,
            primary=False,
            etag=self.new_etag(),
            **extra,
        )
        self.calendars[calendar.id] = calendar
        self.events[calendar.id] = {}
        return calendar

    def customer_id(self, email_or_domain: str) -> str | None:
        """The Workspace customer id of a seeded domain (one domain = one customer), else None."""
        domain = email_or_domain.lower().rpartition("@")[2]
        if domain not in self.domains:
            return None
        return "C0" + hashlib.sha256(domain.encode()).hexdigest()[:7]

    # ---- events ---------------------------------------------------------------------------

    def put_event(self, record: EventRecord) -> None:
        """Store an event, keep the attendee index in step, and queue an ``exists``
        notification for every live channel watching the organizer's calendar or a guest's
        (their calendars show the event too). Every write path (API, control, pending work)
        goes through here."""
        calendar_events = self.events.setdefault(record.calendar_id, {})
        old = calendar_events.get(record.id)
        if old is not None:
            for email in old.attendee_emails():
                self.attendance.get(email, set()).discard((old.calendar_id, old.id))
        record.change_seq = self.next_seq()
        calendar_events[record.id] = record
        for email in record.attendee_emails():
            self.attendance.setdefault(email, set()).add((record.calendar_id, record.id))
        touched = {record.calendar_id, *record.attendee_emails()}
        if old is not None:
            touched.update(old.attendee_emails())
        self.push.changed(touched, self.clock.time())

    def live_record(self, calendar_id: str, event_id: str) -> EventRecord | None:
        """The event stored as ``calendar_id/event_id``, following moves (Data Transfer)."""
        seen: set[str] = set()
        while calendar_id not in seen:
            seen.add(calendar_id)
            record = self.events.get(calendar_id, {}).get(event_id)
            moved_to = self.relocated.get((calendar_id, event_id))
            if moved_to is None:
                return record
            calendar_id = moved_to
        return None

    def drop_calendar(self, calendar_id: str) -> None:
        """Delete a calendar with all its events."""
        touched = {calendar_id}
        for record in self.events.pop(calendar_id, {}).values():
            for email in record.attendee_emails():
                self.attendance.get(email, set()).discard((calendar_id, record.id))
                touched.add(email)
        self.push.changed(touched, self.clock.time())
        self.calendars.pop(calendar_id, None)
        self.acl.pop(calendar_id, None)

    def invitations_for(self, email: str) -> list[EventRecord]:
        """Events on other people's calendars that list ``email`` as an attendee."""
        out = []
        for calendar_id, event_id in self.attendance.get(email.lower(), set()):
            record = self.events.get(calendar_id, {}).get(event_id)
            if record is not None and calendar_id != email.lower():
                out.append(record)
        return sorted(out, key=lambda r: r.order)
