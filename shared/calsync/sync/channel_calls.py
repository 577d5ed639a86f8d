"""One watch channel at Google (issue 15, two-way sync): opened and recorded, stopped.

``open`` records the channel (its own id, a UUID; its secret token only as a SHA-256,
``token_digest``, never logged) before asking Google (``events.watch`` with ``params.ttl``)
so that the sync message Google sends at once finds it; then makes it the calendar's current
channel and schedules its renewal, a named Cloud Task (``renew_channel``, named after the
channel) due a quarter of its lifetime (at most a day, ``renew_at``) before it ends, since
Google renews nothing (facts §8.1). A calendar watched afresh is also read once at once
(``calendar_changed``). ``stop`` stops a channel with its creator's gateway
(``channels.stop`` accepts no one else) and marks it stopped. Which calendars are watched,
and when, is ``calsync.sync.watch_channels``::

    channels = ChannelCalls(store, tasks, settings)
    channel = channels.open(tenant_id, owner)
    channels.stop(channel, owner)             # owner None: only marked stopped
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from calsync.config import Settings
from calsync.errors import InvalidGrant, NotFound, PermanentGoogleError
from calsync.google.calendar import CalendarGateway
from calsync.google.cloud_tasks import TaskScheduler, task_name
from calsync.logs import get_logger
from calsync.records import WatchChannel, WatchedCalendar, now
from calsync.state.store import FirestoreStore
from calsync.sync.owners import Owner

__all__ = ["ChannelCalls", "renew_at", "token_digest"]

_LOG = get_logger(__name__)
MAX_RENEW_MARGIN = timedelta(days=1)


def token_digest(token: str) -> str:
    """The SHA-256 (hex) under which a channel's token is kept and compared."""
    return hashlib.sha256(token.encode()).hexdigest()


def renew_at(created: datetime, expires: datetime) -> datetime:
    """When to renew a channel: a quarter of its lifetime, at most a day, before it ends."""
    return expires - min((expires - created) / 4, MAX_RENEW_MARGIN)


class ChannelCalls:
    """Opens and stops single watch channels, keeping their records in step."""

    def __init__(
        self, store: FirestoreStore, tasks: TaskScheduler | None, settings: Settings
    ) -> None:
        self._store = store
        self._tasks = tasks
        self._address = settings.watch_url
        self._ttl = settings.watch_ttl_seconds

    def open(self, tenant_id: str, owner: Owner) -> WatchChannel:
        """Open a channel on ``owner``'s calendar (``events.watch``), record it as the
        calendar's current one, and schedule its renewal (and, for a calendar watched afresh,
        its first read)."""
        channel_id = uuid.uuid4().hex
        token = secrets.token_urlsafe(32)
        created = now()
        channel = WatchChannel(
            id=channel_id,
            tenant_id=tenant_id,
            calendar_id=owner.calendar_id,
            owner_email=owner.email,
            owner_kind=owner.kind,
            via_delegation=owner.delegated,
            token_sha256=token_digest(token),
            expires_at=created + timedelta(seconds=self._ttl),
            created_at=created,
        )
        self._store.save_channel(channel)  # before Google's sync message can arrive
        try:
            answer = owner.gateway.watch_events(
                owner.calendar_id, channel_id, self._address, token, self._ttl
            )
        except BaseException:
            self._store.mark_channel(channel_id, "stopped")
            raise
        if answer.get("expiration"):
            expires = datetime.fromtimestamp(int(answer["expiration"]) / 1000, tz=created.tzinfo)
            channel = channel.model_copy(update={"expires_at": expires})
        channel = channel.model_copy(update={"resource_id": str(answer.get("resourceId", ""))})
        watched = WatchedCalendar(
            calendar_id=owner.calendar_id,
            owner_email=owner.email,
            owner_kind=owner.kind,
            via_delegation=owner.delegated,
        )
        if not self._store.record_channel(channel, watched):
            self._read_now(channel)
        self._schedule_renewal(channel)
        _LOG.info(
            "watch channel opened",
            extra={
                "fields": {
                    "tenant_id": tenant_id,
                    "calendar_id": owner.calendar_id,
                    "channel_id": channel_id,
                    "expires_at": channel.expires_at.isoformat(),
                }
            },
        )
        return channel

    def _read_now(self, channel: WatchChannel) -> None:
        """A calendar watched afresh is read once at once (a full list): what changed while
        nobody watched it (sync turned off and on, a new calendar) would otherwise wait for
        the next notification."""
        if self._tasks is None:
            return
        payload = {
            "action": "calendar_changed",
            "tenant_id": channel.tenant_id,
            "calendar": channel.calendar_id,
        }
        self._tasks.schedule(task_name("calendar_changed", "opened", channel.id), payload, 0)

    def _schedule_renewal(self, channel: WatchChannel) -> None:
        if self._tasks is None:
            return
        due = renew_at(channel.created_at, channel.expires_at)
        payload = {"action": "renew_channel", "tenant_id": channel.tenant_id, "channel": channel.id}
        delay = max(0.0, (due - now()).total_seconds())
        self._tasks.schedule(task_name("renew_channel", channel.id), payload, delay)

    def stop(self, channel: WatchChannel, owner: Owner | None) -> None:
        """Stop ``channel`` with its creator's gateway and mark it stopped (also when its
        creator is out of reach: it then expires on its own, its notifications ignored)."""
        if owner is not None:
            self.stop_quietly(lambda: owner.gateway, channel.id, channel.resource_id)
        self._store.mark_channel(channel.id, "stopped")

    def stop_quietly(
        self, gateway: Callable[[], CalendarGateway], channel_id: str, resource_id: str
    ) -> None:
        """``channels.stop`` through ``gateway``: a channel Google no longer has is fine, a
        refusal is logged (the channel then expires on its own)."""
        try:
            gateway().stop_channel(channel_id, resource_id)
        except NotFound:
            pass  # expired, already stopped, or not ours to stop
        except (PermanentGoogleError, InvalidGrant) as exc:
            _LOG.warning(
                "could not stop a watch channel; it expires on its own",
                extra={"fields": {"channel_id": channel_id, "error": repr(exc)}},
            )
            return
        _LOG.info("watch channel stopped", extra={"fields": {"channel_id": channel_id}})
