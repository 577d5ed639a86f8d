"""The room catalog and availability, with the identity that may read them.

A tenant's rooms are read as its administrator (service account with domain-wide
delegation acting as ``admin_email``) when configured, else with the grant of a
connected organizer (whose consent includes the Calendar-resources read scope).
"""

from __future__ import annotations

from datetime import datetime

from calsync.config import Settings
from calsync.errors import ConfigurationError
from calsync.google.calendar import CalendarGateway, build_calendar_gateway
from calsync.google.directory import DirectoryGateway, admin_credentials, build_directory_gateway
from calsync.logs import get_logger
from calsync.records import TenantRecord, now
from calsync.rooms.availability import (
    CATALOG_MAX_AGE,
    Room,
    RoomQuery,
    free_rooms,
    room_from_directory,
)
from calsync.state.store import FirestoreStore

__all__ = ["NoRoomReader", "RoomCatalog"]

_LOG = get_logger(__name__)


class NoRoomReader(ConfigurationError):
    """Nobody calsync can act as may read this tenant's rooms."""


class RoomCatalog:
    """Rooms of a tenant: cached catalog, refresh, availability."""

    def __init__(self, store: FirestoreStore, settings: Settings) -> None:
        self._store = store
        self._settings = settings

    def _reader(
        self, tenant: TenantRecord, organizer: str | None
    ) -> tuple[DirectoryGateway, CalendarGateway]:
        admin = tenant.settings.admin_email
        if self._settings.admin_credentials and admin:
            credentials = admin_credentials(self._settings, admin)
        elif organizer:
            from calsync.organizers.grants import organizer_grants

            found = organizer_grants(self._settings).credentials(tenant.tenant_id, organizer)
            if found is None:
                raise NoRoomReader(f"{organizer} has not connected Google Calendar")
            credentials, admin = found, organizer
        else:
            raise NoRoomReader(
                "no identity may read rooms: configure the admin identity or pass a "
                "connected organizer"
            )
        directory = build_directory_gateway(credentials, admin, self._settings)
        calendar = build_calendar_gateway(
            credentials,
            admin,
            self._settings.google.calendar,
            self._settings.retry_deadline_seconds,
        )
        return directory, calendar

    def refresh(self, tenant: TenantRecord, organizer: str | None = None) -> list[Room]:
        """Read every room from the Directory and store the catalog."""
        directory, _ = self._reader(tenant, organizer)
        rooms = [room for r in directory.rooms() if (room := room_from_directory(r))]
        self._store.save_rooms(tenant.tenant_id, [room.model_dump() for room in rooms])
        _LOG.info(
            "room catalog refreshed",
            extra={"fields": {"tenant_id": tenant.tenant_id, "rooms": len(rooms)}},
        )
        return rooms

    def rooms(
        self, tenant: TenantRecord, organizer: str | None = None
    ) -> tuple[list[Room], datetime]:
        """The catalog, refreshed first when it is older than ``CATALOG_MAX_AGE``."""
        cached, refreshed = self._store.rooms(tenant.tenant_id)
        if refreshed is None or now() - refreshed > CATALOG_MAX_AGE:
            return self.refresh(tenant, organizer), now()
        return [Room.model_validate(room) for room in cached], refreshed

    def available(
        self, tenant: TenantRecord, query: RoomQuery, organizer: str | None = None
    ) -> tuple[list[Room], datetime]:
        """Rooms free for the whole query range (answered in one call for the platform)."""
        rooms, refreshed = self.rooms(tenant, organizer)
        _, calendar = self._reader(tenant, organizer)
        return free_rooms(calendar, rooms, query), refreshed
