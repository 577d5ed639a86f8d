"""Asynchronous work Google finishes "a little later": Meet creation, room answers, transfers.

Nothing runs in the background. Each piece of work has a due time on the sandbox clock and runs
the next time anybody looks at the world (every API and control request first calls
``world.settle()``), so what a client can observe is exactly what a background worker would
have done, and tests stay deterministic::

    world.pending.add("meet", "alice@acme.com/evt00001", due=world.clock.time() + 0.2,
                      run=lambda w: finish_meet(w, ...))
    world.settle()                        # runs what is due (under world.lock)
    world.pending.run_all(world)          # control API: finish everything now

A ``run`` callable must tolerate the world having moved on (event deleted, room removed...):
it looks its target up again and does nothing if it is gone.

The queue is generic in what ``run`` receives (the World that owns it), so this module does not
import the world and the world can own a queue without an import cycle.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

__all__ = ["PendingAction", "PendingQueue"]

W = TypeVar("W")
"""What every action runs on: the World that owns the queue."""


@dataclass
class PendingAction(Generic[W]):
    """One piece of deferred work."""

    seq: int
    kind: str
    """``meet``, ``room`` or ``transfer``."""
    target: str
    """What it is about, for humans (``calendar/event``, a transfer id...)."""
    due: float
    """Epoch seconds on the sandbox clock."""
    run: Callable[[W], None] = field(repr=False)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready description."""
        return {"seq": self.seq, "kind": self.kind, "target": self.target, "due": self.due}


class PendingQueue(Generic[W]):
    """Deferred work ordered by due time, then by creation."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self.actions: list[PendingAction[W]] = []

    def clear(self) -> None:
        """Forget everything (world reset)."""
        self.actions.clear()

    def add(self, kind: str, target: str, due: float, run: Callable[[W], None]) -> None:
        """Schedule ``run(world)`` for ``due`` (sandbox-clock epoch seconds)."""
        self.actions.append(PendingAction(next(self._counter), kind, target, due, run))

    def run_due(self, world: W, now: float) -> list[PendingAction[W]]:
        """Run every action due at ``now`` (including ones that running others made due)."""
        done: list[PendingAction[W]] = []
        while True:
            due = sorted((a for a in self.actions if a.due <= now), key=lambda a: (a.due, a.seq))
            if not due:
                return done
            action = due[0]
            self.actions.remove(action)
            action.run(world)
            done.append(action)

    def run_all(self, world: W, kinds: tuple[str, ...] | None = None) -> list[PendingAction[W]]:
        """Run every pending action (of ``kinds``, if given) now, whatever its due time."""
        done: list[PendingAction[W]] = []
        while True:
            left = [a for a in self.actions if kinds is None or a.kind in kinds]
            if not left:
                return done
            action = min(left, key=lambda a: (a.due, a.seq))
            self.actions.remove(action)
            action.run(world)
            done.append(action)
