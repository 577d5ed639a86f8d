"""Firestore adapter: tenants, desired item state, attendance, leases, part mappings, the
ledger, the sweeper's records and watch channels, one module per concern in ``calsync.state``.

Messages only record desired state, inside transactions with the version check (DESIGN §5);
the reconciler reads it back. The client is created lazily, once per process, so a function
that never touches Firestore never imports it.

    store = FirestoreStore(firestore_client(project))
"""

from __future__ import annotations

from calsync.state.attendance import ATTENDANCE_BATCH, AttendanceState, AttendanceTally
from calsync.state.drift_checks import DriftCheckState
from calsync.state.firestore_base import Decision, firestore_client
from calsync.state.identity_pool import IdentityPoolState
from calsync.state.items import Recorded
from calsync.state.leases import Fence
from calsync.state.ledger import LedgerState
from calsync.state.mappings import MappingState
from calsync.state.room_cache import RoomCatalogState
from calsync.state.sweeper_state import SweeperState
from calsync.state.tenants import TenantState
from calsync.state.watch_channels import WatchState

__all__ = [
    "ATTENDANCE_BATCH",
    "AttendanceTally",
    "Decision",
    "Fence",
    "FirestoreStore",
    "Recorded",
    "firestore_client",
]


class FirestoreStore(
    TenantState,
    AttendanceState,
    MappingState,
    SweeperState,
    RoomCatalogState,
    LedgerState,
    WatchState,
    DriftCheckState,
    IdentityPoolState,
):
    """Every concern's documents, behind one client (what ``Services.store`` hands out)."""
