"""Loaded by every Python process of `./run test-shifted` (the suite with the clock moved).

Debian's libfaketime 0.9.10 fakes the wall clock for the whole process tree, which is what the
run is for. Two of its flaws need a work-around inside each Python process:

- Sleeping. With ``FAKETIME_DONT_FAKE_MONOTONIC=1`` (needed: a faked monotonic clock makes every
  timed lock and event wait a year long), its ``clock_nanosleep`` wrapper still shifts the
  absolute monotonic deadline that CPython's ``time.sleep`` passes, and the call fails with
  ``EINVAL``. ``select()`` takes a relative timeout that libfaketime leaves alone, so sleeping
  goes through it.
- The environment. Its ``pthread_cond_timedwait`` wrapper calls ``getenv("FAKETIME_WAIT_MS")``
  on every call, and CPython waits for the GIL with ``pthread_cond_timedwait``: every thread
  switch reads the C environment. ``os.environ[...] = ...`` (the tests' environment isolation,
  the stack's wiring) calls ``setenv()``, which may move the C environment's array and free the
  old one under a reader in another thread: a segmentation fault in ``getenv`` (seen with gdb in
  a core of a crashed run). So here ``os.environ`` stops writing through to the C environment,
  which then never changes after start-up, and ``subprocess`` hands children ``os.environ``
  explicitly, so they see every change as before.

Nothing here is active outside that run: the directory is on ``PYTHONPATH`` only there.
"""

from __future__ import annotations

import os
import select
import subprocess
import time
from typing import Any

_real_sleep = time.sleep
_PopenInit = subprocess.Popen.__init__


def _sleep(seconds: float) -> None:
    """time.sleep that survives libfaketime: wait on select() until the monotonic deadline."""
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        select.select([], [], [], left)


def _keep_in_python(*_args: Any) -> None:
    """os.environ's write-through to the C environment (putenv/unsetenv), switched off."""


def _popen_init(self: subprocess.Popen[Any], *args: Any, **kwargs: Any) -> None:
    """Popen that gives the child os.environ when the caller gives no environment."""
    if len(args) <= 10 and kwargs.get("env") is None:  # env is Popen's 11th positional parameter
        kwargs["env"] = dict(os.environ)
    _PopenInit(self, *args, **kwargs)


if "faketime" in os.environ.get("LD_PRELOAD", ""):
    time.sleep = _sleep
    # os.environ's __setitem__ and __delitem__ call these module globals of os
    os.putenv = _keep_in_python
    os.unsetenv = _keep_in_python
    subprocess.Popen.__init__ = _popen_init  # type: ignore[method-assign]
