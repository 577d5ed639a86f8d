"""What one sweep found and did: ``SweepReport`` (docs/sweeper.md, "When it runs").

``Sweeper.sweep`` creates one per run and fills it as it goes: counters per outcome,
the suspended organizers found (``tenant:email``), tenants skipped and why, and one
action per item handed over (``item``, ``from``, ``to``, ``parts``, ``method``,
``via``, ``status``, ``error``, ``resumed``). ``as_dict()`` is what the
``orphan_sweeper`` function answers and, without ``actions``, what it logs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["SweepReport"]


@dataclass
class SweepReport:
    """What a sweep found and did (returned, logged, and answered by the function)."""

    dry_run: bool
    tenants: int = 0
    suspended_organizers: list[str] = field(default_factory=list)
    parts_transferred: int = 0
    parts_recreated: int = 0
    parts_handed_on: int = 0
    parts_failed: int = 0
    hand_overs_retrying: int = 0
    transfers_in_progress: int = 0
    skipped: dict[str, str] = field(default_factory=dict)
    actions: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)
