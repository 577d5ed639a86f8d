"""Bench-only: count the Firestore RPCs and billable document operations of this process.

Loaded by every Python process started with this directory on ``PYTHONPATH`` (``bench/costs.py``
sets it for the local stack's functions); does nothing unless ``CALSYNC_BENCH_RPC_DIR`` names a
directory. Counts, per gRPC method, the calls, and the documents Firestore bills: each write of
a ``Commit``, each document a ``BatchGetDocuments`` asks for (found or missing), each one a
``RunQuery`` returns (a query that returns none is billed one read), one per aggregation query.
Written to ``$CALSYNC_BENCH_RPC_DIR/<pid>.json`` twice a second and at exit.
"""

from __future__ import annotations

import atexit
import json
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

_DIR = os.environ.get("CALSYNC_BENCH_RPC_DIR", "")
_COUNTS: Counter[str] = Counter()
_LOCK = threading.Lock()


_FLUSHING: set[int] = set()


def _add(**figures: int) -> None:
    with _LOCK:
        _COUNTS.update(figures)
        pid = os.getpid()
        if pid not in _FLUSHING:  # first count in this process (a server may fork after start)
            _FLUSHING.add(pid)
            threading.Thread(target=_loop, name="bench-rpc-counter", daemon=True).start()


def _loop() -> None:
    while True:
        threading.Event().wait(0.5)
        _flush()


def _flush() -> None:
    with _LOCK:
        data = dict(_COUNTS)
    path = os.path.join(_DIR, f"{os.getpid()}.json")
    with open(path + ".tmp", "w") as out:
        json.dump(data, out)
    os.replace(path + ".tmp", path)


def _method(callable_: Any) -> str:
    method = getattr(callable_, "_method", b"")
    text = method.decode() if isinstance(method, bytes) else str(method)
    return text.rsplit("/", 1)[-1]


def _count_request(name: str, request: Any) -> None:
    _add(**{f"rpc:{name}": 1})
    if name == "Commit":
        _add(firestore_writes=len(getattr(request, "writes", []) or []))
    elif name == "RunAggregationQuery":
        _add(firestore_reads=1)


def _counted_stream(name: str, responses: Iterator[Any]) -> Iterator[Any]:
    found = 0
    for response in responses:
        if name == "BatchGetDocuments" and (
            getattr(response, "found", None) or getattr(response, "missing", "")
        ):
            found += 1  # a document asked for is billed whether or not it exists
            _add(firestore_reads=1)
        elif name == "RunQuery" and getattr(response, "document", None):
            found += 1
            _add(firestore_reads=1)
        yield response
    if name == "RunQuery" and not found:
        _add(firestore_reads=1)  # a query that returns nothing is billed one read


def _wrap(cls: Any, attribute: str, stream: bool) -> None:
    original: Callable[..., Any] = getattr(cls, attribute)

    def counted(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        name = _method(self)
        _count_request(name, request)
        answer = original(self, request, *args, **kwargs)
        return _counted_stream(name, answer) if stream else answer

    setattr(cls, attribute, counted)


def _install() -> None:
    import grpc._channel as channel  # type: ignore[import-untyped]  # the emulator's client

    _wrap(channel._UnaryUnaryMultiCallable, "__call__", stream=False)
    _wrap(channel._UnaryUnaryMultiCallable, "with_call", stream=False)
    _wrap(channel._UnaryStreamMultiCallable, "__call__", stream=True)
    atexit.register(_flush)


if _DIR:
    _install()
