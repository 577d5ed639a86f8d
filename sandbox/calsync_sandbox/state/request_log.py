"""Log and counters of the API requests the sandbox answered.

log.add("calendar.events.insert", "POST", "/calendar/v3/...", "alice@acme.com", 200)
log.counts()      # {"calendar.events.insert": 1}
log.writes()      # 1  (insert/patch/update/delete/move calls)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..clock import rfc3339, utcnow

__all__ = ["WRITE_VERBS", "RequestLog", "RequestRecord"]

# Method-id verbs that change data; "writes" counts these (calendars.insert is an insert too).
WRITE_VERBS = ("insert", "patch", "update", "delete", "move", "import", "quickAdd")


@dataclass(frozen=True)
class RequestRecord:
    """One answered request."""

    seq: int
    time: str
    method_id: str
    http_method: str
    path: str
    user: str | None
    status: int


class RequestLog:
    """Append-only request log."""

    def __init__(self) -> None:
        self.entries: list[RequestRecord] = []

    def add(
        self, method_id: str, http_method: str, path: str, user: str | None, status: int
    ) -> None:
        """Record one request and the status it was answered with."""
        self.entries.append(
            RequestRecord(
                len(self.entries) + 1,
                rfc3339(utcnow()),
                method_id,
                http_method,
                path,
                user,
                status,
            )
        )

    def as_dicts(
        self, method_id: str | None = None, user: str | None = None
    ) -> list[dict[str, Any]]:
        """Entries as JSON-ready dicts, optionally filtered."""
        return [
            asdict(r)
            for r in self.entries
            if (method_id is None or r.method_id == method_id) and (user is None or r.user == user)
        ]

    def counts(self) -> dict[str, int]:
        """``{method_id: number of requests}``."""
        out: dict[str, int] = {}
        for r in self.entries:
            out[r.method_id] = out.get(r.method_id, 0) + 1
        return out

    def writes(self) -> int:
        """Number of Calendar write calls (whatever their outcome)."""
        return sum(
            1
            for r in self.entries
            if r.method_id.startswith("calendar.") and r.method_id.rsplit(".", 1)[1] in WRITE_VERBS
        )
