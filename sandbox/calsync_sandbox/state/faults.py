"""Injected faults and per-minute rate limits.

    book.add(method="calendar.events.insert", action="error", status=503, reason="backendError",
             count=2)
    fault = book.take("calendar.events.insert", "alice@acme.com")   # first matching live fault
    error = book.check_rate("alice@acme.com", now)                  # ApiError or None

A fault matches on method id (exact, ``*``, or a glob such as ``calendar.events.*``) and
optionally the caller's email. ``*`` means every API method; the token endpoint (``oauth2.token``)
is only hit when named (or globbed as ``oauth2.*``). ``count`` limits how many requests it hits
(None = until cleared).
Actions: ``error`` (HTTP status + reason in Google's body), ``delay`` (sleep, then answer
normally) and ``drop`` (close the connection without answering).

Rate limits model Google's sliding per-minute quotas, on by default at Calendar's published
figures (600 requests per minute per user, 10,000 per project: facts §6.4), counted apart for each
API (Calendar, Directory, Data Transfer, Cloud Tasks: each has its own quota; the sandbox applies
Calendar's figures to every one, the stricter reading). Over the per-user limit Google answers
403 ``userRateLimitExceeded`` (domain ``usageLimits``); over the per-project limit 403
``rateLimitExceeded``. Google documents that these may also come as 429, so ``status=429``
switches both to 429 ``rateLimitExceeded``.
"""

from __future__ import annotations

import fnmatch
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

from ..errors import ApiError

__all__ = [
    "DEFAULT_MESSAGES",
    "PER_PROJECT_PER_MINUTE",
    "PER_USER_PER_MINUTE",
    "Fault",
    "FaultBook",
    "RateLimit",
]

# Google's messages (and error domains) for the reasons tests usually inject.
DEFAULT_MESSAGES: dict[str, tuple[str, str]] = {
    "backendError": ("global", "Backend Error"),
    "internalError": ("global", "Internal Error"),
    "rateLimitExceeded": ("usageLimits", "Rate Limit Exceeded"),
    "userRateLimitExceeded": ("usageLimits", "User Rate Limit Exceeded"),
    "quotaExceeded": ("usageLimits", "Calendar usage limits exceeded."),
    "notFound": ("global", "Not Found"),
    "forbidden": ("global", "Forbidden"),
}

_WINDOW_SECONDS = 60.0


@dataclass
class Fault:
    """One injected fault."""

    id: int
    method: str
    user: str | None
    action: str
    status: int
    reason: str
    message: str
    delay: float
    remaining: int | None
    hits: int = 0

    def matches(self, method_id: str, user: str | None) -> bool:
        """True if this live fault applies to the request."""
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.user is not None and (user or "").lower() != self.user.lower():
            return False
        if self.method == "*":
            return not method_id.startswith("oauth2.")  # the token endpoint only when named
        return fnmatch.fnmatchcase(method_id, self.method)

    def error(self, grpc_style: bool) -> ApiError:
        """The ApiError this fault answers with."""
        domain = DEFAULT_MESSAGES.get(self.reason, ("global", ""))[0]
        return ApiError(
            self.status, self.reason, self.message, domain=domain, grpc_style=grpc_style
        )


PER_USER_PER_MINUTE = 600
"""Calendar's published requests per minute per user per project (facts §6.4)."""
PER_PROJECT_PER_MINUTE = 10_000
"""Calendar's published requests per minute per project (facts §6.4)."""


@dataclass
class RateLimit:
    """Per-minute request limits (None = unlimited) and the status used when exceeded."""

    per_user_per_minute: int | None = PER_USER_PER_MINUTE
    per_project_per_minute: int | None = PER_PROJECT_PER_MINUTE
    status: int = 403


class FaultBook:
    """The live faults and rate-limit windows."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self.rate = RateLimit()
        self._user_window: dict[tuple[str, str], deque[float]] = {}
        self._project_window: dict[str, deque[float]] = {}

    def add(
        self,
        *,
        method: str = "*",
        user: str | None = None,
        action: str = "error",
        status: int = 503,
        reason: str = "backendError",
        message: str | None = None,
        delay: float = 0.0,
        count: int | None = None,
    ) -> Fault:
        """Register a fault; it applies to the next ``count`` matching requests."""
        if action not in ("error", "delay", "drop"):
            raise ValueError(f"action must be error, delay or drop, not {action!r}")
        text = message or DEFAULT_MESSAGES.get(reason, ("global", reason))[1]
        fault = Fault(
            len(self.faults) + 1, method, user, action, status, reason, text, delay, count
        )
        self.faults.append(fault)
        return fault

    def clear(self) -> None:
        """Remove every fault."""
        self.faults.clear()

    def take(self, method_id: str, user: str | None) -> Fault | None:
        """The first live fault matching the request, spending one of its uses."""
        for fault in self.faults:
            if fault.matches(method_id, user):
                fault.hits += 1
                if fault.remaining is not None:
                    fault.remaining -= 1
                return fault
        return None

    def as_dicts(self) -> list[dict[str, Any]]:
        """All faults (spent ones included) as JSON-ready dicts."""
        return [asdict(f) for f in self.faults]

    def set_rate(self, limit: RateLimit) -> None:
        """Replace the limits and forget the current windows."""
        self.rate = limit
        self._user_window.clear()
        self._project_window.clear()

    def check_rate(
        self, user: str | None, now: float, grpc_style: bool = False, api: str = "calendar"
    ) -> ApiError | None:
        """Count one request to ``api``; return the error to answer with if it is over a
        limit."""
        user_window = self._user_window.setdefault((api, (user or "").lower()), deque())
        project_window = self._project_window.setdefault(api, deque())
        for window in (user_window, project_window):
            while window and window[0] <= now - _WINDOW_SECONDS:
                window.popleft()
        limit = self.rate
        over_user = (
            user is not None
            and limit.per_user_per_minute is not None
            and len(user_window) >= limit.per_user_per_minute
        )
        over_project = (
            limit.per_project_per_minute is not None
            and len(project_window) >= limit.per_project_per_minute
        )
        if over_user or over_project:
            reason = "userRateLimitExceeded" if over_user else "rateLimitExceeded"
            if limit.status == 429:
                reason = "rateLimitExceeded"
            domain, message = DEFAULT_MESSAGES[reason]
            return ApiError(limit.status, reason, message, domain=domain, grpc_style=grpc_style)
        user_window.append(now)
        project_window.append(now)
        return None
