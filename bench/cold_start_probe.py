"""One cold start, measured in a fresh process (run by bench/cold_start.py).

    python bench/cold_start_probe.py <function> <request.json>
    python bench/cold_start_probe.py --floor <document path>


``CALSYNC_PROBE_ROOT`` names another checkout to load the function from (its ``shared/`` must
come first on ``PYTHONPATH``; ``bench/cold_start.py --against`` sets both).

Prints one JSON line: seconds to import functions_framework, to load the
function's module (``create_app``), to answer the first request, and which heavy
libraries were imported after loading and after the first request.

``--floor`` measures the floor every function is compared with, in the same phases: import
functions_framework; then, as "load", import google-cloud-firestore and create its client;
then, as "first request", read one document (``<document path>``, for example
``tenants/acme``). No function can start faster than that.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

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
    found = client.document(document).get().exists
    answered = time.perf_counter()
    print(
        json.dumps(
            {
                "function": "floor",
                "import_framework_s": round(framework - started, 3),
                "load_function_s": round(loaded - framework, 3),
                "first_request_s": round(answered - loaded, 3),
                "status": 200 if found else 404,
                "modules_after_load": modules_after_import,
                "heavy_after_load": after_import,
                "heavy_after_first_request": _heavy(),
            }
        )
    )


def main() -> None:
    if sys.argv[1] == "--floor":
        floor(sys.argv[2])
        return
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
                "status": response.status_code,
                "modules_after_load": modules_after_import,
                "heavy_after_load": after_import,
                "heavy_after_first_request": _heavy(),
            }
        )
    )


if __name__ == "__main__":
    main()
