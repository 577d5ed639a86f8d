"""Admin Data Transfer for the sweeper: one transfer per suspended person (DESIGN §6).

A sweep makes one ``DataTransfers`` per tenant (it remembers Directory users and the
receivers' calendars for that tenant only)::

    transfers = DataTransfers(store, settings)
    receivers = transfers.receivers(tenant, plan)       # {suspended person: receiver or None}
    transfers.start(tenant_id, directory, old_user, receiver)   # start once, follow a while
    if transfers.completed(tenant_id, directory, old_user, receiver):
        found = transfers.find_transferred(tenant_id, receiver, item_key, parts)
    transfers.forget_finished(tenant_id, report)        # once their items are all re-mapped

A transfer (Calendar application, ``RELEASE_RESOURCES``) moves ALL the person's
qualifying events to the receiver; its state is kept in Firestore
(``transfer_state``), so a sweep that stops follows it again next time. The calendars the
receiver owns are then read once (``calendarList.list`` and one ``events.list`` each;
one that answers 403 is skipped) and each part's event is found by its private extended
properties, or, since Google does not say they survive a transfer, by its event id or its
iCalUID (``<id>@google.com``, kept even when a transfer gives the event a new id).
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from calsync.config import Settings
from calsync.errors import PermanentGoogleError
from calsync.google.calendar import build_calendar_gateway
from calsync.google.directory import DirectoryGateway, delegated_credentials
from calsync.logs import get_logger
from calsync.records import PartMapping, TenantRecord
from calsync.state.store import FirestoreStore
from calsync.sweeper.report import SweepReport
from calsync.sweeper.successors import choose_receiver
from calsync.sync.rendering import ITEM_PROPERTY, PART_PROPERTY, TENANT_PROPERTY

__all__ = ["TRANSFER_WAIT_SECONDS", "DataTransfers"]

_LOG = get_logger(__name__)
TRANSFER_WAIT_SECONDS = 60.0
"""How long one sweep follows a Data Transfer before leaving it for the next sweep."""


class DataTransfers:
    """Starts and follows suspended people's Data Transfers for one tenant's sweep, and
    finds the transferred events in the receivers' calendars."""

    def __init__(self, store: FirestoreStore, settings: Settings) -> None:
        self._store = store
        self._settings = settings
        self._users: dict[str, dict[str, Any]] = {}
        """Directory users looked up during the current tenant's sweep (one users.get each)."""
        self._transferred: dict[str, _Index] = {}
        """Each receiver's calendars, indexed once per sweep."""

    def receivers(
        self, tenant: TenantRecord, plan: list[tuple[str, list[PartMapping], str]]
    ) -> dict[str, str | None]:
        """{suspended person: who receives their one Data Transfer (None: no transfer)}.

        A transfer already started keeps its receiver: that is where Google puts the events.
        """
        weights: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for _, parts, successor in plan:
            weights[parts[0].owner_email][successor] += len(parts)
        receivers: dict[str, str | None] = {}
        for old, per_successor in weights.items():
            state = self._store.transfer_state(tenant.tenant_id, _transfer_key(old))
            if state.get("to") and state.get("status") != "failed":
                receivers[old] = str(state["to"])
            else:
                fallback = tenant.settings.fallback_organizer_email
                receivers[old] = choose_receiver(per_successor, fallback)
        return receivers

    def forget_finished(self, tenant_id: str, report: SweepReport) -> None:
        """A transfer whose items were all re-mapped needs no record: a later suspension of
        the same person starts a fresh transfer instead of trusting an old completed one."""
        finished: dict[str, bool] = {}
        for action in report.actions:
            if action["tenant_id"] != tenant_id or action.get("method") != "transfer":
                continue
            old = str(action["from"])
            finished[old] = finished.get(old, True) and bool(action.get("remapped"))
        for old, done in finished.items():
            if done:
                self._store.delete_transfer_state(tenant_id, _transfer_key(old))

    def start(
        self, tenant_id: str, directory: DirectoryGateway, old_user: dict[str, Any], receiver: str
    ) -> None:
        """Start and follow one transfer; a failure is reported when its items are handed over."""
        try:
            self.completed(tenant_id, directory, old_user, receiver)
        except PermanentGoogleError as exc:
            _LOG.error("Data Transfer failed", extra={"fields": {"error": str(exc)}})

    def completed(
        self, tenant_id: str, directory: DirectoryGateway, old_user: dict[str, Any], receiver: str
    ) -> bool:
        """Start (once) and follow the person's transfer; True when Google says it completed."""
        key = _transfer_key(str(old_user.get("primaryEmail")))
        state = self._store.transfer_state(tenant_id, key)
        if state.get("status") == "completed":
            return True
        if not state.get("transfer_id") or state.get("status") == "failed":
            new_user = self._user(directory, receiver)
            started = directory.start_calendar_transfer(str(old_user["id"]), str(new_user["id"]))
            state = {"transfer_id": started["id"], "status": "inProgress", "to": receiver}
            self._store.save_transfer_state(tenant_id, key, state)
        deadline = time.monotonic() + TRANSFER_WAIT_SECONDS
        delay = 0.2
        while time.monotonic() < deadline:
            status = directory.transfer(state["transfer_id"]).get("overallTransferStatusCode")
            if status == "completed":
                self._store.save_transfer_state(tenant_id, key, {**state, "status": "completed"})
                self._transferred.pop(receiver, None)  # new events arrived: read them again
                return True
            if status == "failed":  # forget it: the next sweep starts a fresh transfer
                self._store.save_transfer_state(tenant_id, key, {"status": "failed"})
                raise PermanentGoogleError(500, "transferFailed", f"Data Transfer {key} failed")
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
        return False

    def _user(self, directory: DirectoryGateway, email: str) -> dict[str, Any]:
        """``directory.user(email)``, asked once per tenant sweep: a receiver who takes over
        from several suspended organizers costs one ``users.get``, not one per transfer."""
        if email not in self._users:
            self._users[email] = directory.user(email)
        return self._users[email]

    def find_transferred(
        self, tenant_id: str, receiver: str, item_key: str, parts: list[PartMapping]
    ) -> dict[str, tuple[str, str]]:
        """{part key: (calendar id, event id)} of the item's events in the receiver's calendars.

        A part is found by calsync's private extended properties if they survived the move,
        else by its event id or iCalUID in a calendar the receiver owns other than their
        primary one (where a former guest holds only their own copy, with the same id)."""
        index = self._transferred.get(receiver)
        if index is None:
            index = self._transferred[receiver] = self._index_calendars(tenant_id, receiver)
        found: dict[str, tuple[str, str]] = {}
        for mapping in parts:
            where = (
                index.by_property.get((item_key, mapping.part_key))
                or index.by_id.get(mapping.event_id)
                or index.by_ical_uid.get(f"{mapping.event_id}@google.com")
            )
            if where is not None:
                found[mapping.part_key] = where
        return found

    def _index_calendars(self, tenant_id: str, receiver: str) -> _Index:
        """The receiver's own calendars, read once per sweep: one ``calendarList.list`` and
        one ``events.list`` per calendar, whatever the number of items handed over. A
        calendar that answers 403 (or is gone) is skipped."""
        gateway = build_calendar_gateway(
            delegated_credentials(self._settings, receiver),
            receiver,
            self._settings.google.calendar,
            self._settings.retry_deadline_seconds,
        )
        index = _Index()
        # The receiver's primary calendar last: there the event is usually only their
        # copy as a former guest; the transferred event itself is in another calendar.
        calendars = sorted(gateway.owned_calendars(), key=lambda calendar: calendar[1])
        for calendar_id, primary in calendars:
            try:
                events = gateway.events(calendar_id)
            except PermanentGoogleError as exc:
                if exc.status not in (403, 404):
                    raise
                _LOG.warning(
                    "a calendar of the receiver cannot be read; skipped",
                    extra={"fields": {"calendar_id": calendar_id, "status": exc.status}},
                )
                continue
            for event in events:
                if event.get("status") != "cancelled":
                    index.add(tenant_id, calendar_id, event, by_identity=not primary)
        return index


@dataclass
class _Index:
    """Where calsync's events are in one receiver's calendars (the first place found wins)."""

    by_property: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    by_id: dict[str, tuple[str, str]] = field(default_factory=dict)
    by_ical_uid: dict[str, tuple[str, str]] = field(default_factory=dict)

    def add(
        self, tenant_id: str, calendar_id: str, event: dict[str, Any], by_identity: bool
    ) -> None:
        where = (calendar_id, str(event["id"]))
        private = event.get("extendedProperties", {}).get("private", {})
        if private.get(TENANT_PROPERTY) == tenant_id:
            key = (str(private.get(ITEM_PROPERTY)), str(private.get(PART_PROPERTY)))
            self.by_property.setdefault(key, where)
        if by_identity:
            self.by_id.setdefault(where[1], where)
            if event.get("iCalUID"):
                self.by_ical_uid.setdefault(str(event["iCalUID"]), where)


def _transfer_key(old: str) -> str:
    """The Firestore id of a suspended person's transfer record (one transfer per person)."""
    return old.replace("/", "_")
