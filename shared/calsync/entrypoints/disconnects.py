"""An organizer disconnects: their events move back to the platform calendar, then the grant goes.

The OAuth function marks the stored grant ``disconnecting`` and schedules a ``revoke_grant``
task (it may not decrypt grants). The task, on ``reconcile``:

1. reconciles every item the organizer organizes, and every other item with a part still in
   their calendar. A ``disconnecting`` organizer is never a target, so each future part is
   cancelled in their calendar (with their still-working grant) and created in the tenant's
   platform calendar, the attendees told once; a part the item no longer has is deleted.
   This runs even while the tenant's sync is off: after the revoke nobody could move them;
2. checks that none of those items still has a future part in the organizer's calendar
   (a quota deferral or a busy item leaves one): then the task is retried, up to
   ``HAND_BACK_RETRIES`` times, after which the grant is revoked anyway and the parts left
   behind report ``needs_consent`` (an event left with an owner whose grant is gone);
3. stops the watch channels opened as the organizer (two-way sync): ``channels.stop`` only
   accepts the identity that opened a channel, so this must come before the revoke;
4. revokes that grant at Google and forgets it.

If the organizer connected again before the task ran, the task does nothing: the newer grant
is kept, and the connect brings their items back to them.

Without a grant to move events with (never connected, ``needs_consent``) steps 3 and 4 alone
run (the channels are then only forgotten: nobody can stop them, they expire)::

    hand_back_and_revoke(services, "acme", "alice@acme.com", grant_id, retries=0)
"""

from __future__ import annotations

from calsync.entrypoints.services import Services
from calsync.errors import TransientError
from calsync.logs import get_logger
from calsync.organizers.grants import organizer_grants
from calsync.records import now

__all__ = ["HAND_BACK_RETRIES", "hand_back_and_revoke"]

HAND_BACK_RETRIES = 5
"""Task retries spent waiting for the organizer's events to move out before revoking anyway."""

_LOG = get_logger(__name__)


def hand_back_and_revoke(
    services: Services, tenant_id: str, organizer: str, grant_id: str | None, retries: int = 0
) -> None:
    """Move ``organizer``'s events out with grant ``grant_id``, then revoke it (see module)."""
    grants = organizer_grants(services.settings)
    if grant_id is not None and not grants.still_disconnecting(tenant_id, organizer, grant_id):
        _LOG.info(
            "the organizer connected again (or the grant is gone) since asking to disconnect;"
            " keeping what is there",
            extra={"fields": {"organizer": organizer}},
        )
        return
    if grant_id is not None:
        keys = _items_to_hand_back(services, tenant_id, organizer)
        for key in keys:
            record = services.store.get_item(tenant_id, key)
            if record is not None:  # also while the tenant's sync is off: see the module
                services.reconciler.reconcile(tenant_id, record.ref, even_when_paused=True)
        left = _parts_left_with(services, tenant_id, organizer, keys)
        if left and retries < HAND_BACK_RETRIES:
            raise TransientError(
                f"{len(left)} future part(s) still in {organizer}'s calendar; trying again"
            )
        if left:
            _LOG.error(
                "revoking a disconnecting organizer's grant with parts still in their calendar;"
                " they report needs_consent",
                extra={"fields": {"organizer": organizer, "parts": left[:20]}},
            )
        _LOG.info(
            "a disconnecting organizer's events moved to the platform calendar",
            extra={"fields": {"organizer": organizer, "items": len(keys)}},
        )
    stopped = services.channels.stop_owner(tenant_id, organizer)
    if stopped:
        _LOG.info(
            "a disconnecting organizer's calendars are no longer watched",
            extra={"fields": {"organizer": organizer, "calendars": stopped}},
        )
    grants.disconnect(tenant_id, organizer, grant_id)


def _items_to_hand_back(services: Services, tenant_id: str, organizer: str) -> list[str]:
    """The items the organizer organizes, and any other item with a part still in their
    calendar (its organizer changed, or a part was removed, and the reconcile that moves or
    deletes it has not run yet: after the revoke it never could)."""
    organized = services.store.item_keys_organized_by(tenant_id, organizer)
    held = [key for key, _ in services.store.parts_owned_by(tenant_id, [organizer.lower()])]
    return sorted({*organized, *held})


def _parts_left_with(
    services: Services, tenant_id: str, organizer: str, keys: list[str]
) -> list[str]:
    """``item/part`` of every future synced part mapped into the organizer's calendars."""
    left = []
    for key in keys:
        for part_key, mapping in services.store.mappings(tenant_id, key).items():
            if (
                mapping.owner_kind == "organizer"
                and mapping.owner_email.lower() == organizer.lower()
                and mapping.state == "synced"
                and (mapping.ends_at is None or mapping.ends_at > now())
            ):
                left.append(f"{key}/{part_key}")
    return left
