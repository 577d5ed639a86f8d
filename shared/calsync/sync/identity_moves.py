"""Moving a tenant to another platform identity of the pool, with no event recreated.

The tenant's calendar stays where it is: the identity that holds it shares it with the new one
as ``owner`` (``acl.insert``, no mail), the new one checks it can read it, and the tenant is
recorded as the new identity's (``state.identity_pool``). From then on every write for the
tenant is made, and charged, as the new identity. The events keep their ids and their organizer
(the calendar), so attendees see no change and get no mail; mappings need no rewrite
(``Owner.holds`` matches the platform calendar whoever wrote it). The old identity keeps its
access, so a reconcile still running as it finishes, and moving back is the same call::

    report = move_tenant(store, accounts, "acme", to="calsync2@platform.example")
"""

from __future__ import annotations

from dataclasses import dataclass

from calsync.errors import BadInput, ConfigurationError, PermanentGoogleError
from calsync.logs import get_logger
from calsync.state.store import FirestoreStore
from calsync.sync.owners import PlatformGateways

__all__ = ["IdentityMove", "move_tenant"]

_LOG = get_logger(__name__)


@dataclass(frozen=True)
class IdentityMove:
    """What a move did."""

    tenant_id: str
    holder: str
    to: str
    calendar_id: str | None
    moved: bool
    """False when the tenant was already the target's."""


def move_tenant(
    store: FirestoreStore, accounts: PlatformGateways, tenant_id: str, to: str
) -> IdentityMove:
    """Make ``to`` (a pool identity) the tenant's platform identity."""
    to = to.lower()
    if to not in accounts.pool:
        raise ConfigurationError(f"{to} is not a platform identity (CALSYNC_PLATFORM_POOL)")
    tenant = store.get_tenant(tenant_id)
    if tenant is None:
        raise BadInput("unknown_tenant", f"calsync has no tenant {tenant_id!r}")
    holder = (tenant.platform_identity or accounts.pool[0]).lower()
    calendar_id = tenant.platform_calendar_id
    if holder == to:
        return IdentityMove(tenant_id, holder, to, calendar_id, moved=False)
    if calendar_id:
        try:
            accounts(holder).share_calendar(calendar_id, to, "owner")
        except PermanentGoogleError as exc:
            if exc.reason != "cannotModifyAclOfCalendarOwner":
                raise
            # ``to`` created the calendar (a move back): it has owned it all along
        if not accounts(to).calendar_exists(calendar_id):
            raise ConfigurationError(
                f"{to} cannot read tenant {tenant_id}'s calendar after it was shared; "
                f"the tenant stays with {holder}"
            )
    store.move_platform_identity(tenant_id, holder, to)
    _LOG.info(
        "tenant moved to another platform identity",
        extra={
            "fields": {
                "tenant_id": tenant_id,
                "from": holder,
                "to": to,
                "calendar_id": calendar_id,
            }
        },
    )
    return IdentityMove(tenant_id, holder, to, calendar_id, moved=True)
