"""What a connect or disconnect flow answers: where to send the browser (``FlowStart``), a
finished flow (``FlowDone``), or a refusal whose ``code`` the pages explain (``FlowRefused``,
see ``calsync.organizers.pages``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from calsync.errors import CalsyncError
from calsync.organizers.oauth_flow import Purpose

__all__ = ["FlowDone", "FlowRefused", "FlowStart"]


class FlowRefused(CalsyncError):
    """The flow cannot go on; ``code`` names why (see ``calsync.organizers.pages``)."""

    def __init__(
        self, code: str, detail: str = "", *, missing: list[str] | None = None, status: int = 400
    ) -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail
        self.missing = missing or []
        self.status = status


@dataclass(frozen=True)
class FlowStart:
    """Where to send the browser, and the ``Set-Cookie`` value binding the flow to it (none
    for a hop URL handed to the platform: the browser that opens it gets its cookie there)."""

    url: str
    cookie: str | None = None


@dataclass(frozen=True)
class FlowDone:
    """A finished flow."""

    purpose: Purpose
    tenant_id: str
    organizer: str
    scopes: list[str] = field(default_factory=list)
