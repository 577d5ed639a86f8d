"""The ``orphan_sweeper`` function's HTTP API (Cloud Scheduler; docs/sweeper.md).

    POST /            sweep every organizer-mode tenant
    POST /?dry_run=1  report what would happen, change nothing
    POST /            with JSON {"tenant_id": T, "organizer": E}: the targeted check
                      after an organizer's grant failed with invalid_grant

Cloud Scheduler sends ``X-CloudScheduler-JobName`` and
``X-CloudScheduler-ScheduleTime``; a delivery of a schedule time already swept is
answered from the record without sweeping again. Answers the summary report as JSON.
"""

from __future__ import annotations

import json
from typing import Any

from calsync.contracts import path_bound
from calsync.entrypoints.push import Response, trace_id
from calsync.entrypoints.services import Services
from calsync.errors import TransientError
from calsync.logs import configure, get_logger, log_context
from calsync.sweeper.sweep import Sweeper

__all__ = ["handle"]

_LOG = get_logger(__name__)
_JSON = {"Content-Type": "application/json"}


def handle(request: Any, services: Services) -> Response:
    """Run one sweep (or one targeted check) and answer its report."""
    configure(services.settings.project)
    body = request.get_json(silent=True) or {}
    if not isinstance(body, dict):
        return json.dumps({"error": "body must be a JSON object"}), 400, _JSON
    organizer = str(body["organizer"]).lower() if body.get("organizer") else None
    if "tenant_id" in body or organizer is not None:
        problem = path_bound(body.get("tenant_id"), organizer)
        if problem is not None:
            return json.dumps({"error": "bad_request", "message": problem}), 400, _JSON
    dry_run = str(request.args.get("dry_run", "")).lower() in ("1", "true", "yes")
    job = str(request.headers.get("X-CloudScheduler-JobName", ""))
    scheduled = str(request.headers.get("X-CloudScheduler-ScheduleTime", ""))
    with log_context(trace=trace_id(request.headers), job=job, schedule_time=scheduled):
        if job and scheduled and not dry_run:
            done = services.store.sweep_run(job, scheduled)
            if done is not None:
                _LOG.info("this scheduled sweep already ran; answering its report")
                return json.dumps(done, default=str), 200, _JSON
        try:
            report = Sweeper(services).sweep(
                dry_run=dry_run,
                tenant_id=body.get("tenant_id"),
                organizer=organizer,
            )
        except TransientError as exc:
            return json.dumps({"error": "unavailable", "message": str(exc)}), 503, _JSON
        answer = report.as_dict()
        if job and scheduled and not dry_run:
            services.store.save_sweep_run(job, scheduled, answer)
    return json.dumps(answer, default=str), 200, _JSON
