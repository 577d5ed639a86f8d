"""One cold start, measured in a fresh process (run by bench/cold_start.py).

    python bench/cold_start_probe.py <function> <request.json>
    python bench/cold_start_probe.py --floor <document path>


``CALSYNC_PROBE_ROOT`` names another checkout to load the function from (its ``shared/`` must
come first on ``PYTHONPATH``; ``bench/cold_start.py --against`` sets both).

Prints one JSON line: seconds to import functions_framework, to load the
function's module (``create_app``), to answer the first request, the CPU seconds the process
used until then (user and system, interpreter start included), and which heavy
libraries were imported after loading and after the first request.

With ``CALSYNC_PROBE_BREAKDOWN=1`` (``bench/cold_start.py --breakdown``) it also says where the
first request's time went: seconds spent in imports (outermost import statements), and how many
Firestore RPCs (gRPC calls) and HTTP calls (httplib2, requests) it made and the seconds spent in
them. The accounting wraps ``__import__`` and those calls, so it adds a little to every phase:
the plain runs are the ones to compare.

``--floor`` measures the floor every function is compared with, in the same phases: import
functions_framework; then, as "load", import google-cloud-firestore and create its client;
then, as "first request", read one document (``<document path>``, for example
``tenants/acme``). No function can start faster than that.
"""

from __future__ import annotations

import builtins
import importlib
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HEAVY = (
    "google.cloud.firestore",
    "google.cloud.pubsub_v1",
    "google.cloud.tasks_v2",
    "googleapiclient.discovery",
    "google.oauth2.service_account",
    "grpc",
    "cryptography.hazmat.primitives.ciphers.aead",
)


def _heavy() -> list[str]:
    return [name for name in HEAVY if name in sys.modules]


class Breakdown:
    """Seconds in imports, and calls and seconds of Firestore RPCs and HTTP requests, from
    ``start()`` on (outermost calls only: an import inside an import counts once)."""

    def __init__(self) -> None:
        self.figures = {"import_s": 0.0, "rpc_s": 0.0, "rpcs": 0, "http_s": 0.0, "https": 0}
        self._depth = 0
        self._wrapped: set[str] = set()
        self._on = False

    def start(self) -> None:
        self._on = True

    def report(self) -> dict[str, float]:
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in self.figures.items()}

    def _timed(self, seconds: str, count: str | None, call: Callable[..., Any]) -> Any:
        if self._depth or not self._on:
            return call()
        self._depth += 1
        started = time.perf_counter()
        try:
            return call()
        finally:
            self._depth -= 1
            self.figures[seconds] += time.perf_counter() - started
            if count:
                self.figures[count] += 1
            self._wrap_new()

    def install(self) -> None:
        original_import, original_import_module = builtins.__import__, importlib.import_module

        def traced_import(*args: Any, **kwargs: Any) -> Any:
            return self._timed("import_s", None, lambda: original_import(*args, **kwargs))

        def traced_import_module(*args: Any, **kwargs: Any) -> Any:
            return self._timed("import_s", None, lambda: original_import_module(*args, **kwargs))

        builtins.__import__ = traced_import
        importlib.import_module = traced_import_module

    def _wrap(self, owner: Any, name: str, seconds: str, count: str) -> None:
        original = getattr(owner, name)

        def traced(*args: Any, **kwargs: Any) -> Any:
            return self._timed(seconds, count, lambda: original(*args, **kwargs))

        setattr(owner, name, traced)

    def _wrap_new(self) -> None:
        """Wrap the RPC and HTTP entry points of the libraries imported since the last call."""
        channel = sys.modules.get("grpc._channel")
        if channel is not None and "grpc" not in self._wrapped:
            self._wrapped.add("grpc")
            for kind in ("_UnaryUnaryMultiCallable", "_UnaryStreamMultiCallable"):
                self._wrap(getattr(channel, kind), "__call__", "rpc_s", "rpcs")
            self._wrap(channel._UnaryUnaryMultiCallable, "with_call", "rpc_s", "rpcs")
        for module, owner, key in (("httplib2", "Http", "httplib2"), ("requests", "Session", "rq")):
            loaded = sys.modules.get(module)
            if loaded is not None and key not in self._wrapped:
                self._wrapped.add(key)
                self._wrap(getattr(loaded, owner), "request", "http_s", "https")


BREAKDOWN = Breakdown() if os.environ.get("CALSYNC_PROBE_BREAKDOWN") == "1" else None


def floor(document: str) -> None:
    """The floor: functions-framework, a Firestore client and one document read."""
    started = time.perf_counter()
    import functions_framework  # noqa: F401

    framework = time.perf_counter()
    from google.cloud import firestore

    client = firestore.Client(project=os.environ["GOOGLE_CLOUD_PROJECT"])
    loaded = time.perf_counter()
    after_import = _heavy()
    modules_after_import = len(sys.modules)
    if BREAKDOWN is not None:
        BREAKDOWN.start()
    found = client.document(document).get().exists
    answered = time.perf_counter()
    print(
        json.dumps(
            {
                "function": "floor",
                "import_framework_s": round(framework - started, 3),
                "load_function_s": round(loaded - framework, 3),
                "first_request_s": round(answered - loaded, 3),
                "cpu_s": round(time.process_time(), 3),
                "status": 200 if found else 404,
                "modules_after_load": modules_after_import,
                "heavy_after_load": after_import,
                "heavy_after_first_request": _heavy(),
                **(BREAKDOWN.report() if BREAKDOWN is not None else {}),
            }
        )
    )


def main() -> None:
    if sys.argv[1] == "--floor":
        if BREAKDOWN is not None:
            BREAKDOWN.install()
        floor(sys.argv[2])
        return
    if BREAKDOWN is not None:
        BREAKDOWN.install()
    name, request_file = sys.argv[1], Path(sys.argv[2])
    root = Path(os.environ.get("CALSYNC_PROBE_ROOT") or Path(__file__).resolve().parents[1])
    source = root / "functions" / name / "main.py"
    started = time.perf_counter()
    import functions_framework

    framework = time.perf_counter()
    app = functions_framework.create_app(name, str(source), "http")  # type: ignore[no-untyped-call]
    loaded = time.perf_counter()
    after_import = _heavy()
    modules_after_import = len(sys.modules)
    request = json.loads(request_file.read_text())
    if BREAKDOWN is not None:
        BREAKDOWN.start()
    response = app.test_client().open(
        request.get("path", "/"),
        method=request.get("method", "POST"),
        json=request.get("json"),
        headers=request.get("headers", {}),
    )
    answered = time.perf_counter()
    print(
        json.dumps(
            {
                "function": name,
                "import_framework_s": round(framework - started, 3),
                "load_function_s": round(loaded - framework, 3),
                "first_request_s": round(answered - loaded, 3),
                "cpu_s": round(time.process_time(), 3),
                "status": response.status_code,
                "modules_after_load": modules_after_import,
                "heavy_after_load": after_import,
                "heavy_after_first_request": _heavy(),
                **(BREAKDOWN.report() if BREAKDOWN is not None else {}),
            }
        )
    )


if __name__ == "__main__":
    main()
