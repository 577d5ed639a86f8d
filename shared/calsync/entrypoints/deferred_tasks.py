"""Deferred work delivered by Cloud Tasks to the ``reconcile`` function.

A task body is JSON: ``{"action": "reconcile", "tenant_id": ..., "item": {"kind", "id"}}``.
A task that can never succeed (bad body) is answered 200 so Cloud Tasks stops
retrying it, with an error log line; a transient failure is answered 503 so
Cloud Tasks retries with its queue's backoff.

Every line a task logs carries the trace of the request that scheduled it (the header
``X-Calsync-Trace``, ``calsync.google.cloud_tasks``), so one Pub/Sub message's reconcile
and the tasks it leads to share one trace; the task's own request trace is
``request_trace``. A task without that header keeps its own trace.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from calsync.contracts import ItemRef, TenantId, Version
from calsync.entrypoints import tenant_resync as resync
from calsync.entrypoints.platform_events import describe_validation_error
from calsync.entrypoints.push import Response, trace_id
from calsync.entrypoints.services import Services
from calsync.errors import ConfigurationError, TransientError
from calsync.google.cloud_tasks import TRACE_HEADER
from calsync.logs import configure, get_logger, is_trace_id, log_context

__all__ = ["ReconcileTask", "cloud_task"]

_LOG = get_logger(__name__)


class ReconcileTask(BaseModel):
    """Reconcile one item now (coalesced enrollments, deferred retries), re-check its
    rooms and Meet links (``followup``), sweep one organizer (``sweep_organizer``), finish
    an interrupted hand-over to a successor (``finish_handover``) or walk one page of a
    tenant's re-sync after a settings change (``resync_page``), or move a disconnecting
    organizer's events back to the platform calendar, then revoke and forget their grant
    (``revoke_grant``: oauth_callback cannot decrypt grants, this function can). Two-way
    sync: renew a watch channel (``renew_channel``), stop one that is stale
    (``stop_channel``) or those the tenant's settings no longer call for (``stop_channels``),
    read a watched calendar's changes (``calendar_changed``), walk one page of a tenant's
    verification pass (``verify_page``) or check one item against Google again
    (``verify_item``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    action: Literal[
        "reconcile",
        "followup",
        "sweep_organizer",
        "finish_handover",
        "resync_page",
        "revoke_grant",
        "renew_channel",
        "stop_channel",
        "stop_channels",
        "calendar_changed",
        "verify_page",
        "verify_item",
    ]
    tenant_id: TenantId
    item: ItemRef | None = None
    attempt: Annotated[int, Field(ge=0, le=1000)] = 0
    """``followup``: which re-check this is; ``reconcile``: how often Google's usage
    limiter refused the item in a row (each retry waits longer)."""
    chain: Annotated[str, Field(max_length=64, pattern=r"^[a-f0-9]*$")] = ""
    """``followup``: which series of re-checks this is (``calsync.sync.follow_ups``)."""
    organizer: str | None = None
    grant_id: Annotated[str, Field(max_length=64, pattern=r"^[a-f0-9]*$")] | None = None
    """``revoke_grant``: the grant marked ``disconnecting``; only it is revoked."""
    settings_version: Version | None = None
    settings_nonce: Annotated[str, Field(max_length=64)] = ""
    cursor: Annotated[str, Field(max_length=256)] = ""
    page_size: Annotated[int, Field(ge=1, le=500)] = 100
    channel: Annotated[str, Field(pattern=r"^[A-Za-z0-9\-_+=]{1,64}$")] | None = None
    """``renew_channel``, ``stop_channel``: the watch channel (``calsync.sync.watch_channels``)."""
    resource_id: Annotated[str, Field(max_length=256)] = ""
    calendar: Annotated[str, Field(min_length=1, max_length=1024)] | None = None
    """``calendar_changed``: the watched calendar whose changes to read."""
    run: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    """``verify_page``: which verification pass (``calsync.entrypoints.verification_pass``)."""

    @model_validator(mode="after")
    def _page_needs_a_version(self) -> Self:
        if self.action == "resync_page" and self.settings_version is None:
            raise ValueError("a resync_page task needs a settings_version")
        return self


def cloud_task(request: Any, services: Services) -> Response:
    """Run the task in ``request`` and answer Cloud Tasks."""
    configure(services.settings.project)
    task_name = str(request.headers.get("X-CloudTasks-TaskName", ""))
    with log_context(task=task_name, **_traces(request.headers)):
        try:
            task = ReconcileTask.model_validate(json.loads(request.get_data() or b"null"))
        except (ValueError, RecursionError, ValidationError) as exc:
            why = describe_validation_error(exc) if isinstance(exc, ValidationError) else str(exc)
            _LOG.error("task body is invalid; dropping it", extra={"fields": {"reason": why}})
            return json.dumps({"outcome": "dropped", "error": why}), 200, {}
        with log_context(tenant_id=task.tenant_id, item=task.item.key if task.item else ""):
            try:
                if _channel_task(services, task):
                    pass
                elif task.action == "sweep_organizer":
                    from calsync.sweeper.sweep import SWEEP_BUSY, Sweeper

                    report = Sweeper(services).sweep(
                        tenant_id=task.tenant_id, organizer=task.organizer
                    )
                    if report.skipped.get(task.tenant_id) == SWEEP_BUSY:
                        # the running sweep may have listed the items before this check's
                        raise TransientError(f"{SWEEP_BUSY} for {task.tenant_id}; asking again")
                elif task.action == "revoke_grant" and task.organizer:
                    # imported here: grants load the vault (cryptography), which a cold start
                    # of reconcile need not pay for (bench/cold_start)
                    from calsync.entrypoints.disconnects import hand_back_and_revoke

                    hand_back_and_revoke(
                        services,
                        task.tenant_id,
                        task.organizer,
                        task.grant_id,
                        retries=_retry_count(request),
                    )
                elif task.action == "resync_page" and task.settings_version is not None:
                    run = resync.Run(
                        task.tenant_id, task.settings_version, task.settings_nonce, task.page_size
                    )
                    resync.run_page(services, run, task.cursor)
                elif task.item is None:
                    raise ValueError("this task needs an item")
                elif task.action == "finish_handover":
                    from calsync.sweeper.hand_over import HandOvers

                    HandOvers(services).finish_hand_over(task.tenant_id, task.item.key)
                elif task.action == "followup":
                    services.reconciler.follow_up(
                        task.tenant_id, task.item, task.attempt, task.chain
                    )
                else:
                    services.reconciler.reconcile(task.tenant_id, task.item, task.attempt)
            except (TransientError, ConfigurationError) as exc:
                _LOG.warning(
                    "task failed; Cloud Tasks will retry", extra={"fields": {"error": str(exc)}}
                )
                return json.dumps({"outcome": "retry", "error": str(exc)}), 503, {}
    return json.dumps({"outcome": "done"}), 200, {}


def _traces(headers: Any) -> dict[str, str]:
    """The trace this task's lines join: the one its scheduler carried over, else its own."""
    own = trace_id(headers)
    carried = str(headers.get(TRACE_HEADER, "") or "")
    if is_trace_id(carried) and carried != own:
        return {"trace": carried, "request_trace": own}
    return {"trace": own}


def _channel_task(services: Services, task: ReconcileTask) -> bool:
    """Run a two-way sync task; False when ``task`` is not one."""
    if task.action == "renew_channel" and task.channel:
        services.channels.renew(task.tenant_id, task.channel)
    elif task.action == "stop_channel" and task.channel:
        services.channels.stop_stale(task.channel, task.resource_id)
    elif task.action == "stop_channels":
        services.channels.stop_tenant(task.tenant_id)
    elif task.action == "calendar_changed" and task.calendar:
        services.changes.read(task.tenant_id, task.calendar)
    elif task.action == "verify_page" and task.run:
        from calsync.entrypoints import verification_pass

        verification_pass.run_page(services, task.tenant_id, task.run, task.cursor, task.page_size)
    elif task.action == "verify_item" and task.item is not None:
        from calsync.entrypoints import verification_pass

        verification_pass.verify_item(services, task.tenant_id, task.item.key)
    else:
        return False
    return True


def _retry_count(request: Any) -> int:
    """How often Cloud Tasks already retried this task (``X-CloudTasks-TaskRetryCount``)."""
    try:
        return max(0, int(request.headers.get("X-CloudTasks-TaskRetryCount", "0")))
    except ValueError:
        return 0
