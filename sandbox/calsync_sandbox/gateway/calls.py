"""What a method handler receives and returns.

Handlers are plain functions registered by discovery method id::

    def get_event(call: Call) -> Reply:
        ...
        return Reply(200, event)

    HANDLERS: dict[str, Handler] = {"calendar.events.get": get_event}

The server validates parameters and body before a handler runs and holds ``world.lock`` while it
runs; handlers raise :class:`~calsync_sandbox.errors.ApiError` for error answers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..state.identities import Principal
from ..state.world import World
from .discovery import ApiMethod
from .validation import Params

__all__ = ["Call", "Handler", "Reply"]


@dataclass
class Call:
    """One validated API request."""

    world: World
    method: ApiMethod
    principal: Principal | None
    params: Params
    body: dict[str, Any]
    headers: Mapping[str, str]
    base_url: str

    @property
    def caller(self) -> Principal:
        """The authenticated caller (every Calendar/Directory method has one)."""
        if self.principal is None:
            raise RuntimeError(f"{self.method.id} ran without an authenticated caller")
        return self.principal


@dataclass
class Reply:
    """A handler's answer: status and JSON body (None = empty body, e.g. 204)."""

    status: int = 200
    body: dict[str, Any] | None = None


Handler = Callable[[Call], Reply]
