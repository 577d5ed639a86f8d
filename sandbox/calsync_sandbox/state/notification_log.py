"""Log of the emails the sandbox would have sent (the control API reads it).

log.add("bob@acme.com", "invitation", calendar_id="alice@acme.com", event_id="evt00001",
        summary="Kickoff", actor="alice@acme.com")
log.counts()      # {"bob@acme.com": {"invitation": 1}}

What an event change sends is decided by
:func:`calsync_sandbox.calendar.notifications.plan_notifications`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..clock import rfc3339, utcnow

__all__ = ["Notification", "NotificationLog"]


@dataclass(frozen=True)
class Notification:
    """One email Google would have sent."""

    seq: int
    time: str
    recipient: str
    kind: str
    calendar_id: str
    event_id: str
    summary: str
    actor: str


class NotificationLog:
    """Append-only log of would-be emails."""

    def __init__(self) -> None:
        self.entries: list[Notification] = []

    def add(
        self,
        recipient: str,
        kind: str,
        *,
        calendar_id: str,
        event_id: str,
        summary: str,
        actor: str,
    ) -> None:
        """Record one email."""
        self.entries.append(
            Notification(
                len(self.entries) + 1,
                rfc3339(utcnow()),
                recipient,
                kind,
                calendar_id,
                event_id,
                summary,
                actor,
            )
        )

    def as_dicts(self, recipient: str | None = None) -> list[dict[str, Any]]:
        """All entries (optionally for one recipient) as JSON-ready dicts."""
        who = recipient.lower() if recipient else None
        return [asdict(n) for n in self.entries if who is None or n.recipient == who]

    def counts(self) -> dict[str, dict[str, int]]:
        """``{recipient: {kind: count}}``."""
        out: dict[str, dict[str, int]] = {}
        for n in self.entries:
            per = out.setdefault(n.recipient, {})
            per[n.kind] = per.get(n.kind, 0) + 1
        return out
