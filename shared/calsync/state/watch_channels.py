"""Watch channels and watched calendars: which Calendar push channels calsync has open, and
where each watched calendar's incremental sync stands.

    watch_channels/{channel id}                 WatchChannel (found from X-Goog-Channel-ID)
    tenants/{tenant}/watched/{calendar hash}    WatchedCalendar (current channel, sync token)
    tenants/{tenant}/items/{item}/responses/{part}   attendees' last answers seen in Google

A channel's token is kept only as its SHA-256; channel documents outlive their channels
(``replaced``, ``stopped``) so a late notification of an old channel is recognised as stale.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from datetime import datetime
from typing import TYPE_CHECKING, cast

from calsync.records import WatchChannel, WatchedCalendar, now
from calsync.state.firestore_base import FirestoreState, as_document

if TYPE_CHECKING:
    from google.cloud import firestore


__all__ = ["WatchState", "calendar_key"]

_CHANNEL_ID = re.compile(r"[A-Za-z0-9\-_+=]{1,64}")
"""Channel ids Google accepts (facts §8.1; ``/`` left out: not a Firestore document id)."""


def calendar_key(calendar_id: str) -> str:
    """The document id of a watched calendar (calendar ids may hold any character)."""
    return hashlib.sha256(calendar_id.encode()).hexdigest()[:40]


class WatchState(FirestoreState):
    """Watch channel and watched calendar documents."""

    def _watched(self, tenant_id: str, calendar_id: str) -> firestore.DocumentReference:
        return cast(
            "firestore.DocumentReference",
            self._tenant(tenant_id).collection("watched").document(calendar_key(calendar_id)),
        )

    def _channel(self, channel_id: str) -> firestore.DocumentReference:
        return self._db.collection("watch_channels").document(channel_id)

    def watched(self, tenant_id: str, calendar_id: str) -> WatchedCalendar | None:
        """The calendar's watch record, if calsync watches it.

        A record holding only a sync token (what ``save_sync_token`` left before it stopped
        writing into unwatched calendars' records) is no watch: None, and the next write to
        the calendar records its channel over it.
        """
        snapshot = self._watched(tenant_id, calendar_id).get()
        data = snapshot.to_dict() if snapshot.exists else None
        if not data or "calendar_id" not in data:
            return None
        return WatchedCalendar.model_validate(data)

    def watched_calendars(self, tenant_id: str) -> list[WatchedCalendar]:
        """Every calendar the tenant's sync watches."""
        records = (
            s.to_dict() or {} for s in self._tenant(tenant_id).collection("watched").stream()
        )
        return [WatchedCalendar.model_validate(r) for r in records if "calendar_id" in r]

    def channel(self, channel_id: str) -> WatchChannel | None:
        """The channel named ``channel_id`` (any state), or None if calsync never opened it."""
        return self.channel_as_of(channel_id)[0]

    def channel_as_of(self, channel_id: str) -> tuple[WatchChannel | None, datetime]:
        """The channel (as ``channel``) and Firestore's time of the read (server clock)."""
        if not _CHANNEL_ID.fullmatch(channel_id):
            return None, now()
        snapshot = self._channel(channel_id).get()
        read_time = snapshot.read_time or now()
        found = WatchChannel.model_validate(snapshot.to_dict()) if snapshot.exists else None
        return found, read_time

    def save_channel(self, channel: WatchChannel) -> None:
        """Remember a channel (before asking Google for it: its ``sync`` message may come
        before Google's answer, and must find it)."""
        self._channel(channel.id).set(as_document(channel))

    def channels(self, tenant_id: str) -> list[WatchChannel]:
        """Every channel the tenant's sync ever opened (any state)."""
        from google.cloud.firestore_v1.base_query import FieldFilter

        query = self._db.collection("watch_channels").where(
            filter=FieldFilter("tenant_id", "==", tenant_id)
        )
        return [WatchChannel.model_validate(s.to_dict()) for s in query.stream()]

    def record_channel(self, channel: WatchChannel, watched: WatchedCalendar) -> str:
        """Remember a channel just opened as the calendar's current one; the one it replaces
        (if any) is marked ``replaced`` in the same batch. Returns the calendar's sync token
        (empty: its changes were never read)."""
        batch = self._db.batch()
        previous = self.watched(channel.tenant_id, channel.calendar_id)
        if previous is not None and previous.channel_id and previous.channel_id != channel.id:
            batch.set(self._channel(previous.channel_id), {"state": "replaced"}, merge=True)
        batch.set(self._channel(channel.id), as_document(channel))
        token = previous.sync_token if previous else watched.sync_token
        batch.set(
            self._watched(channel.tenant_id, channel.calendar_id),
            as_document(
                watched.model_copy(
                    update={
                        "channel_id": channel.id,
                        "expires_at": channel.expires_at,
                        "sync_token": token,
                        "updated_at": now(),
                    }
                )
            ),
        )
        batch.commit()
        return token

    def mark_channel(self, channel_id: str, state: str) -> None:
        """Set a channel's state (``stopped``, ``replaced``)."""
        self._channel(channel_id).set({"state": state}, merge=True)

    def unwatch(self, tenant_id: str, calendar_id: str) -> None:
        """Forget a calendar's watch record (its channel is stopped by the caller)."""
        self._watched(tenant_id, calendar_id).delete()

    def save_sync_token(self, tenant_id: str, calendar_id: str, token: str) -> None:
        """Remember where the calendar's incremental sync stands (empty: list in full next),
        if calsync still watches it.

        An update, never a merge: a read that ends after the calendar was unwatched (its
        organizer disconnected meanwhile) would otherwise create a record holding nothing but
        the token, which no reconcile could read any more (found by the model-based test).
        """
        from google.api_core.exceptions import NotFound

        # unwatched meanwhile (NotFound): the next watch lists the calendar in full
        with contextlib.suppress(NotFound):
            self._watched(tenant_id, calendar_id).update({"sync_token": token, "updated_at": now()})

    def known_responses(
        self, tenant_id: str, item_key: str, part_key: str, event_id: str
    ) -> dict[str, str]:
        """Attendees' answers last seen on the part's event ``event_id`` (email → status)."""
        snapshot = self._responses(tenant_id, item_key, part_key).get()
        data = snapshot.to_dict() if snapshot.exists else None
        if not data or data.get("event_id") != event_id:
            return {}
        return {str(k): str(v) for k, v in (data.get("responses") or {}).items()}

    def save_responses(
        self, tenant_id: str, item_key: str, part_key: str, event_id: str, responses: dict[str, str]
    ) -> None:
        """Remember the answers seen on the part's event."""
        self._responses(tenant_id, item_key, part_key).set(
            {"event_id": event_id, "responses": responses, "updated_at": now()}
        )

    def _responses(
        self, tenant_id: str, item_key: str, part_key: str
    ) -> firestore.DocumentReference:
        return cast(
            "firestore.DocumentReference",
            self._item(tenant_id, item_key).collection("responses").document(part_key),
        )
