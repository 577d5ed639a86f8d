"""The Google the conformance suite talks to: the sandbox (default) or a live test tenant.

    target = GoogleTarget.from_environment(sandbox_url)   # CALSYNC_LIVE_GOOGLE picks live
    cal = target.calendar(target.organizer)               # googleapiclient Calendar v3
    directory = target.admin("directory_v1", [USER_READONLY_SCOPE])

Only the real client libraries are used: googleapiclient with the discovery documents bundled in
the package (``static_discovery=True``) and google-auth's service-account credentials with
domain-wide delegation, exactly as calsync builds them.

Live credentials file (``CALSYNC_LIVE_GOOGLE=<path>``), for a dedicated test Workspace tenant:

    {"service_account_key": {...key file of a service account with domain-wide delegation...},
     "domain": "test.example.com", "admin": "admin@test.example.com",
     "organizer": "organizer@test.example.com", "guest": "guest@test.example.com",
     "external_guest": "someone@gmail.com", "room": "<a room's resource email>",
     "unauthorised_scope": "<a scope the tenant did not authorise for the client id>"}

The tests write only events with fresh random ids on the organizer's calendar and delete them
afterwards (:func:`GoogleTarget.cleanup`).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from dataclasses import dataclass, field
from typing import Any

import google.oauth2.service_account
from googleapiclient.discovery import build

__all__ = [
    "CALENDAR_SCOPE",
    "DATATRANSFER_SCOPE",
    "LIVE_ENVIRONMENT",
    "RESOURCE_READONLY_SCOPE",
    "USER_READONLY_SCOPE",
    "GoogleTarget",
    "new_event_id",
]

LIVE_ENVIRONMENT = "CALSYNC_LIVE_GOOGLE"
CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar"
USER_READONLY_SCOPE = "https://www.googleapis.com/auth/admin.directory.user.readonly"
RESOURCE_READONLY_SCOPE = (
    "https://www.googleapis.com/auth/admin.directory.resource.calendar.readonly"
)
DATATRANSFER_SCOPE = "https://www.googleapis.com/auth/admin.datatransfer"


def new_event_id() -> str:
    """A fresh base32hex event id (``[a-v0-9]``), so live runs never collide."""
    return "ct" + secrets.token_hex(12)


@dataclass
class GoogleTarget:
    """Who the suite acts as, and where Google is."""

    live: bool
    domain: str
    admin: str
    organizer: str
    guest: str
    external_guest: str
    room: str
    key: dict[str, str]
    base_url: str | None = None
    unauthorised_scope: str = "https://www.googleapis.com/auth/drive"
    created: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def live_from_file(cls, path: str) -> GoogleTarget:
        """The live tenant described by the credentials file at ``path``."""
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        return cls(
            live=True,
            domain=data["domain"],
            admin=data["admin"],
            organizer=data["organizer"],
            guest=data["guest"],
            external_guest=data["external_guest"],
            room=data.get("room", ""),
            key=data["service_account_key"],
            unauthorised_scope=data.get(
                "unauthorised_scope", "https://www.googleapis.com/auth/drive"
            ),
        )

    @staticmethod
    def live_path() -> str | None:
        """The live credentials file, if the operator set one."""
        return os.environ.get(LIVE_ENVIRONMENT) or None

    def credentials(self, subject: str, scopes: list[str]) -> Any:
        """Service-account credentials impersonating ``subject`` (domain-wide delegation)."""
        creds = google.oauth2.service_account.Credentials.from_service_account_info(
            self.key, scopes=scopes
        )
        return creds.with_subject(subject)

    def calendar(self, subject: str) -> Any:
        """Calendar v3 acting as ``subject``."""
        options = {"api_endpoint": self.base_url + "/calendar/v3/"} if self.base_url else None
        return build(
            "calendar",
            "v3",
            credentials=self.credentials(subject, [CALENDAR_SCOPE]),
            client_options=options,
            static_discovery=True,
        )

    def admin_api(self, version: str, scopes: list[str]) -> Any:
        """An Admin SDK API (``directory_v1``, ``datatransfer_v1``) acting as the admin."""
        options = {"api_endpoint": self.base_url + "/"} if self.base_url else None
        return build(
            "admin",
            version,
            credentials=self.credentials(self.admin, scopes),
            client_options=options,
            static_discovery=True,
        )

    def insert(self, body: dict[str, Any], **params: Any) -> dict[str, Any]:
        """Insert an event on the organizer's primary calendar; remembered for cleanup."""
        body = {"id": new_event_id(), **body}
        self.created.append((self.organizer, str(body["id"])))
        event: dict[str, Any] = (
            self.calendar(self.organizer)
            .events()
            .insert(calendarId="primary", body=body, **params)
            .execute()
        )
        return event

    def cleanup(self) -> None:
        """Delete every event the test inserted (already deleted ones are fine)."""
        for subject, event_id in self.created:
            with contextlib.suppress(Exception):  # best effort: gone, moved or never created
                self.calendar(subject).events().delete(
                    calendarId="primary", eventId=event_id, sendUpdates="none"
                ).execute()
        self.created.clear()
