"""What the sweeper uses of the composition root: ``SweeperServices`` (a Protocol).

``calsync.entrypoints.services.Services`` satisfies it; the sweeper names it here so
that it need not import the entry points above it (docs/architecture.md, the layers).
``Sweeper(services)`` and ``HandOvers(services)`` read the settings, store, results
topic, task queue and reconciler through it.
"""

from __future__ import annotations

from typing import Protocol

from calsync.config import Settings
from calsync.google.cloud_tasks import CloudTasksScheduler
from calsync.google.results_topic import PubSubResults
from calsync.state.store import FirestoreStore
from calsync.sync.reconciler import Reconciler

__all__ = ["SweeperServices"]


class SweeperServices(Protocol):
    """What the sweeper uses of the composition root (``calsync.entrypoints.services``)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def store(self) -> FirestoreStore: ...

    @property
    def results(self) -> PubSubResults: ...

    @property
    def tasks(self) -> CloudTasksScheduler: ...

    @property
    def reconciler(self) -> Reconciler: ...
