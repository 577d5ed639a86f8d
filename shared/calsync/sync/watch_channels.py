"""Which calendars calsync watches, and when (issue 15, two-way sync).

The first time a reconcile writes into a calendar of a tenant with ``two_way_sync`` on,
``ChannelKeeper.ensure`` opens a channel (``events.watch``) aimed at ``on_calendar_change``
with a lifetime of ``CALSYNC_WATCH_TTL_SECONDS`` (default Google's 7 days). Google does not
renew channels (facts §8.1), so each channel schedules its own renewal (a named Cloud Task,
``renew_channel``). The renewal opens a new channel with a new id and token, makes it the
calendar's current one, then stops the old one; a calendar calsync no longer writes to
(sync or two-way sync turned off, its organizer gone) is not renewed but stopped. Opening
and stopping one channel is ``calsync.sync.channel_calls``.

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

from calsync.config import Settings
from calsync.errors import CalsyncError, ConfigurationError, InvalidGrant, TransientError
from calsync.google.cloud_tasks import TaskScheduler
from calsync.logs import get_logger
from calsync.records import TenantRecord, WatchChannel, WatchedCalendar, now
from calsync.state.store import FirestoreStore
from calsync.sync.channel_calls import ChannelCalls
from calsync.sync.owners import OrganizerAccess, Owner, Owners, PlatformGateways

__all__ = ["ChannelKeeper"]

_LOG = get_logger(__name__)


class ChannelKeeper:
    """Opens, renews and stops the tenant's watch channels."""

    def __init__(
        self,
        store: FirestoreStore,
        tasks: TaskScheduler | None,
        platform_gateway: PlatformGateways,
        organizers: OrganizerAccess | None,
        settings: Settings,
    ) -> None:
        self._store = store
        self._channels = ChannelCalls(store, tasks, settings)
        self._platform_gateway = platform_gateway
        self._organizers = organizers
        self._address = settings.watch_url

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
            self._channels.open(tenant.tenant_id, owner)
        except (CalsyncError, TransientError) as exc:
            _LOG.warning(
                "could not open a watch channel; the next write tries again",
                extra={"fields": {"calendar_id": owner.calendar_id, "error": repr(exc)}},
            )

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
            self._channels.stop(channel, owner)
            if watched is not None:
                self._store.unwatch(tenant_id, channel.calendar_id)
            return
        if watched.channel_id != channel.id:
            self._channels.stop(channel, owner)
            return
        try:
            self._channels.open(tenant_id, owner)
        except InvalidGrant as exc:
            self._refused(tenant_id, channel, owner, exc)
            return
        self._channels.stop(channel, owner)

    def _refused(
        self, tenant_id: str, channel: WatchChannel, owner: Owner, exc: InvalidGrant
    ) -> None:
        """Google refused the grant the channel was opened with: the organizer must connect
        again and their calendar is no longer watched (a reconcile that reaches them again
        opens a new channel). The old channel cannot be stopped without that grant: it
        expires on its own and its notifications are ignored."""
        if owner.kind != "organizer" or self._organizers is None:
            raise ConfigurationError(
                f"Google refused platform identity {owner.email}'s credentials "
                f"(invalid_grant) renewing a watch channel: renew its grant ({exc})"
            ) from exc
        self._organizers.needs_consent(tenant_id, owner.email, "invalid_grant", owner.grant_id)
        self._channels.stop(channel, None)
        self._store.unwatch(tenant_id, channel.calendar_id)
        _LOG.warning(
            "an organizer's grant was refused renewing their watch channel; they must connect "
            "again and their calendar is no longer watched",
            extra={"fields": {"tenant_id": tenant_id, "organizer": owner.email}},
        )

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
            self._channels.stop_quietly(self._platform_gateway, channel_id, resource_id)
            return
        if self.current(channel):
            return  # it became the calendar's channel since (its sync came before the answer)
        tenant = self._store.get_tenant(channel.tenant_id)
        self._channels.stop(channel, self._owner(tenant, channel) if tenant is not None else None)

    def _unwatch(
        self, tenant_id: str, tenant: TenantRecord | None, calendar: WatchedCalendar
    ) -> None:
        channel = self._store.channel(calendar.channel_id)
        if channel is not None:
            self._channels.stop(
                channel, self._owner(tenant, channel) if tenant is not None else None
            )
        self._store.unwatch(tenant_id, calendar.calendar_id)

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
            gateway = self._platform_gateway(tenant.platform_identity)
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
