"""The official Firestore and Pub/Sub emulators from the Google Cloud CLI."""

from __future__ import annotations

import os
import shutil
import time
import urllib.error
import urllib.request
from pathlib import Path

from calsync_dev.processes import ManagedProcess, StackError, http_ok, port_is_free

__all__ = ["check_prerequisites", "reset_firestore", "start_firestore", "start_pubsub"]

# seconds an emulator may take to answer; `./run test-shifted` allows more, since under
# libfaketime the JVMs start several times slower
_START_TIMEOUT = float(os.environ.get("CALSYNC_EMULATOR_START_SECONDS", "60"))


def check_prerequisites() -> None:
    """Fail with a clear message when gcloud or Java is missing."""
    if shutil.which("gcloud") is None:
        raise StackError(
            "the Google Cloud CLI (gcloud) is not on PATH; install it with the "
            "cloud-firestore-emulator and pubsub-emulator components"
        )
    if shutil.which("java") is None:
        raise StackError("Java (17 or newer) is not on PATH; the emulators need it")


def _require_free(port: int, what: str) -> None:
    if not port_is_free(port):
        raise StackError(f"port {port} for the {what} is busy; stop what uses it or pick another")


def start_firestore(port: int, logs: Path) -> ManagedProcess:
    """Start the Firestore emulator on ``127.0.0.1:port`` and wait until it answers."""
    _require_free(port, "Firestore emulator")
    process = ManagedProcess(
        "firestore-emulator",
        ["gcloud", "emulators", "firestore", "start", f"--host-port=127.0.0.1:{port}", "--quiet"],
        logs / "firestore-emulator.log",
    )
    process.start()
    process.wait_ready(lambda: http_ok(f"http://127.0.0.1:{port}/"), _START_TIMEOUT)
    return process


def start_pubsub(port: int, project: str, logs: Path) -> ManagedProcess:
    """Start the Pub/Sub emulator on ``127.0.0.1:port`` and wait until it answers."""
    _require_free(port, "Pub/Sub emulator")
    process = ManagedProcess(
        "pubsub-emulator",
        [
            "gcloud",
            "beta",
            "emulators",
            "pubsub",
            "start",
            f"--host-port=127.0.0.1:{port}",
            f"--project={project}",
            "--quiet",
        ],
        logs / "pubsub-emulator.log",
    )
    process.start()
    process.wait_ready(lambda: http_ok(f"http://127.0.0.1:{port}/"), _START_TIMEOUT)
    return process


def reset_firestore(host: str, project: str, attempts: int = 20) -> None:
    """Delete every document in the emulator's default database.

    The emulator answers 409 ("Transaction lock timeout") while a transaction of background
    work still holds a document (a task, or a push notification's task, of the test before):
    tried again, a quarter of a second apart, ``attempts`` times."""
    url = f"http://{host}/emulator/v1/projects/{project}/databases/(default)/documents"
    for attempt in range(attempts):
        request = urllib.request.Request(url, method="DELETE")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                if response.status != 200:
                    raise StackError(
                        f"resetting the Firestore emulator failed: HTTP {response.status}"
                    )
                return
        except urllib.error.HTTPError as exc:
            if exc.code != 409 or attempt == attempts - 1:
                raise
        time.sleep(0.25)
