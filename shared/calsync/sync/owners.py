"""Whose calendar a part lives in: the platform account or the item's organizer (DESIGN §2).

``Owners`` answers, for one reconcile of one tenant's item, where parts should be
written (``target``) and how to reach the owner of an existing mapping
(``for_mapping``). The platform calendar is created only when a part actually
needs it; organizers are reached through their stored grants, and an organizer
who is not connected (or whose grant broke) yields ``None`` so the caller can
fall back and report ``needs_consent``. An organizer who is disconnecting is still reachable
(``Owner.leaving``) so their events can be moved out, but is never a target.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal, NamedTuple, Protocol

from calsync.errors import CalsyncError
from calsync.google.calendar import CalendarGateway
from calsync.logs import get_logger
from calsync.records import ItemRecord, PartMapping, TenantRecord
from calsync.state.store import FirestoreStore

__all__ = [
    "DELEGATED_GRANT",
    "PLATFORM_SUCCESSOR",
    "OrganizerAccess",
    "OrganizerGateway",
    "Owner",
    "Owners",
    "PlatformGateways",
]

PLATFORM_SUCCESSOR = "platform"
"""``ItemRecord.successor`` value meaning: the platform account looks after the item."""
DELEGATED_GRANT = "delegated"
"""``Owner.grant_id`` of an owner reached through the admin identity's domain-wide delegation."""

_LOG = get_logger(__name__)
OwnerKind = Literal["platform", "organizer"]


@dataclass(frozen=True)
class Owner:
    """A calendar calsync can write to, and the identity it writes as."""

    kind: OwnerKind
    email: str
    calendar_id: str
    gateway: CalendarGateway
    grant_id: str = ""
    leaving: bool = False
    """The organizer is disconnecting: their events may be moved out, none placed there."""

    @property
    def delegated(self) -> bool:
        """True when calsync acts as this owner through the admin identity, not their grant."""
        return self.grant_id == DELEGATED_GRANT

    def holds(self, mapping: PartMapping) -> bool:
        """True when ``mapping`` points into one of this owner's calendars (a person may own
        several: their primary, and e.g. a "Transferred from" calendar)."""
        if self.kind == "organizer":
            return mapping.owner_kind == "organizer" and mapping.owner_email == self.email
        # the tenant's platform calendar, whichever pool identity wrote it (a tenant moved to
        # another identity keeps its calendar: ``sync.identity_moves``)
        return mapping.owner_kind != "organizer" and mapping.calendar_id == self.calendar_id

    def at(self, mapping: PartMapping | None) -> Owner:
        """This owner, writing to the calendar ``mapping`` points at (if it holds it)."""
        if mapping is None or not self.holds(mapping) or mapping.calendar_id == self.calendar_id:
            return self
        return replace(self, calendar_id=mapping.calendar_id)


class OrganizerGateway(NamedTuple):
    """A gateway acting as an organizer, the grant behind it, and whether they are leaving."""

    gateway: CalendarGateway
    grant_id: str
    leaving: bool = False


class OrganizerAccess(Protocol):
    """Organizers' grants, as the sync core needs them."""

    def gateway(
        self, tenant_id: str, email: str, delegated_by: str | None = None
    ) -> OrganizerGateway | None:
        """A gateway acting as the organizer and its grant, or None if not connected.

        With ``delegated_by`` (the tenant's admin email) an organizer without a grant is
        reached through the admin identity's domain-wide delegation instead.
        """

    def needs_consent(self, tenant_id: str, email: str, reason: str, grant_id: str) -> None:
        """Record that the organizer must connect again."""

    def grant_refused(self, tenant_id: str, email: str) -> bool:
        """True when Google refused the organizer's grant (``invalid_grant``) and they have not
        connected since: their account may be suspended."""


class PlatformGateways(Protocol):
    """The platform identities' gateways (``google.platform_accounts.PlatformAccounts``)."""

    @property
    def pool(self) -> tuple[str, ...]:
        """Every platform identity, the primary first."""

    @property
    def calendars_per_day(self) -> int:
        """Tenant calendars one identity may create in 24 hours."""

    def rotate(self, identities: Sequence[str]) -> str:
        """The next of ``identities`` whose turn it is to write."""

    def __call__(self, identity: str | None = None) -> CalendarGateway:
        """The gateway acting as ``identity`` (None: the primary)."""


class Owners:
    """Owner resolution for one reconcile of one tenant (caches what it looks up)."""

    def __init__(
        self,
        store: FirestoreStore,
        tenant: TenantRecord,
        platform_gateway: PlatformGateways,
        organizers: OrganizerAccess | None,
        successor: str | None = None,
        item_key: str = "",
    ) -> None:
        self._store = store
        self._successor = successor
        self._item_key = item_key
        self.tenant = tenant
        self._platform_gateway = platform_gateway
        self._organizers = organizers
        self._platform: Owner | None = None
        self._organizer: dict[tuple[str, bool], Owner | None] = {}

    # -- the platform account ---------------------------------------------
    def platform(self) -> Owner:
        """The tenant's calendar in the platform account (created on first use), written as
        the pool identity that holds it."""
        if self._platform is None:
            calendar_id = self.tenant.platform_calendar_id or self.create_platform_calendar(
                replacing=None
            )
            gateway = self._platform_gateway(self.writer())
            self._platform = Owner("platform", gateway.identity, calendar_id, gateway)
        return self._platform

    def writer(self) -> str | None:
        """The pool identity this reconcile's platform writes go out as: the calendar's
        holder, or, for a calendar shared with writers, whichever of them has the turn (one
        reconcile writes all its parts as one identity; a tenant's reconciles spread evenly over
        all of them, which a hash of the item did not: 400 items split 218/210/188/188)."""
        holder = self.tenant.platform_identity
        writers = [w for w in self.tenant.platform_writers if w in self._platform_gateway.pool]
        if not writers or not self._item_key:
            return holder
        return self._platform_gateway.rotate([holder or self._platform_gateway.pool[0], *writers])

    def create_platform_calendar(self, replacing: str | None) -> str:
        """Create the tenant's platform calendar as the pool identity booked for it (within
        that identity's daily calendar budget: ``Paced`` when none has budget left). One
        worker creates it (``book_platform_calendar``); others wait for it and use it."""
        tenant_id = self.tenant.tenant_id
        worker = uuid.uuid4().hex
        booking = self._store.book_platform_calendar(
            tenant_id,
            self._platform_gateway.pool,
            self._platform_gateway.calendars_per_day,
            time.time(),
            worker=worker,
            replacing=replacing,
        )
        if booking.existing is not None:
            self.tenant = self.tenant.model_copy(update={"platform_calendar_id": booking.existing})
            fresh = self._store.get_tenant(tenant_id)
            if fresh is not None:
                self.tenant = fresh
            self._platform = None
            return booking.existing
        identity = booking.identity
        gateway = self._platform_gateway(identity)
        try:
            created = gateway.insert_calendar(f"{tenant_id} learning events", "UTC")
            # shared before it is recorded: whoever reads the calendar id reads its writers
            self.share_with_pool(gateway, created)
            kept = self._store.set_platform_calendar(tenant_id, created, replacing)
        finally:
            self._store.end_calendar_creation(tenant_id, worker)
        if kept != created:
            gateway.delete_calendar(created)
        _LOG.info(
            "platform calendar created",
            extra={
                "fields": {
                    "tenant_id": tenant_id,
                    "calendar_id": kept,
                    "identity": gateway.identity,
                    "replacing": replacing,
                    "raced": kept != created,
                }
            },
        )
        self.tenant = self.tenant.model_copy(
            update={"platform_calendar_id": kept, "platform_identity": identity}
        )
        self._platform = None
        return kept

    def share_with_pool(self, holder: CalendarGateway, calendar_id: str) -> list[str]:
        """Share the tenant's calendar with every other pool identity as a writer (no mail)
        and record them as its writers; one that fails is left out and logged. Returns the
        writers recorded."""
        shared = []
        for identity in self._platform_gateway.pool:
            if not identity or identity == holder.identity.lower():
                continue
            try:
                holder.share_calendar(calendar_id, identity, "writer")
            except CalsyncError as exc:
                _LOG.warning(
                    "could not share the tenant's calendar with a pool identity",
                    extra={"fields": {"identity": identity, "error": repr(exc)}},
                )
                continue
            shared.append(identity)
        if shared:
            self._store.set_platform_writers(self.tenant.tenant_id, shared)
            self.tenant = self.tenant.model_copy(update={"platform_writers": shared})
        return shared

    # -- organizers ---------------------------------------------------------
    def organizer(self, email: str, delegated: bool = False) -> Owner | None:
        """The organizer's primary calendar, or None when calsync cannot act as them.

        A successor named by the orphan sweeper may also be reached through the tenant's
        administrator (domain-wide delegation) when they have not connected themselves; so
        may the owner of an event calsync placed there through delegation (``delegated``).
        """
        delegated = delegated or email == self._successor
        key = (email, delegated)
        if key not in self._organizer:
            admin = self.tenant.settings.admin_email if delegated else None
            access = (
                self._organizers.gateway(self.tenant.tenant_id, email, delegated_by=admin)
                if self._organizers
                else None
            )
            self._organizer[key] = (
                Owner("organizer", email, email, access.gateway, access.grant_id, access.leaving)
                if access
                else None
            )
        return self._organizer[key]

    def grant_broke(self, owner: Owner, reason: str) -> None:
        """Google said ``invalid_grant``: mark the organizer and stop using them."""
        if self._organizers is not None:
            self._organizers.needs_consent(
                self.tenant.tenant_id, owner.email, reason, owner.grant_id
            )
        self._organizer[(owner.email, False)] = None
        self._organizer[(owner.email, True)] = None
        _LOG.warning(
            "organizer's grant is broken; they must connect again",
            extra={
                "fields": {
                    "tenant_id": self.tenant.tenant_id,
                    "organizer": owner.email,
                    "reason": reason,
                }
            },
        )

    # -- decisions ----------------------------------------------------------
    def target(
        self, record: ItemRecord, mapping: PartMapping | None = None
    ) -> tuple[Owner, str | None]:
        """Where the item's part (mapped as ``mapping``) belongs, and why the organizer can't
        be used (if so). A part whose event calsync placed with that person through
        delegation stays reachable through delegation."""
        settings = self.tenant.settings
        if not settings.use_organizer_accounts or record.item is None:
            return self.platform(), None
        if record.successor == PLATFORM_SUCCESSOR:
            return self.platform(), None
        email = record.successor or record.item.organizer_email
        owner = self.organizer(email, delegated=_placed_by_delegation(mapping, email))
        if owner is None or owner.leaving:
            return self.platform(), "organizer_not_connected"
        return owner, None

    def for_mapping(self, mapping: PartMapping) -> Owner | None:
        """Whoever can still change the event a mapping points at (None: nobody can)."""
        if mapping.owner_kind == "organizer":
            owner = self.organizer(mapping.owner_email, delegated=mapping.via_delegation)
            return owner.at(mapping) if owner is not None else None
        platform = self.platform()
        if mapping.calendar_id == platform.calendar_id:
            return platform
        return Owner("platform", platform.email, mapping.calendar_id, platform.gateway)


def _placed_by_delegation(mapping: PartMapping | None, email: str) -> bool:
    """True when ``mapping``'s live event is ``email``'s and got there through delegation."""
    return (
        mapping is not None
        and mapping.state == "synced"
        and mapping.owner_kind == "organizer"
        and mapping.owner_email == email
        and mapping.via_delegation
    )
