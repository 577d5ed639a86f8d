"""Per-identity pacing: every Google call as one identity takes a slot from a shared schedule.

Google charges its per-minute quota to the acting user (600 requests per minute per user,
facts §6.4), and in platform mode every function instance writes as the same identity. So the
slots are kept in Firestore, one document per identity (``pacing/{sha256(identity)}``), as a
generic cell rate algorithm: the document holds the theoretical arrival time (``tat``); a call
may go ``burst`` intervals ahead of it, and each call pushes it one ``interval`` on, so in any
60 s there are at most ``burst + 2 + 60 / interval`` calls, a slot spent late included (480 a
minute and a burst of 100 stay under Google's 600). A reservation takes ``block`` slots in one
transaction. Each process spends its slots in order, sleeping until each one's time; a slot not
used within ``interval`` of its time is dropped, so a late call never bunches up with the slots
other processes hold::

    pacer = FirestorePacer(lambda: client, calls_per_minute=480, burst=100, block=4, max_wait=10)
    pacer.admit("platform@acme.com")   # returns at the caller's slot, or raises Paced

A reservation whose first slot is more than ``max_wait`` seconds away is not taken: ``Paced``
(a ``TransientError``) hands the work back to Pub/Sub or Cloud Tasks, to come back later.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from calsync.errors import Paced
from calsync.logs import get_logger

if TYPE_CHECKING:
    from google.cloud import firestore

__all__ = ["FirestorePacer", "Reservation", "reserve"]

_LOG = get_logger(__name__)


@dataclass(frozen=True)
class Reservation:
    """``slots`` (epoch seconds) for the caller and the schedule's new ``tat``."""

    slots: tuple[float, ...]
    tat: float


def reserve(tat: float, now: float, count: int, interval: float, burst: int = 0) -> Reservation:
    """Take ``count`` slots: each at ``now``, or as soon as it is no more than ``burst``
    intervals ahead of the theoretical arrival time ``tat``, which it moves one interval on."""
    tolerance = burst * interval
    slots = []
    for _ in range(count):
        slot = max(now, tat - tolerance)
        tat = max(tat, slot) + interval
        slots.append(slot)
    return Reservation(tuple(slots), tat)


class FirestorePacer:
    """Slots for Google calls per identity, shared by every process through Firestore (the
    client is made on the first reservation: ``client`` is a factory)."""

    def __init__(
        self,
        client: Callable[[], firestore.Client],
        calls_per_minute: float,
        *,
        burst: int = 0,
        block: int = 4,
        max_wait: float = 10.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if calls_per_minute <= 0 or block < 1 or burst < 0:
            raise ValueError("calls_per_minute must be > 0, burst >= 0 and block >= 1")
        self._db = client
        self.interval = 60.0 / calls_per_minute
        self.burst = burst
        self.block = block
        self.max_wait = max_wait
        self._clock = clock
        self._sleep = sleep
        self._slots: dict[str, deque[float]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()

    def admit(self, identity: str) -> None:
        """Return at ``identity``'s next slot; ``Paced`` if that is over ``max_wait`` away."""
        key = identity.lower()
        with self._locks_lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:  # one identity's threads take turns; other identities go on meanwhile
            slot = self._next_local(key)
            if slot is None:
                slots = self._reserve(key)
                slot = slots.popleft()
                self._slots[key] = slots
        wait = slot - self._clock()
        if wait > 0:
            self._sleep(wait)

    def _next_local(self, key: str) -> float | None:
        slots = self._slots.get(key)
        now = self._clock()
        while slots and slots[0] < now - self.interval:
            slots.popleft()  # unused in time: dropped, never spent late
        return slots.popleft() if slots else None

    def _reserve(self, key: str) -> deque[float]:
        from google.cloud import firestore

        db = self._db()
        ref = db.collection("pacing").document(hashlib.sha256(key.encode()).hexdigest())
        now = self._clock()

        @firestore.transactional
        def take(transaction: Any) -> Reservation:
            snapshot = ref.get(transaction=transaction)
            tat = float((snapshot.to_dict() or {}).get("tat", 0.0)) if snapshot.exists else 0.0
            reservation = reserve(tat, now, self.block, self.interval, self.burst)
            wait = reservation.slots[0] - now
            if wait > self.max_wait:
                raise Paced(
                    f"{self.interval * 60:g}s per 60 calls: the next slot is {wait:.1f}s away",
                    retry_after=wait,
                )
            transaction.set(ref, {"tat": reservation.tat, "updated": now})
            return reservation

        try:
            reservation = take(db.transaction())
        except Paced:
            _LOG.info(
                "pacing: the identity's calls are booked further ahead than we wait",
                extra={"fields": {"max_wait": self.max_wait}},
            )
            raise
        return deque(reservation.slots)
