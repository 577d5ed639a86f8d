"""Helpers shared by the sandbox tests (bodies, error parsing, a task receiver)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from googleapiclient.discovery import build
from werkzeug.serving import WSGIRequestHandler

from calsync_dev.dates import at

CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar"
USER_READONLY_SCOPE = "https://www.googleapis.com/auth/admin.directory.user.readonly"
RESOURCE_READONLY_SCOPE = (
    "https://www.googleapis.com/auth/admin.directory.resource.calendar.readonly"
)
DATATRANSFER_SCOPE = "https://www.googleapis.com/auth/admin.datatransfer"
ADMIN_SCOPES = [USER_READONLY_SCOPE, RESOURCE_READONLY_SCOPE, DATATRANSFER_SCOPE]
NEW_YORK = "America/New_York"


class QuietHandler(WSGIRequestHandler):
    """A werkzeug request handler that does not print a line per request."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Stay quiet."""


def build_calendar(base_url: str, credentials: Any) -> Any:
    """googleapiclient Calendar v3 against the sandbox, exactly as calsync builds it."""
    return build(
        "calendar",
        "v3",
        credentials=credentials,
        client_options={"api_endpoint": base_url + "/calendar/v3/"},
        static_discovery=True,
    )


def build_admin(base_url: str, version: str, credentials: Any) -> Any:
    """googleapiclient Admin SDK (``directory_v1`` or ``datatransfer_v1``) against the sandbox."""
    return build(
        "admin",
        version,
        credentials=credentials,
        client_options={"api_endpoint": base_url + "/"},
        static_discovery=True,
    )


def slot(n: int, start_hour: int, end_hour: int, **extra: Any) -> dict[str, Any]:
    """An event body on upcoming day ``n`` from ``start_hour`` to ``end_hour`` UTC."""
    body: dict[str, Any] = {
        "summary": f"Session {n}/{start_hour}",
        "start": {"dateTime": at(n, f"{start_hour:02d}:00")},
        "end": {"dateTime": at(n, f"{end_hour:02d}:00")},
    }
    body.update(extra)
    return body


def timed_event(summary: str = "Intro to Python", **extra: Any) -> dict[str, Any]:
    """An event body with a one-hour slot."""
    body: dict[str, Any] = {
        "summary": summary,
        "start": {"dateTime": at(1, "10:00", NEW_YORK), "timeZone": NEW_YORK},
        "end": {"dateTime": at(1, "11:00", NEW_YORK), "timeZone": NEW_YORK},
    }
    body.update(extra)
    return body


def error_reason(exc: Any) -> str:
    """The machine reason of a googleapiclient HttpError."""
    return str(json.loads(exc.content)["error"]["errors"][0]["reason"])


@dataclass
class Receiver:
    """A local HTTP endpoint that records what Cloud Tasks delivers to it."""

    url: str
    statuses: list[int] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Block until ``count`` deliveries arrived (or time out) and return them."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            self.arrived.wait(0.02)
            self.arrived.clear()
        return list(self.received)
