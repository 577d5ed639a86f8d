"""Admin SDK adapters: Directory (rooms, users) and Data Transfer, with typed errors.

Reached as a tenant administrator: a service account with domain-wide
delegation acting as the tenant's ``admin_email``, signed for keylessly through IAM
Credentials (``CALSYNC_ADMIN_DELEGATION_ACCOUNT``, see ``keyless_delegation``) or, for local
use only, with its key (``CALSYNC_ADMIN_CREDENTIALS``).
Room listing may also use an organizer's own grant (their consent includes
``admin.directory.resource.calendar.readonly``). Built on google-api-python-client
with the bundled discovery documents; retries and error classes as for Calendar.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from calsync.config import Settings
from calsync.errors import ConfigurationError
from calsync.google.calendar import CalendarGateway
from calsync.google.keyless_delegation import delegation_credentials

if TYPE_CHECKING:
    from google.auth.credentials import Credentials

__all__ = [
    "ADMIN_SCOPES",
    "DirectoryGateway",
    "admin_credentials",
    "build_directory_gateway",
    "delegated_credentials",
]

ADMIN_SCOPES = [
    "https://www.googleapis.com/auth/admin.directory.resource.calendar.readonly",
    "https://www.googleapis.com/auth/admin.directory.user.readonly",
    "https://www.googleapis.com/auth/admin.datatransfer",
    "https://www.googleapis.com/auth/calendar",
]
"""What the admin identity's domain-wide delegation must allow (docs/deployment.md)."""
_PAGE_SIZE = 500


def admin_credentials(settings: Settings, admin_email: str) -> Credentials:
    """Service-account credentials acting as the tenant's administrator."""
    if not settings.admin_delegation_account and not settings.admin_credentials:
        raise ConfigurationError(
            "CALSYNC_ADMIN_DELEGATION_ACCOUNT (or, locally, CALSYNC_ADMIN_CREDENTIALS) is not "
            "set: no administrator identity for the Admin SDK"
        )
    if not admin_email:
        raise ConfigurationError("the tenant has no admin_email in its settings")
    return _delegated(settings, admin_email, ADMIN_SCOPES)


def delegated_credentials(settings: Settings, email: str) -> Credentials:
    """The admin identity acting as ``email`` for Calendar (domain-wide delegation)."""
    return _delegated(settings, email, ["https://www.googleapis.com/auth/calendar"])


def _delegated(settings: Settings, subject: str, scopes: list[str]) -> Credentials:
    """Keyless (signed by IAM Credentials) when the account is named, else the local key."""
    if settings.admin_delegation_account:
        return delegation_credentials(
            settings, settings.admin_delegation_account, subject=subject, scopes=scopes
        )
    from google.oauth2 import service_account

    info = {**json.loads(settings.admin_credentials), "token_uri": settings.google.token_uri}
    credentials: Credentials = service_account.Credentials.from_service_account_info(
        info, scopes=scopes, subject=subject
    )
    return credentials


class DirectoryGateway(CalendarGateway):
    """Directory and Data Transfer calls (same retry and error handling as Calendar)."""

    def __init__(self, directory: Any, transfer: Any, identity: str, retry_deadline: float) -> None:
        super().__init__(lambda: directory, identity, retry_deadline)
        self._directory = directory
        self._transfer = transfer

    def rooms(self) -> Iterator[dict[str, Any]]:
        """Every calendar resource (room) of the customer, page by page."""
        return self._pages(
            "resources.calendars.list",
            self._directory.resources().calendars().list,
            "items",
            customer="my_customer",
            maxResults=_PAGE_SIZE,
        )

    def suspended_users(self, domain: str) -> Iterator[dict[str, Any]]:
        """Suspended users of ``domain`` (one Directory call per page of them)."""
        return self._pages(
            "users.list",
            self._directory.users().list,
            "users",
            domain=domain,
            query="isSuspended=true",
            maxResults=_PAGE_SIZE,
        )

    def user(self, email: str) -> dict[str, Any]:
        """One user (``suspended``, ``id``, ``isAdmin``…)."""
        found: dict[str, Any] = self._call(
            "users.get", lambda: self._directory.users().get(userKey=email)
        )
        return found

    def start_calendar_transfer(self, old_owner_id: str, new_owner_id: str) -> dict[str, Any]:
        """Ask Data Transfer to move the old owner's future calendar events (and release rooms)."""
        body = {
            "oldOwnerUserId": old_owner_id,
            "newOwnerUserId": new_owner_id,
            "applicationDataTransfers": [
                {
                    "applicationId": CALENDAR_APPLICATION_ID,
                    "applicationTransferParams": [{"key": "RELEASE_RESOURCES", "value": ["TRUE"]}],
                }
            ],
        }
        transfer: dict[str, Any] = self._call(
            "transfers.insert", lambda: self._transfer.transfers().insert(body=body)
        )
        return transfer

    def transfer(self, transfer_id: str) -> dict[str, Any]:
        """A transfer's state (``overallTransferStatusCode``)."""
        found: dict[str, Any] = self._call(
            "transfers.get", lambda: self._transfer.transfers().get(dataTransferId=transfer_id)
        )
        return found


CALENDAR_APPLICATION_ID = "435070579839"
"""The Calendar application in the Data Transfer API."""


def build_directory_gateway(
    credentials: Credentials, identity: str, settings: Settings
) -> DirectoryGateway:
    """Directory + Data Transfer clients from the bundled discovery documents."""
    import google_auth_httplib2
    import httplib2
    from googleapiclient.discovery import build

    def client(name: str, version: str, endpoint: str) -> Any:
        http = google_auth_httplib2.AuthorizedHttp(credentials, http=httplib2.Http(timeout=30))
        return build(
            name,
            version,
            http=http,
            client_options={"api_endpoint": endpoint},
            static_discovery=True,
            cache_discovery=False,
        )

    return DirectoryGateway(
        client("admin", "directory_v1", settings.google.directory),
        client("admin", "datatransfer_v1", settings.google.datatransfer),
        identity,
        settings.retry_deadline_seconds,
    )
