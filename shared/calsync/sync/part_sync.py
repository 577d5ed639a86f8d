"""Sync one part where it belongs: choose its owner, move it if that changed, write it.

For each part of an item, ``Reconciler`` asks ``PartSync.sync_part``, which

- asks ``calsync.sync.owners`` whose calendar the part belongs in now (platform account,
  organizer, or a successor). A part whose owner changed is moved: its event is cancelled
  in the old calendar first and created afresh, under a new generation of event id, in the
  new one; if the cancel fails, the part stays put and the result says why. Removals and
  past parts stay with their owner; a part whose owner calsync can no longer act as is
  left alone (``needs_consent``);
- renders the desired event (``calsync.sync.rendering``) and hands it to
  ``calsync.sync.part_writer`` to write;
- maps Google's refusals to ``failed`` results, marks an ``InvalidGrant`` with the owner
  whose grant broke, and raises ``CalendarVanished`` when the platform calendar itself is
  gone (the reconciler recreates it and plans again);
- adds what the result should say on top: ``needs_consent`` while the organizer is not
  connected, ``needs_organizer_mode`` when rooms or Meet were asked of the platform
  account, and the rooms' and Meet's outcomes::

    parts = PartSync(PartWriter(store))
    results = parts.sync_part(context, part_key, part, mapping)  # part None: removed
"""

from __future__ import annotations

from collections.abc import Callable

from calsync.contracts import Part, Result, ResultStatus
from calsync.errors import ConfigurationError, InvalidGrant, NotFound, PermanentGoogleError
from calsync.logs import get_logger
from calsync.records import ItemRecord, PartMapping, now
from calsync.sync.amenities import outcomes
from calsync.sync.event_ids import event_id
from calsync.sync.owners import Owner
from calsync.sync.part_results import (
    asks_amenities,
    failed,
    needs_consent,
    seen_in,
    without_amenities,
)
from calsync.sync.part_writer import PartWriter
from calsync.sync.reconcile_context import ReconcileContext
from calsync.sync.rendering import render_part

__all__ = ["CalendarVanished", "PartSync"]

_LOG = get_logger(__name__)


class CalendarVanished(Exception):
    """The tenant's platform calendar no longer exists in Google."""

    def __init__(self, calendar_id: str) -> None:
        super().__init__(calendar_id)
        self.calendar_id = calendar_id


class PartSync:
    """Syncs single parts of an item, each into the calendar it belongs in."""

    def __init__(self, writer: PartWriter) -> None:
        self._writer = writer

    def sync_part(
        self, context: ReconcileContext, key: str, part: Part | None, mapping: PartMapping | None
    ) -> list[Result]:
        """Sync one part, moving it first if it belongs to another owner now."""
        record, owners = context.record, context.owners
        if part is None and mapping is not None and mapping.state == "moving":
            return [self._writer.end_move(context, key, mapping)]
        target, why_not_organizer = owners.target(record, mapping)
        if mapping is not None and mapping.state == "synced" and not target.holds(mapping):
            current = owners.for_mapping(mapping)
            if current is None:  # its owner's grant is gone: leave it, say so
                return [self._needs_consent(record, key, mapping, "owner_not_connected")]
            if part is None or part.end < now():
                target = current  # removals and past parts stay with their owner
            else:
                cancelled = self._guarded(
                    context,
                    current,
                    key,
                    lambda: self._writer.write_part(
                        context, current, key, None, mapping, gone_state="moving"
                    ),
                )
                if cancelled.status is not ResultStatus.DELETED:
                    # Creating it anyway would leave people with two entries and the old
                    # event with no mapping: stay put (mapping kept), say why, retry later.
                    return [self._move_refused(cancelled, current, target)]
                mapping = mapping.model_copy(update={"generation": mapping.generation + 1})
        elif mapping is not None and mapping.state != "synced" and not target.holds(mapping):
            mapping = mapping.model_copy(update={"generation": mapping.generation + 1})
        keep = mapping if mapping is not None and target.holds(mapping) else None
        target = target.at(keep)
        generation = mapping.generation if mapping is not None else 0
        desired = None
        # A Data Transfer may give the moved event a new id: the mapping knows it.
        eid = (
            keep.event_id
            if keep is not None
            else event_id(record.tenant_id, record.ref.key, key, generation)
        )
        if part is not None and record.item is not None:
            desired = render_part(
                tenant_id=record.tenant_id,
                settings=context.tenant.settings,
                item=record.item,
                part=part,
                event_id=eid,
                owner_email=target.email,
                enrolled=context.enrolled,
                organizer_mode=target.kind == "organizer",
                organizer_attends=record.successor is None,
            )
        result = self._guarded(
            context,
            target,
            key,
            lambda: self._writer.write_part(context, target, key, desired, keep, generation),
        )
        if why_not_organizer and desired is not None:
            return [
                result.model_copy(
                    update={
                        "status": ResultStatus.NEEDS_CONSENT,
                        "error_code": why_not_organizer,
                        "error_message": (
                            f"{record.item.organizer_email if record.item else 'The organizer'} "
                            "has not connected Google Calendar (or must reconnect); the event is "
                            "in the platform account until they do"
                            + without_amenities(record, part)
                        ),
                    }
                )
            ]
        if desired is None or result.status is not ResultStatus.SYNCED:
            return [result]
        if target.kind == "platform" and part is not None and asks_amenities(record, part):
            return [
                result.model_copy(
                    update={
                        "error_code": "needs_organizer_mode",
                        "error_message": "rooms and Google Meet need the tenant to use organizers' "
                        "accounts; the event was synced without them",
                    }
                )
            ]
        return [result, *outcomes(result, seen_in(result))]

    def _guarded(
        self, context: ReconcileContext, owner: Owner, key: str, action: Callable[[], Result]
    ) -> Result:
        """Run ``action``; map Google's refusals to results and spot vanished calendars."""
        try:
            return action()
        except InvalidGrant as exc:
            if owner.kind == "platform":  # not an organizer to ask again: the operator's to fix
                raise ConfigurationError(
                    f"Google refused platform identity {owner.email}'s credentials "
                    f"(invalid_grant): renew its grant ({exc})"
                ) from exc
            exc.owner = owner
            raise
        except NotFound as exc:
            if owner.kind == "platform" and not owner.gateway.calendar_exists(owner.calendar_id):
                raise CalendarVanished(owner.calendar_id) from exc
            return self._failed(context.record, key, exc)
        except PermanentGoogleError as exc:
            return self._failed(context.record, key, exc)

    def _needs_consent(
        self, record: ItemRecord, part_key: str, mapping: PartMapping, code: str
    ) -> Result:
        _LOG.warning(
            "part left with an owner calsync can no longer act as",
            extra={
                "fields": {
                    "tenant_id": record.tenant_id,
                    "item": record.ref.key,
                    "part_key": part_key,
                    "owner": mapping.owner_email,
                }
            },
        )
        return needs_consent(record, part_key, mapping, code)

    def _failed(self, record: ItemRecord, part_key: str, exc: PermanentGoogleError) -> Result:
        _LOG.error(
            "Google refused a write; reported as failed",
            extra={
                "fields": {
                    "tenant_id": record.tenant_id,
                    "item": record.ref.key,
                    "part_key": part_key,
                    "status_code": exc.status,
                    "reason": exc.reason,
                }
            },
        )
        return failed(record, part_key, exc)

    def _move_refused(self, cancel: Result, current: Owner, target: Owner) -> Result:
        """The part should move from ``current`` to ``target`` but its old event could not
        be cancelled (e.g. 403: someone changed the event's owner in Google)."""
        return cancel.model_copy(
            update={
                "error_message": (
                    f"could not cancel the event in {current.email}'s calendar to move it to "
                    f"{target.email}'s, so it was not created there (people would hold two "
                    f"entries); it stays where it is: {cancel.error_message}"
                )
            }
        )
