"""The ``rooms`` function's HTTP API (IAM-authenticated in production; docs/rooms.md).

    GET  /?tenant=T&start=ISO&end=ISO[&min_capacity=N][&building=B][&organizer=E]
         → 200 {"rooms": [...], "catalog_refreshed_at": ISO}
    POST /refresh?tenant=T[&organizer=E] → 200 {"rooms": N}

Errors are JSON ``{"error": code, "message": ...}``: 400 bad parameters, 404
unknown tenant, 409 nobody may read the tenant's rooms, 503 Google unavailable.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from calsync.contracts import path_bound
from calsync.entrypoints.push import Response, trace_id
from calsync.entrypoints.services import Services
from calsync.errors import ConfigurationError, PermanentGoogleError, TransientError
from calsync.logs import configure, get_logger, log_context
from calsync.rooms.availability import RoomQuery
from calsync.rooms.catalog import NoRoomReader, RoomCatalog

__all__ = ["handle"]

_LOG = get_logger(__name__)
_JSON = {"Content-Type": "application/json"}


def _answer(status: int, body: dict[str, Any]) -> Response:
    return json.dumps(body), status, _JSON


def _error(status: int, code: str, message: str) -> Response:
    return _answer(status, {"error": code, "message": message})


def _query(args: Any) -> RoomQuery:
    try:
        return RoomQuery(
            start=datetime.fromisoformat(str(args.get("start", ""))),
            end=datetime.fromisoformat(str(args.get("end", ""))),
            min_capacity=int(args.get("min_capacity", 0) or 0),
            building=args.get("building") or None,
        )
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{exc}; expected start and end as ISO 8601 with offset, min_capacity as a number"
        ) from exc


def handle(request: Any, services: Services) -> Response:
    """Answer one request to the rooms function."""
    configure(services.settings.project)
    tenant_id = str(request.args.get("tenant", ""))
    organizer = str(request.args.get("organizer", "")).strip().lower() or None
    problem = path_bound(tenant_id, organizer)
    if problem is not None:
        return _error(400, "bad_request", problem)
    with log_context(tenant_id=tenant_id, trace=trace_id(request.headers)):
        tenant = services.store.get_tenant(tenant_id)
        if tenant is None:
            return _error(404, "unknown_tenant", f"no tenant {tenant_id!r}")
        catalog = RoomCatalog(services.store, services.settings)
        try:
            if request.method == "POST" and request.path.rstrip("/").endswith("/refresh"):
                return _answer(200, {"rooms": len(catalog.refresh(tenant, organizer))})
            if request.method != "GET":
                return _error(405, "method_not_allowed", "use GET, or POST /refresh")
            try:
                query = _query(request.args)
            except ValueError as exc:
                return _error(400, "bad_request", str(exc))
            free, refreshed = catalog.available(tenant, query, organizer)
        except NoRoomReader as exc:
            return _error(409, "no_room_reader", str(exc))
        except (TransientError, ConfigurationError) as exc:
            _LOG.warning("rooms lookup failed", extra={"fields": {"error": str(exc)}})
            return _error(503, "unavailable", "Google or calsync is not available; retry")
        except PermanentGoogleError as exc:
            return _error(502, exc.reason, exc.message)
        return _answer(
            200,
            {
                "rooms": [room.model_dump(exclude_none=True) for room in free],
                "catalog_refreshed_at": refreshed.isoformat(),
            },
        )
