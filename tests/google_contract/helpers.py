"""Small helpers of the conformance tests: event bodies, error reasons, waiting for Google."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from calsync_dev.dates import at

__all__ = ["error_reason", "slot", "wait_for"]


def slot(day: int = 3, **extra: Any) -> dict[str, Any]:
    """An event body from 10:00 to 11:00 UTC on upcoming day ``day``."""
    body: dict[str, Any] = {
        "summary": "calsync conformance test",
        "start": {"dateTime": at(day, "10:00"), "timeZone": "UTC"},
        "end": {"dateTime": at(day, "11:00"), "timeZone": "UTC"},
    }
    body.update(extra)
    return body


def error_reason(exc: Any) -> str:
    """The machine reason of a googleapiclient HttpError (``errors[0].reason``)."""
    return str(json.loads(exc.content)["error"]["errors"][0]["reason"])


def wait_for(check: Callable[[], Any], timeout: float = 60.0, every: float = 0.5) -> Any:
    """Call ``check`` until it returns something truthy (Google answers asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(every)
