"""`calsync dev`: one JSON line when ready, clean shutdown on SIGTERM, clear errors."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from calsync_dev.emulators import check_prerequisites, start_firestore
from calsync_dev.processes import StackError, free_port, port_is_free


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _descendants(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-eo", "pid=,ppid="], capture_output=True, text=True, check=True)
    children: dict[int, list[int]] = {}
    for line in out.stdout.splitlines():
        child, parent = (int(x) for x in line.split())
        children.setdefault(parent, []).append(child)
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _free_block(size: int) -> int:
    """The first of ``size`` consecutive ports nobody listens on."""
    for _ in range(50):
        base = free_port()
        if base + size < 65535 and all(port_is_free(base + i) for i in range(size)):
            return base
    raise AssertionError("no block of free ports")


def test_dev_prints_endpoints_and_stops_everything_on_sigterm(tmp_path: Path) -> None:
    """The stack comes up, announces itself as JSON, and leaves no process behind."""
    ports = {name: str(free_port()) for name in ("FIRESTORE", "PUBSUB", "SANDBOX")}
    env = {
        **os.environ,
        **{f"CALSYNC_DEV_{k}_PORT": v for k, v in ports.items()},
        "CALSYNC_DEV_FUNCTIONS_BASE_PORT": str(_free_block(8)),
    }
    calsync = Path(sys.executable).with_name("calsync")
    errors = tmp_path / "stderr.log"
    with errors.open("w") as stderr:
        process = subprocess.Popen(
            [str(calsync), "dev"], stdout=subprocess.PIPE, stderr=stderr, env=env, text=True
        )
    try:
        line = process.stdout.readline() if process.stdout else ""
        assert line, f"calsync dev said nothing; its stderr:\n{errors.read_text()[-3000:]}"
        endpoints = json.loads(line)
        assert endpoints["ready"] is True
        assert endpoints["google_sandbox"].endswith(ports["SANDBOX"])
        assert set(endpoints["functions"]) >= {"on_event_change", "on_enroll", "reconcile"}
        assert endpoints["topics"]["platform_events"] == "platform-events"
        children = _descendants(process.pid)
        assert children, "the emulators and functions run as child processes"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in children if _alive(pid)]


def test_busy_port_is_a_clear_error(tmp_path: Path) -> None:
    """A port already in use gives a one-line reason, not a traceback."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(StackError, match=f"port {port} .* is busy"):
            start_firestore(port, tmp_path)


def test_missing_gcloud_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the Google Cloud CLI the stack says what to install."""
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(StackError, match="Google Cloud CLI"):
        check_prerequisites()
