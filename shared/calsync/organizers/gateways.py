"""Organizers' Calendar gateways for the sync core (organizer mode, DESIGN §2).

``GrantGateways`` implements ``calsync.sync.owners.OrganizerAccess`` on top of the
encrypted grants (``calsync.organizers.grants``): a Calendar gateway acting as the organizer,
built once per thread and grant, and ``needs_consent`` when Google says the grant
is dead. The grants (and with them the vault's ``cryptography``) are imported on first use:
a reconcile in platform-account mode never loads them.
"""

from __future__ import annotations

import threading
from typing import Any

from calsync.config import Settings
from calsync.google.calendar import CalendarGateway, build_calendar_gateway
from calsync.sync.owners import DELEGATED_GRANT, OrganizerGateway

__all__ = ["GrantGateways"]


class GrantGateways:
    """Organizers' gateways from their stored grants."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._local = threading.local()

    def _cache(self) -> dict[tuple[str, str, str], CalendarGateway]:
        cache: dict[tuple[str, str, str], CalendarGateway] | None = getattr(
            self._local, "gateways", None
        )
        if cache is None:
            cache = self._local.gateways = {}
        return cache

    def gateway(
        self, tenant_id: str, email: str, delegated_by: str | None = None
    ) -> OrganizerGateway | None:
        """A gateway acting as ``email`` and its grant id, or None if they are not connected.

        ``delegated_by`` (a tenant admin's email) allows falling back to the admin
        identity's domain-wide delegation for a user without a grant (sweeper successors).
        """
        from calsync.google.directory import delegated_credentials
        from calsync.organizers.grants import organizer_grants

        credentials: Any = organizer_grants(self._settings).credentials(tenant_id, email)
        leaving = credentials is not None and credentials.leaving
        if credentials is None:
            if not (delegated_by and self._settings.admin_credentials):
                return None
            credentials = delegated_credentials(self._settings, email)
            grant_id = DELEGATED_GRANT
        else:
            grant_id = credentials.grant_id
        key = (tenant_id, email, grant_id)
        cache = self._cache()
        if key not in cache:
            cache[key] = build_calendar_gateway(
                credentials,
                email,
                self._settings.google.calendar,
                self._settings.retry_deadline_seconds,
            )
        return OrganizerGateway(cache[key], grant_id, leaving)

    def needs_consent(self, tenant_id: str, email: str, reason: str, grant_id: str) -> None:
        """The organizer must connect again (their grant is revoked or expired)."""
        from calsync.organizers.grants import organizer_grants

        organizer_grants(self._settings).mark_needs_consent(
            tenant_id, email, reason, grant_id=grant_id or None
        )

    def grant_refused(self, tenant_id: str, email: str) -> bool:
        """True when Google refused the organizer's grant and they have not connected since."""
        from calsync.organizers.grants import organizer_grants

        return organizer_grants(self._settings).refused(tenant_id, email)
