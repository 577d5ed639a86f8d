"""Handle one platform message: validate, record desired state, reconcile.

Each handler returns an ``Outcome``; the entry point turns it into an HTTP
answer (``calsync.entrypoints.push``): ``ACK`` for done or rejected, ``RETRY`` for
transient failures so Pub/Sub redelivers (and, after the subscription's
maximum attempts, dead-letters the message with nothing lost).
"""

from __future__ import annotations

import json
import secrets
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

from calsync.contracts import (
    ItemDeleted,
    ItemRef,
    ItemUpserted,
    PlatformEventMessage,
    Result,
    ResultStatus,
    SettingsUpdated,
)
from calsync.entrypoints import tenant_resync as resync
from calsync.entrypoints.services import Services
from calsync.errors import BadInput, ItemBusy
from calsync.google.cloud_tasks import task_name
from calsync.logs import get_logger, log_context
from calsync.records import now
from calsync.state.store import Decision

__all__ = ["MAX_EVENT_MESSAGE_BYTES", "Outcome", "handle_platform_event", "parse_platform_event"]

_LOG = get_logger(__name__)
T = TypeVar("T")
MAX_EVENT_MESSAGE_BYTES = 256 * 1024
"""Largest ``platform-events`` message accepted (an item with 100 parts is far smaller)."""


class Outcome(StrEnum):
    """What the entry point should tell the sender."""

    ACK = "ack"
    RETRY = "retry"


def parse_message(data: bytes, adapter: TypeAdapter[T], max_bytes: int) -> T:
    """The typed message, or ``BadInput`` saying exactly what is wrong with it."""
    if len(data) > max_bytes:
        raise BadInput("too_large", f"message is {len(data)} bytes; the limit is {max_bytes}")
    try:
        raw = json.loads(data)
    except (ValueError, RecursionError) as exc:  # any parse failure is the message's fault
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise BadInput("not_json", f"message body is not JSON: {reason}") from exc
    try:
        return adapter.validate_python(raw)
    except ValidationError as exc:
        raise BadInput("invalid", describe_validation_error(exc)) from exc


def parse_platform_event(data: bytes) -> ItemUpserted | ItemDeleted | SettingsUpdated:
    """A ``platform-events`` message, or ``BadInput``."""
    return parse_message(data, PlatformEventMessage, MAX_EVENT_MESSAGE_BYTES)


def describe_validation_error(exc: ValidationError) -> str:
    """A short, human-readable list of what failed validation and where."""
    problems = []
    for error in exc.errors(include_url=False)[:5]:
        where = ".".join(str(p) for p in error["loc"]) or "message"
        problems.append(f"{where}: {error['msg']}")
    more = exc.error_count() - len(problems)
    return "; ".join(problems) + (f" (and {more} more)" if more > 0 else "")


def tenant_hint(data: bytes) -> str:
    """The tenant a bad message claims to be for, if it can be read at all."""
    try:
        value: Any = json.loads(data).get("tenant_id", "")
    except (ValueError, RecursionError, AttributeError):
        return ""
    return value if isinstance(value, str) else ""


def reject(
    services: Services, data: bytes, error: BadInput, item: ItemRef | None = None
) -> Outcome:
    """Acknowledge a bad message with a ``rejected`` result and one log line."""
    tenant_id = tenant_hint(data)
    _LOG.warning(
        "message rejected",
        extra={
            "fields": {"tenant_id": tenant_id, "error_code": error.code, "reason": error.message}
        },
    )
    services.results.publish(
        [
            Result(
                tenant_id=tenant_id,
                item=item,
                status=ResultStatus.REJECTED,
                error_code=error.code,
                error_message=error.message,
                at=now(),
            )
        ]
    )
    return Outcome.ACK


def handle_settings(services: Services, message: SettingsUpdated) -> Outcome:
    """Store newer settings, then re-sync the tenant if its events may not reflect them.

    The decision is taken from the stored tenant, not from this message (``tenant_resync``):
    a redelivery after a failure is stale, yet still starts what the failed delivery did not.
    """
    decision, _ = services.store.apply_settings(message)
    _LOG.info("settings " + decision.value, extra={"fields": {"version": message.version}})
    resync.start(services, message.tenant_id)
    _stop_unwanted_channels(services, message.tenant_id)
    return Outcome.ACK


def _stop_unwanted_channels(services: Services, tenant_id: str) -> None:
    """Sync or two-way sync turned off, or a switch to platform-account mode: a task stops
    the watch channels no longer called for (with their creators' credentials, which only
    ``reconcile`` may open)."""
    tenant = services.store.get_tenant(tenant_id)
    if tenant is None or not services.channels.unwanted(tenant):
        return
    services.tasks.schedule(
        task_name("stop_channels", tenant_id, str(tenant.settings_version), tenant.settings_nonce),
        {"action": "stop_channels", "tenant_id": tenant_id},
        0,
    )


def resync_organizer(services: Services, tenant_id: str, email: str) -> int:
    """An organizer (re)connected: bring their items back to their own calendar, and every
    other item with a part still in their calendar.

    Those are parts calsync could not move or delete while their grant was dead (the platform
    named another organizer, or removed the part, meanwhile: ``needs_consent``); no platform
    change will come for them, so the reconnect is the moment they can leave (found by the
    model-based test, seed 1946436493). The same two queries as a disconnect's hand-back.
    """
    organized = services.store.item_keys_organized_by(tenant_id, email)
    held = [key for key, _ in services.store.parts_owned_by(tenant_id, [email.lower()])]
    keys = sorted({*organized, *held})
    return _resync(services, tenant_id, keys, f"connected-{email}-{now().isoformat()}")


def _resync(services: Services, tenant_id: str, keys: list[str], reason: str) -> int:
    count = 0
    for key in keys:
        record = services.store.get_item(tenant_id, key)
        if record is None or record.item is None:
            continue
        services.tasks.schedule(
            task_name(reason, tenant_id, key), _reconcile_task(tenant_id, record.ref), 0
        )
        count += 1
    _LOG.info(
        "re-syncing every item of the tenant", extra={"fields": {"items": count, "reason": reason}}
    )
    return count


def handle_platform_event(services: Services, data: bytes) -> Outcome:
    """Handle one ``platform-events`` message body."""
    try:
        message = parse_platform_event(data)
    except BadInput as error:
        return reject(services, data, error)
    with log_context(tenant_id=message.tenant_id, message_type=message.type):
        if isinstance(message, SettingsUpdated):
            try:
                return handle_settings(services, message)
            except BadInput as error:  # a domain another tenant owns
                return reject(services, data, error)
        ref = message.item.ref() if isinstance(message, ItemUpserted) else message.item
        item = message.item if isinstance(message, ItemUpserted) else None
        recorded = services.store.record_item(message.tenant_id, ref, message.version, item)
        if services.store.get_tenant(message.tenant_id) is None:
            # Kept (nothing is lost): it syncs if the tenant's settings arrive later.
            return reject(
                services,
                data,
                BadInput(
                    "unknown_tenant",
                    f"tenant {message.tenant_id!r} has no settings; the change is kept and "
                    "will sync if the tenant's settings arrive",
                ),
                ref,
            )
        record = recorded.record
        if recorded.decision is Decision.STALE and record is not None and not record.needs_sync:
            _LOG.info(
                "stale message ignored",
                extra={
                    "fields": {
                        "item": ref.key,
                        "version": message.version,
                        "stored_version": record.version,
                    }
                },
            )
            return Outcome.ACK
        try:
            services.reconciler.reconcile(message.tenant_id, ref)
        except ItemBusy:
            # The version is recorded; a task brings it to Google once the item is free.
            # Answering 503 instead would let Pub/Sub dead-letter it after a few quick
            # redeliveries while a long reconcile (or a crashed worker's lease) holds the item.
            reconcile_soon(services, message.tenant_id, ref, message.version)
        return Outcome.ACK


BUSY_RETRY_SECONDS = 5.0
"""When the task for an item that was busy first runs (Cloud Tasks then backs off)."""


def reconcile_soon(services: Services, tenant_id: str, ref: ItemRef, version: int) -> None:
    """Schedule a reconcile of an item another worker holds (one task per delivery)."""
    name = task_name("busy", tenant_id, ref.key, str(version), secrets.token_hex(4))
    services.tasks.schedule(name, _reconcile_task(tenant_id, ref), BUSY_RETRY_SECONDS)
    _LOG.info(
        "item busy; its reconcile is scheduled",
        extra={"fields": {"item": ref.key, "version": version, "delay": BUSY_RETRY_SECONDS}},
    )


def _reconcile_task(tenant_id: str, ref: ItemRef) -> dict[str, Any]:
    """The body of a task that reconciles one item (``deferred_tasks.ReconcileTask``)."""
    return {"action": "reconcile", "tenant_id": tenant_id, "item": ref.model_dump(mode="json")}
