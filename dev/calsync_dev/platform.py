"""A stand-in for the learning platform: keeps its own state and publishes messages.

The demo and the end-to-end tests drive calsync through it exactly as the
platform would: versioned ``item.upserted``/``item.deleted``/``settings.updated``
messages on ``platform-events``. It also knows, from its own state, what each
person's calendar should hold, so convergence can be checked independently of
calsync's internals.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["ExpectedEntry", "FakePlatform"]


@dataclass(frozen=True, order=True)
class ExpectedEntry:
    """One calendar entry a person should see."""

    start: datetime
    end: datetime
    title: str
    location: str


@dataclass
class FakePlatform:
    """The platform's view of tenants, items and enrollments."""

    project: str
    tenant_id: str
    settings: dict[str, Any]
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)
    versions: dict[str, int] = field(default_factory=dict)
    enrollments: dict[str, dict[str, str]] = field(default_factory=dict)
    connected: set[str] = field(default_factory=set)
    successors: dict[str, str] = field(default_factory=dict)  # item title -> who took it over
    _publisher: Any = None

    _pending: list[Any] = field(default_factory=list)

    def _publish(self, topic: str, message: dict[str, Any], wait: bool = True) -> None:
        if self._publisher is None:
            from google.cloud import pubsub_v1  # type: ignore[attr-defined]

            self._publisher = pubsub_v1.PublisherClient()
        path = self._publisher.topic_path(self.project, topic)
        future = self._publisher.publish(path, json.dumps(message).encode(), type=message["type"])
        if wait:
            future.result(30)
        else:
            self._pending.append(future)

    def flush(self) -> None:
        """Wait until every message published without waiting is accepted by Pub/Sub."""
        for future in self._pending:
            future.result(60)
        self._pending.clear()

    def _next_version(self, key: str) -> int:
        self.versions[key] = self.versions.get(key, 0) + 1
        return self.versions[key]

    def republish(self, message: dict[str, Any]) -> None:
        """Publish a message again, unchanged (a duplicate delivery)."""
        self._publish("platform-events", message)

    def publish_settings(self) -> dict[str, Any]:
        """Send the tenant's settings (the first message a tenant sends)."""
        message = {
            "type": "settings.updated",
            "tenant_id": self.tenant_id,
            "version": self._next_version("settings"),
            "settings": self.settings,
        }
        self._publish("platform-events", message)
        return message

    def upsert(self, item: dict[str, Any]) -> dict[str, Any]:
        """Create or change an item."""
        key = f"{item['kind']}:{item['id']}"
        self.items[key] = item
        self.deleted.discard(key)
        message = {
            "type": "item.upserted",
            "tenant_id": self.tenant_id,
            "version": self._next_version(key),
            "item": item,
        }
        self._publish("platform-events", message)
        return message

    def delete(self, kind: str, item_id: str) -> dict[str, Any]:
        """Delete an item."""
        key = f"{kind}:{item_id}"
        self.deleted.add(key)
        message = {
            "type": "item.deleted",
            "tenant_id": self.tenant_id,
            "version": self._next_version(key),
            "item": {"kind": kind, "id": item_id},
        }
        self._publish("platform-events", message)
        return message

    def enroll_async(self, kind: str, item_id: str, changes: dict[str, str]) -> dict[str, Any]:
        """Like ``enroll`` without waiting for Pub/Sub (call ``flush`` afterwards)."""
        return self.enroll(kind, item_id, changes, wait=False)

    def enroll(
        self, kind: str, item_id: str, changes: dict[str, str], wait: bool = True
    ) -> dict[str, Any]:
        """Publish one ``enrollment.changed`` with ``{email: status}`` changes."""
        key = f"{kind}:{item_id}"
        statuses = self.enrollments.setdefault(key, {})
        entries = []
        for email, status in changes.items():
            statuses[email] = status
            entries.append(
                {"email": email, "status": status, "version": self._next_version(f"{key}/{email}")}
            )
        message = {
            "type": "enrollment.changed",
            "tenant_id": self.tenant_id,
            "item": {"kind": kind, "id": item_id},
            "changes": entries,
        }
        self._publish("platform-enrollments", message, wait)
        return message

    def _holder(self, item: dict[str, Any]) -> list[str]:
        """Who attends as the organizer: the item's organizer; once a successor took a
        suspended organizer's item over, not them but the successor, in whose calendar the
        event lives (in organizer mode; the platform account attends nothing)."""
        successor = self.successors.get(item["title"])
        if successor is None:
            return [item["organizer_email"]]
        if successor == "platform" or not self.settings.get("use_organizer_accounts"):
            return []
        return [successor]

    def expected_calendars(self) -> dict[str, set[ExpectedEntry]]:
        """Who should see what: organizer, hosts and enrolled people of every live part."""
        calendars: dict[str, set[ExpectedEntry]] = {}
        for key, item in self.items.items():
            if key in self.deleted:
                continue
            for part in item["parts"]:
                hosts = part.get("host_emails", item.get("host_emails", []))
                location = part.get("location", item.get("location") or "")
                entry = ExpectedEntry(
                    datetime.fromisoformat(part["start"]),
                    datetime.fromisoformat(part["end"]),
                    item["title"],
                    location,
                )
                enrolled = {
                    email
                    for email, status in self.enrollments.get(key, {}).items()
                    if status == "enrolled"
                }
                organizer = self._holder(item)
                for person in {*organizer, *hosts, *enrolled}:
                    calendars.setdefault(person.lower(), set()).add(entry)
        return calendars
