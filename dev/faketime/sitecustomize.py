"""Loaded by every Python process of `./run test-shifted` (the suite with the clock moved).

Debian's libfaketime 0.9.10 fakes the wall clock for the whole process tree, which is what the
run is for. With ``FAKETIME_DONT_FAKE_MONOTONIC=1`` (needed: a faked monotonic clock makes every
timed lock and event wait a year long), its ``clock_nanosleep`` wrapper still shifts the absolute
monotonic deadline that CPython's ``time.sleep`` passes, and the call fails with ``EINVAL``.
``select()`` takes a relative timeout that libfaketime leaves alone, so sleeping goes through it,
and so do ``threading.Condition``'s timed waits (``Event.wait``, ``queue.get`` and the sandbox's
background threads use them), which crashed the process under libfaketime.
Nothing here is active outside that run: the directory is on ``PYTHONPATH`` only there.
"""

from __future__ import annotations

import _thread
import contextlib
import os
import select
import threading
import time
from typing import Any

_real_sleep = time.sleep


def _sleep(seconds: float) -> None:
    """time.sleep that survives libfaketime: wait on select() until the monotonic deadline."""
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        select.select([], [], [], left)


if "faketime" in os.environ.get("LD_PRELOAD", ""):
    time.sleep = _sleep


def _poll_acquire(lock: Any, timeout: float) -> bool:
    """``lock.acquire(True, timeout)`` without a timed wait: poll, sleeping through select()."""
    deadline = time.monotonic() + timeout
    pause = 0.0005
    while True:
        if lock.acquire(False):
            return True
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        select.select([], [], [], min(pause, left))
        pause = min(pause * 2, 0.01)


def _condition_wait(self: Any, timeout: float | None = None) -> bool:
    """threading.Condition.wait whose timed wait polls instead of blocking in the C library.

    A timed lock acquire ends in ``sem_clockwait``/``pthread_cond_timedwait``, which
    libfaketime wraps; under it the sandbox's push delivery thread crashed the process with a
    segmentation fault in ``Condition.wait(timeout)``. Untimed waits are left as they are."""
    if timeout is None:
        return _real_condition_wait(self, None)
    if not self._is_owned():
        raise RuntimeError("cannot wait on un-acquired lock")
    waiter = _thread.allocate_lock()
    waiter.acquire()
    self._waiters.append(waiter)
    saved_state = self._release_save()
    gotit = False
    try:
        gotit = waiter.acquire(False) if timeout <= 0 else _poll_acquire(waiter, timeout)
        return gotit
    finally:
        self._acquire_restore(saved_state)
        if not gotit:
            with contextlib.suppress(ValueError):
                self._waiters.remove(waiter)


_real_condition_wait = getattr(threading.Condition.wait, "__wrapped__", threading.Condition.wait)
_condition_wait.__wrapped__ = _real_condition_wait  # type: ignore[attr-defined]
if "faketime" in os.environ.get("LD_PRELOAD", ""):
    threading.Condition.wait = _condition_wait  # type: ignore[method-assign]
