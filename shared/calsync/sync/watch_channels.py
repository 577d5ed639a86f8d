"""Calendar push channels on every calendar calsync writes to (issue 15, two-way sync).

The first time a reconcile writes into a calendar of a tenant with ``two_way_sync`` on,
``ChannelKeeper.ensure`` opens a channel (``events.watch``) aimed at ``on_calendar_change``:
its own id (a UUID), a secret token (kept only as a hash, never logged) and ``params.ttl``
(``CALSYNC_WATCH_TTL_SECONDS``, default Google's 7 days). Google does not renew channels
(facts §8.1), so each channel schedules its own renewal: a named Cloud Task
(``renew_channel``, named after the channel) due a quarter of the lifetime (at most a day)
before it expires. The renewal opens a new channel with a new id and token, makes it the
calendar's current one, then stops the old one; a calendar calsync no longer writes to
(sync or two-way sync turned off, its organizer gone) is not renewed but stopped.

Channels are stopped with their creator's credentials (``channels.stop`` accepts no one else):
on disconnect before the grant is revoked (``stop_owner``), on a mode switch or when sync or
two-way sync is turned off (``stop_tenant`` keeps only what the settings still call for), and
when a notification names a channel that is unknown or no longer current (``stop_stale``)::

    keeper = ChannelKeeper(store, tasks, platform_gateway, organizers, settings)
    keeper.ensure(tenant, owner)              # once per calendar a reconcile wrote to
    keeper.renew(tenant_id, channel_id)       # the renewal task
    keeper.stop_owner(tenant_id, "alice@acme.com")
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from calsync.config import Settings
from calsync.errors import CalsyncError, NotFound, PermanentGoogleError, TransientError
from calsync.google.calendar import CalendarGateway
from calsync.google.cloud_tasks import TaskScheduler, task_name
from calsync.logs import get_logger
from calsync.records import TenantRecord, WatchChannel, WatchedCalendar, now
from calsync.state.store import FirestoreStore
from calsync.sync.owners import OrganizerAccess, Owner, Owners

__all__ = ["ChannelKeeper", "renew_at", "token_digest"]

_LOG = get_logger(__name__)
MAX_RENEW_MARGIN = timedelta(days=1)


def token_digest(token: str) -> str:
    """The SHA-256 (hex) under which a channel's token is kept and compared."""
    return hashlib.sha256(token.encode()).hexdigest()


def renew_at(created: datetime, expires: datetime) -> datetime:
    """When to renew a channel: a quarter of its lifetime, at most a day, before it ends."""
    return expires - min((expires - created) / 4, MAX_RENEW_MARGIN)


class ChannelKeeper:
    """Opens, renews and stops the tenant's watch channels."""

    def __init__(
        self,
        store: FirestoreStore,
        tasks: TaskScheduler | None,
        platform_gateway: Callable[[], CalendarGateway],
        organizers: OrganizerAccess | None,
        settings: Settings,
    ) -> None:
        self._store = store
        self._tasks = tasks
        self._platform_gateway = platform_gateway
        self._organizers = organizers
        self._address = settings.watch_url
        self._ttl = settings.watch_ttl_seconds

    # -- opening ------------------------------------------------------------
    def wanted(self, tenant: TenantRecord) -> bool:
        """True when the tenant's calendars should be watched."""
        settings = tenant.settings
        return bool(self._address) and settings.sync_enabled and settings.two_way_sync

    def ensure(self, tenant: TenantRecord, owner: Owner) -> None:
        """Make sure ``owner``'s calendar has a live channel (opens one if not). Never fails
        the write that called it: a refusal is logged and the next write tries again."""
        if not self.wanted(tenant) or owner.leaving:
            return
        watched = self._store.watched(tenant.tenant_id, owner.calendar_id)
        if watched is not None and watched.expires_at is not None and watched.expires_at > now():
            return
        try:
            self._open(tenant.tenant_id, owner)
        except (CalsyncError, TransientError) as exc:
            _LOG.warning(
                "could not open a watch channel; the next write tries again",
                extra={"fields": {"calendar_id": owner.calendar_id, "error": repr(exc)}},
            )

    def _open(self, tenant_id: str, owner: Owner) -> WatchChannel:
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

    def current(self, channel: WatchChannel) -> bool:
        """True while ``channel`` is live, unexpired and its calendar's current channel."""
        if channel.state != "live" or channel.expires_at <= now():
            return False
        watched = self._store.watched(channel.tenant_id, channel.calendar_id)
        return watched is not None and watched.channel_id == channel.id

    # -- renewing -----------------------------------------------------------
    def renew(self, tenant_id: str, channel_id: str) -> None:
        """Replace the calendar's current channel ``channel_id`` by a new one, or stop it when
        the calendar no longer needs watching."""
        channel = self._store.channel(channel_id)
        tenant = self._store.get_tenant(tenant_id)
        if channel is None or channel.state != "live" or channel.tenant_id != tenant_id:
            return
        watched = self._store.watched(tenant_id, channel.calendar_id)
        owner = self._owner(tenant, channel) if tenant is not None else None
        if (
            tenant is None
            or not self.wanted(tenant)
            or owner is None
            or owner.leaving
            or watched is None
        ):
            self._stop(channel, owner)
            if watched is not None:
                self._store.unwatch(tenant_id, channel.calendar_id)
            return
        if watched.channel_id != channel.id:
            self._stop(channel, owner)
            return
        self._open(tenant_id, owner)
        self._stop(channel, owner)

    # -- stopping -----------------------------------------------------------
    def stop_owner(self, tenant_id: str, owner_email: str) -> int:
        """Stop every channel opened as ``owner_email`` in the tenant (a disconnect: call it
        while their grant still works). Returns how many calendars stopped being watched."""
        tenant = self._store.get_tenant(tenant_id)
        watched = [
            w
            for w in self._store.watched_calendars(tenant_id)
            if w.owner_kind == "organizer" and w.owner_email.lower() == owner_email.lower()
        ]
        for calendar in watched:
            self._unwatch(tenant_id, tenant, calendar)
        return len(watched)

    def unwanted(self, tenant: TenantRecord) -> list[WatchedCalendar]:
        """The watched calendars the tenant's settings no longer call for: all of them when
        sync or two-way sync is off, organizers' calendars in platform-account mode."""
        everything = not self.wanted(tenant)
        organizers_too = not tenant.settings.use_organizer_accounts
        return [
            w
            for w in self._store.watched_calendars(tenant.tenant_id)
            if everything or (organizers_too and w.owner_kind == "organizer")
        ]

    def stop_tenant(self, tenant_id: str) -> int:
        """Stop the channels the tenant's settings no longer call for (``unwanted``)."""
        tenant = self._store.get_tenant(tenant_id)
        if tenant is None:
            return 0
        gone = self.unwanted(tenant)
        for calendar in gone:
            self._unwatch(tenant_id, tenant, calendar)
        return len(gone)

    def stop_stale(self, channel_id: str, resource_id: str) -> None:
        """A notification named a channel calsync does not use (any more): stop it, as its
        creator if calsync knows them, else as the platform identity (the only identity
        calsync could have opened an unrecorded channel as)."""
        channel = self._store.channel(channel_id)
        if channel is None:
            self._stop_quietly(self._platform_gateway, channel_id, resource_id)
            return
        if self.current(channel):
            return  # it became the calendar's channel since (its sync came before the answer)
        tenant = self._store.get_tenant(channel.tenant_id)
        self._stop(channel, self._owner(tenant, channel) if tenant is not None else None)

    def _unwatch(
        self, tenant_id: str, tenant: TenantRecord | None, calendar: WatchedCalendar
    ) -> None:
        channel = self._store.channel(calendar.channel_id)
        if channel is not None:
            self._stop(channel, self._owner(tenant, channel) if tenant is not None else None)
        self._store.unwatch(tenant_id, calendar.calendar_id)

    def _stop(self, channel: WatchChannel, owner: Owner | None) -> None:
        """Stop ``channel`` with its creator's gateway and mark it stopped (also when its
        creator is out of reach: it then expires on its own, its notifications ignored)."""
        if owner is not None:
            self._stop_quietly(lambda: owner.gateway, channel.id, channel.resource_id)
        self._store.mark_channel(channel.id, "stopped")

    def _stop_quietly(
        self, gateway: Callable[[], CalendarGateway], channel_id: str, resource_id: str
    ) -> None:
        try:
            gateway().stop_channel(channel_id, resource_id)
        except NotFound:
            pass  # expired, already stopped, or not ours to stop
        except PermanentGoogleError as exc:
            _LOG.warning(
                "could not stop a watch channel; it expires on its own",
                extra={"fields": {"channel_id": channel_id, "error": repr(exc)}},
            )
            return
        _LOG.info("watch channel stopped", extra={"fields": {"channel_id": channel_id}})

    def _owner(self, tenant: TenantRecord, channel: WatchChannel) -> Owner | None:
        """Whoever opened ``channel``, as a writer of its calendar (None: out of reach)."""
        return self.owner_of(
            tenant,
            WatchedCalendar(
                calendar_id=channel.calendar_id,
                owner_email=channel.owner_email,
                owner_kind=channel.owner_kind,
                via_delegation=channel.via_delegation,
            ),
        )

    def owner_of(self, tenant: TenantRecord, watched: WatchedCalendar) -> Owner | None:
        """The identity a watched calendar is written (and watched) as; None: out of reach."""
        owners = Owners(self._store, tenant, self._platform_gateway, self._organizers)
        if watched.owner_kind == "organizer":
            owner = owners.organizer(watched.owner_email, delegated=watched.via_delegation)
        else:
            gateway = self._platform_gateway()
            owner = Owner("platform", gateway.identity, watched.calendar_id, gateway)
        if owner is None:
            return None
        return Owner(
            owner.kind,
            owner.email,
            watched.calendar_id,
            owner.gateway,
            owner.grant_id,
            owner.leaving,
        )
