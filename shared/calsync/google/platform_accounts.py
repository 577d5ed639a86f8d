"""The platform identities' Calendar gateways, one per identity and thread.

    accounts = PlatformAccounts(settings)
    accounts()                         # the primary identity's gateway
    accounts("calsync2@platform.x")    # a pool member's (``CALSYNC_PLATFORM_POOL``)
    accounts.pool                      # every identity, the primary first
    accounts.calendars_per_day         # each identity's calendar budget
    accounts.rotate(["a@x", "b@x"])    # whose turn it is to write

Callable like the single gateway factory it replaces, so code that only needs the primary
identity keeps calling ``platform_gateway()``.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Sequence
from functools import cached_property

from calsync.config import Settings
from calsync.google.calendar import CalendarGateway, build_calendar_gateway
from calsync.google.platform_identity import platform_identity, pool_identities

__all__ = ["PlatformAccounts"]


class PlatformAccounts:
    """Gateways acting as each platform identity (built on first use, one per thread)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._local = threading.local()
        self._turns = itertools.count()

    @cached_property
    def pool(self) -> tuple[str, ...]:
        """Every platform identity's email, the primary first."""
        return pool_identities(self._settings)

    @property
    def calendars_per_day(self) -> int:
        """Tenant calendars one identity may create in 24 hours."""
        return self._settings.calendars_per_identity_per_day

    def rotate(self, identities: Sequence[str]) -> str:
        """The next of ``identities`` in this process's turn (round robin over every call):
        a tenant's reconciles spread evenly over the identities that may write for it."""
        return identities[next(self._turns) % len(identities)]

    def __call__(self, identity: str | None = None) -> CalendarGateway:
        """The gateway acting as ``identity`` (None or empty: the primary)."""
        key = (identity or "").lower()
        if key == self.pool[0]:
            key = ""
        cache: dict[str, CalendarGateway] = self._local.__dict__.setdefault("gateways", {})
        gateway = cache.get(key)
        if gateway is None:
            account = platform_identity(self._settings, key)
            gateway = build_calendar_gateway(
                account.credentials,
                account.email,
                self._settings.google.calendar,
                self._settings.retry_deadline_seconds,
            )
            cache[key] = gateway
        return gateway
