"""HTTP entry-point plumbing shared by the functions.

``pubsub_push`` unwraps a Pub/Sub push request (``{"message": {"data": base64,
...}, "subscription": ...}``) and maps a handler's ``Outcome`` and calsync's
errors to the answer Pub/Sub understands: 2xx acknowledges, anything else makes
it redeliver (and, past the dead-letter policy's attempts, dead-letter).

Every line logged for a push carries the message id, the request's trace and Pub/Sub's
``delivery_attempt`` (set when the subscription has a dead-letter policy); an answer that
does not acknowledge also logs ``NOT_ACKNOWLEDGED``, so a failed push on the last attempt
(``delivery_attempt`` = ``max_delivery_attempts``) is a dead-lettered message
(terraform/monitoring.tf counts them).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any

from calsync.entrypoints.platform_events import Outcome
from calsync.errors import ConfigurationError, TransientError
from calsync.logs import configure, get_logger, log_context

__all__ = ["NOT_ACKNOWLEDGED", "Response", "pubsub_push", "trace_id"]

_LOG = get_logger(__name__)
Handler = Callable[[bytes], Outcome]
Response = tuple[str, int, dict[str, str]]
_JSON = {"Content-Type": "application/json"}
NOT_ACKNOWLEDGED = "push not acknowledged; Pub/Sub redelivers it or dead-letters it"
"""The line logged for every push answered with anything but 2xx (a log-based metric's)."""


def trace_id(headers: Any) -> str:
    """The trace id from ``X-Cloud-Trace-Context`` (``TRACE/SPAN;o=1``), or empty."""
    value = str(headers.get("X-Cloud-Trace-Context", "") or "")
    return value.split("/", 1)[0]


def _answer(outcome: str, status: int, **fields: Any) -> Response:
    return json.dumps({"outcome": outcome, **fields}), status, _JSON


def pubsub_push(request: Any, handler: Handler, project: str = "") -> Response:
    """Run ``handler`` on the push message in ``request`` (a flask/werkzeug request)."""
    configure(project)
    try:
        envelope = request.get_json(silent=True)
    except RecursionError:  # nested too deeply to parse: not an envelope Pub/Sub sends
        envelope = None
    message = envelope.get("message") if isinstance(envelope, dict) else None
    if not isinstance(message, dict):
        _LOG.error("request is not a Pub/Sub push envelope; refusing it")
        return _answer("bad_request", 400, error="expected a Pub/Sub push envelope")
    try:
        data = base64.b64decode(message.get("data", ""), validate=True)
    except (binascii.Error, ValueError):
        data = b"\xff"  # undecodable: the handler rejects it as not JSON
    fields = {
        "message_id": message.get("messageId", ""),
        "trace": trace_id(request.headers),
        "delivery_attempt": _delivery_attempt(envelope),
    }
    with log_context(**fields):
        response = _handle(handler, data)
        if not 200 <= response[1] < 300:
            _LOG.warning(NOT_ACKNOWLEDGED, extra={"fields": {"http_status": response[1]}})
    return response


def _delivery_attempt(envelope: dict[str, Any]) -> int:
    """Pub/Sub's count of this message's deliveries (0 when the envelope has none)."""
    attempt = envelope.get("deliveryAttempt")
    return attempt if isinstance(attempt, int) and not isinstance(attempt, bool) else 0


def _handle(handler: Handler, data: bytes) -> Response:
    try:
        outcome = handler(data)
    except TransientError as exc:
        _LOG.warning(
            "transient failure; Pub/Sub will redeliver", extra={"fields": {"error": str(exc)}}
        )
        return _answer("retry", 503, error=str(exc))
    except ConfigurationError as exc:
        _LOG.error("calsync is misconfigured", extra={"fields": {"error": str(exc)}})
        return _answer("retry", 500, error=str(exc))
    except Exception as exc:  # the edge: anything unexpected is logged and redelivered
        _LOG.exception("unexpected failure; Pub/Sub will redeliver")
        return _answer("retry", 500, error=type(exc).__name__)
    if outcome is Outcome.RETRY:
        return _answer("retry", 503)
    return _answer("ack", 200)
