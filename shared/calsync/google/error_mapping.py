"""Turn Google client-library failures into calsync's error classes.

Google's error body is ``{"error": {"code", "message", "errors": [{"reason", ...}]}}``.
Rate limits come as 403 or 429 with ``rateLimitExceeded``/``userRateLimitExceeded``
and are transient; ``quotaExceeded`` is Calendar's anti-abuse limiter and must be
retried much later, not in a loop.
"""

from __future__ import annotations

import json
import socket
from typing import Any

from calsync.errors import (
    ConfigurationError,
    Duplicate,
    Gone,
    GoogleError,
    InvalidGrant,
    NotFound,
    PermanentGoogleError,
    PreconditionFailed,
    QuotaExceeded,
    TransientError,
)

__all__ = ["classify", "error_reason", "is_transient"]

_CONFIG_REFRESH_ERRORS = (
    "invalid_client",
    "unauthorized_client",
    "invalid_scope",
    "iam_sign_jwt_refused",
)
"""Token-endpoint errors that only an operator can fix (a wrong client or missing delegation),
and IAM refusing to sign a keyless delegation's assertion (a missing token creator role)."""
_RATE_LIMIT_REASONS = {"rateLimitExceeded", "userRateLimitExceeded", "backendError"}


def error_reason(content: bytes) -> tuple[str, str]:
    """(reason, message) from a Google error body; empty strings when it has none."""
    try:
        error: Any = json.loads(content.decode("utf-8", "replace")).get("error", {})
    except (ValueError, AttributeError):
        return "", ""
    if not isinstance(error, dict):
        return str(error), ""
    details = error.get("errors") or [{}]
    reason = str(details[0].get("reason", "") or error.get("status", ""))
    return reason, str(error.get("message", ""))


def classify(exc: BaseException) -> BaseException:
    """The calsync error for a failure raised by googleapiclient / google-auth / httplib2."""
    from google.auth.exceptions import RefreshError, TransportError
    from googleapiclient.errors import HttpError

    if isinstance(exc, HttpError):
        status = int(exc.resp.status)
        reason, message = error_reason(exc.content)
        return _for_status(status, reason, message)
    if isinstance(exc, RefreshError):
        text = str(exc)
        if "invalid_grant" in text:
            return InvalidGrant(text)
        if any(code in text for code in _CONFIG_REFRESH_ERRORS):
            return ConfigurationError(f"Google refused calsync's credentials: {text}")
        return TransientError(f"token refresh failed: {text}")
    if isinstance(exc, TransportError | socket.timeout | TimeoutError | ConnectionError | OSError):
        return TransientError(f"network error talking to Google: {exc!r}")
    return exc


def _for_status(status: int, reason: str, message: str) -> GoogleError | TransientError:
    if status == 409 and reason == "duplicate":
        return Duplicate(status, reason, message)
    if status == 412:
        return PreconditionFailed(status, reason, message)
    if status == 410:
        return Gone(status, reason, message)
    if status == 404:
        return NotFound(status, reason, message)
    if reason == "quotaExceeded":
        return QuotaExceeded(status, reason, message)
    if status in (429, 500, 502, 503, 504) or (status == 403 and reason in _RATE_LIMIT_REASONS):
        return TransientError(f"Google {status} {reason}: {message}")
    return PermanentGoogleError(status, reason or "error", message)


def is_transient(exc: BaseException) -> bool:
    """True for failures worth retrying within the same invocation."""
    return isinstance(classify(exc), TransientError)
