"""The composition root: builds calsync's adapters once per process, on first use.

Function entry points call ``services()``; nothing is created at import time,
so a cold start imports only what the first request needs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from calsync.config import Settings, get_settings
from calsync.contracts import DriftField
from calsync.errors import ItemBusy
from calsync.google.api_gateway import install_pacer
from calsync.google.cloud_tasks import CloudTasksScheduler
from calsync.google.platform_accounts import PlatformAccounts
from calsync.google.results_topic import PubSubResults
from calsync.state.pacing import FirestorePacer
from calsync.state.store import FirestoreStore, firestore_client
from calsync.sync.calendar_changes import CalendarChanges, ManagedChange
from calsync.sync.drift import Drift
from calsync.sync.reconciler import Reconciler
from calsync.sync.responses import Responses
from calsync.sync.verification import Verification, recheck_later
from calsync.sync.watch_channels import ChannelKeeper

if TYPE_CHECKING:
    from calsync.organizers.gateways import GrantGateways

__all__ = ["Services", "reset_services", "services"]


@dataclass
class Services:
    """Every adapter a function may need, created lazily."""

    settings: Settings

    @property
    def store(self) -> FirestoreStore:
        """Firestore-backed state."""
        return _store(self.settings.project)

    @property
    def results(self) -> PubSubResults:
        """The results publisher."""
        return _results(self.settings.project, self.settings.results_topic)

    @property
    def tasks(self) -> CloudTasksScheduler:
        """The Cloud Tasks scheduler."""
        return _tasks(self.settings)

    @property
    def platform_gateway(self) -> PlatformAccounts:
        """Calendar gateways acting as the platform identities: ``platform_gateway()`` is the
        primary's, ``platform_gateway(email)`` a pool member's (one per identity and thread)."""
        return _platform_accounts(self.settings)

    @property
    def organizers(self) -> GrantGateways:
        """Organizers' gateways from their encrypted grants (organizer mode)."""
        return _organizers(self.settings)

    @property
    def channels(self) -> ChannelKeeper:
        """The watch channels of the calendars calsync writes to (two-way sync)."""
        return ChannelKeeper(
            self.store, self.tasks, self.platform_gateway, self.organizers, self.settings
        )

    @property
    def changes(self) -> CalendarChanges:
        """Reads watched calendars' changes back (two-way sync)."""
        return CalendarChanges(self.store, self.channels, self._on_change())

    @property
    def verification(self) -> Verification:
        """Checks items' future parts against Google (two-way sync's verification pass)."""
        return Verification(self.store, self.platform_gateway, self.organizers, self._on_change())

    def _on_change(self) -> Callable[[ManagedChange], list[DriftField]]:
        """What happens to each change of one of calsync's events found in Google."""
        drift = Drift(self.store, self.results, self.tasks)
        responses = Responses(self.store, self.results)
        tasks = self.tasks
        rechecking: set[tuple[str, str]] = set()

        def on_change(change: ManagedChange) -> list[DriftField]:
            responses.check(change)  # first: whatever the etag (see calsync.sync.responses)
            try:
                return drift.check(change)
            except ItemBusy:
                item = (change.tenant.tenant_id, change.item_key)
                if item not in rechecking:  # one recheck covers all of the item's parts
                    rechecking.add(item)
                    recheck_later(tasks, *item)
                return []

        return on_change

    @property
    def reconciler(self) -> Reconciler:
        """The sync core wired to these adapters."""
        return Reconciler(
            self.store,
            self.platform_gateway,
            self.results,
            self.tasks,
            self.organizers,
            lease_seconds=self.settings.lease_seconds,
            channels=self.channels,
        )


@cache
def _store(project: str) -> FirestoreStore:
    return FirestoreStore(firestore_client(project))


@cache
def _platform_accounts(settings: Settings) -> PlatformAccounts:
    return PlatformAccounts(settings)


@cache
def _results(project: str, topic: str) -> PubSubResults:
    return PubSubResults(project, topic)


@cache
def _tasks(settings: Settings) -> CloudTasksScheduler:
    return CloudTasksScheduler(settings)


@cache
def _organizers(settings: Settings) -> GrantGateways:
    from calsync.organizers.gateways import GrantGateways

    return GrantGateways(settings)


@cache
def services() -> Services:
    """The process's services (settings read from the environment once); installs the
    per-identity pacer of every Google call (``state.pacing``) unless it is turned off."""
    settings = get_settings()
    install_pacer(_pacer(settings))
    return Services(settings)


def _pacer(settings: Settings) -> FirestorePacer | None:
    if settings.pacing_calls_per_minute <= 0:
        return None
    return FirestorePacer(
        lambda: firestore_client(settings.project),
        settings.pacing_calls_per_minute,
        burst=settings.pacing_burst,
        block=settings.pacing_block,
        max_wait=settings.pacing_max_wait_seconds,
    )


def reset_services() -> None:
    """Forget every cached client and setting (tests change the environment)."""
    from calsync.config import reset_settings_cache
    from calsync.organizers.grants import organizer_grants
    from calsync.state.store import firestore_client

    for cached in (
        services,
        _store,
        _results,
        _tasks,
        _organizers,
        _platform_accounts,
        firestore_client,
    ):
        cached.cache_clear()
    organizer_grants.cache_clear()
    install_pacer(None)
    reset_settings_cache()
