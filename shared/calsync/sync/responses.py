"""Attendees' answers read back (two-way sync, issue 15, item 4).

Each managed change the incremental read hands on carries the event's attendees with their
``responseStatus``. ``Responses.check`` compares them with the answers last seen on that event
(``tenants/T/items/I/responses/{part}``) and publishes one ``responded`` result per attendee
whose answer changed, with ``email`` and ``response``, so the platform can show "accepted /
declined / no answer" next to each enrollment. The organizer's own entry is left out; an
attendee first seen still ``needsAction`` is not news. Rooms are compared with the part's
mapping instead, which the rooms follow-up keeps too (``calsync.sync.room_answers``: one report
per answer, whichever notices it first). Checked before drift and whatever the etag: an answer
followed by one of calsync's writes within the same window still shows::

    Responses(store, results).check(change)     # attendees' results, then rooms'
"""

from __future__ import annotations

from typing import Any, cast

from calsync.contracts import AttendeeResponse, ItemRef, Result, ResultStatus
from calsync.google.results_topic import ResultSink
from calsync.logs import get_logger
from calsync.records import now
from calsync.state.store import FirestoreStore
from calsync.sync.calendar_changes import ManagedChange
from calsync.sync.room_answers import RoomAnswers

__all__ = ["Responses", "answers"]

_LOG = get_logger(__name__)
_ANSWERS = ("accepted", "declined", "tentative", "needsAction")


def answers(event: dict[str, Any]) -> dict[str, str]:
    """email → ``responseStatus`` of the event's people (not rooms, not the organizer)."""
    return {
        str(a.get("email", "")).lower(): str(a.get("responseStatus", "needsAction"))
        for a in event.get("attendees", [])
        if not a.get("resource") and not a.get("organizer") and a.get("email")
    }


class Responses:
    """Publishes attendees' and rooms' changed answers."""

    def __init__(self, store: FirestoreStore, results: ResultSink) -> None:
        self._store = store
        self._results = results
        self._rooms = RoomAnswers(store, results)

    def check(self, change: ManagedChange) -> list[Result]:
        """Publish a ``responded`` result per changed answer of an attendee, then the rooms'
        new answers (``RoomAnswers.check``: ``ItemBusy`` while the item is busy); returns them.
        """
        if change.deleted:
            return []
        return self._attendees(change) + self._rooms.check(change)

    def _attendees(self, change: ManagedChange) -> list[Result]:
        """One ``responded`` result per attendee whose answer changed (published, recorded)."""
        mapping, tenant_id = change.mapping, change.tenant.tenant_id
        current = answers(change.event)
        known = self._store.known_responses(
            tenant_id, change.item_key, mapping.part_key, mapping.event_id
        )
        changed = {
            email: status
            for email, status in current.items()
            if status in _ANSWERS and status != known.get(email, "needsAction")
        }
        if current == known:
            return []
        results = [
            Result(
                tenant_id=tenant_id,
                item=ItemRef.from_key(change.item_key),
                part_key=mapping.part_key,
                status=ResultStatus.RESPONDED,
                calendar_id=mapping.calendar_id,
                event_id=mapping.event_id,
                email=email,
                response=cast("AttendeeResponse", status),
                at=now(),
            )
            for email, status in sorted(changed.items())
        ]
        if results:
            self._results.publish(results)
            _LOG.info(
                "attendees answered",
                extra={
                    "fields": {
                        "item": change.item_key,
                        "part_key": mapping.part_key,
                        "answers": len(results),
                    }
                },
            )
        self._store.save_responses(
            tenant_id, change.item_key, mapping.part_key, mapping.event_id, current
        )
        return results
