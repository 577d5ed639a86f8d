"""Loaded by every Python process of `./run test-shifted` (the suite with the clock moved).

Debian's libfaketime 0.9.10 fakes the wall clock for the whole process tree, which is what the
run is for. With ``FAKETIME_DONT_FAKE_MONOTONIC=1`` (needed: a faked monotonic clock makes every
timed lock and event wait a year long), its ``clock_nanosleep`` wrapper still shifts the absolute
monotonic deadline that CPython's ``time.sleep`` passes, and the call fails with ``EINVAL``.
``select()`` takes a relative timeout that libfaketime leaves alone, so sleeping goes through it.
Nothing here is active outside that run: the directory is on ``PYTHONPATH`` only there.
"""

from __future__ import annotations

import os
import select
import time

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
