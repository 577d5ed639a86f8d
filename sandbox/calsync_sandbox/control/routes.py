"""What a control route is, and how its handler reads the request body and refuses bad input.

    Route("POST", "/_sandbox/users", self.add_user)        # handler(body, **path_values) -> JSON
    email = need(body, "email")                            # ControlError 400 when missing
    delay = number(body, "delay", 0.0)                     # ValueError 400 unless a number >= 0

Route groups (one class per concept: :mod:`.people`, :mod:`.oauth`, :mod:`.calendars`...) list
their routes; :class:`~calsync_sandbox.control.api.ControlApi` answers them. A handler refuses
input by raising :class:`ControlError` (its status), ``ValueError`` (400) or ``LookupError``
(404).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["JSON", "ControlError", "Route", "need", "number"]

JSON = dict[str, Any]


@dataclass(frozen=True)
class Route:
    """One control route: ``verb path`` answered by ``handler(body, **path_values)``."""

    verb: str
    path: str
    handler: Callable[..., JSON]
    under_lock: bool = True
    """False: the handler runs without ``world.lock`` and without settling pending work first,
    and gets no path values (task delivery, whose requests call back into the sandbox)."""


class ControlError(Exception):
    """Bad control input: answered as ``{"error": message}`` with ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def need(body: JSON, key: str) -> Any:
    """``body[key]``, or ControlError 400 when it is missing, null or empty."""
    if key not in body or body[key] in (None, ""):
        raise ControlError(400, f"missing field: {key}")
    return body[key]


def number(body: JSON, key: str, default: float | None = None) -> float:
    """``body[key]`` (or ``default``) as a float; ValueError unless a number >= 0."""
    value = body.get(key, default)
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{key} must be a number")
    if value < 0:
        raise ValueError(f"{key} must not be negative")
    return float(value)
