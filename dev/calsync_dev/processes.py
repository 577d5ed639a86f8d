"""Child processes of the local stack: started in their own process group, stopped whole.

``gcloud emulators … start`` runs Java under a wrapper script; stopping only the
wrapper leaves Java behind, so every child gets its own session and is stopped
by signalling the whole group (SIGTERM, then SIGKILL after a grace period).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ManagedProcess", "StackError", "free_port", "port_is_free", "wait_until"]


class StackError(RuntimeError):
    """The local stack cannot start; the message says why and what to do."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when ``host:port`` can be bound."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def wait_until(check: Callable[[], bool], timeout: float, what: str, interval: float = 0.1) -> None:
    """Poll ``check`` until it is true or raise ``StackError`` naming ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    raise StackError(f"timed out after {timeout:g}s waiting for {what}")


def http_ok(url: str) -> bool:
    """True when ``url`` answers at all with a status below 500."""
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return int(response.status) < 500
    except urllib.error.HTTPError as exc:
        return exc.code < 500
    except (OSError, ValueError):
        return False


@dataclass
class ManagedProcess:
    """One child process with its log file."""

    name: str
    argv: Sequence[str]
    log_path: Path
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    _process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the process in its own session, output to ``log_path``."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        try:
            self._process = subprocess.Popen(
                list(self.argv),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **self.env},
                cwd=self.cwd,
                start_new_session=True,
            )
        except FileNotFoundError as exc:
            raise StackError(f"cannot start {self.name}: {self.argv[0]} not found") from exc
        finally:
            log.close()

    def wait_ready(self, check: Callable[[], bool], timeout: float) -> None:
        """Wait for ``check``; fail early, with the log's tail, if the process dies."""

        def ready() -> bool:
            if self._process is not None and self._process.poll() is not None:
                raise StackError(
                    f"{self.name} exited with code {self._process.returncode} while starting; "
                    f"last lines of {self.log_path}:\n{self.tail()}"
                )
            return check()

        wait_until(ready, timeout, self.name)

    def tail(self, lines: int = 15) -> str:
        """The end of the process's log."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    @property
    def running(self) -> bool:
        """True while the process is alive."""
        return self._process is not None and self._process.poll() is None

    def stop(self, grace: float = 5.0) -> None:
        """Stop the whole process group: SIGTERM, then SIGKILL after ``grace`` seconds."""
        process = self._process
        if process is None:
            return
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, grace)):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                break
            try:
                process.wait(timeout=wait)
                # the leader is gone; make sure no member of its group outlives it
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue
            break
        self._process = None
