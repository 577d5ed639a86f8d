"""A local webhook for Calendar push notifications (http.server in a thread), for tests.

    with push_receiver_server() as receiver:       # receiver.url = "http://127.0.0.1:PORT/notify"
        ...                                        # open a channel on receiver.url, make changes
        ctl.drain_push()                           # the sandbox has POSTed everything
        receiver.states()                          # ["sync", "exists", ...]

The sandbox refuses http addresses unless its strictness switch ``push_requires_https`` is off.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

__all__ = ["PushReceiver", "push_receiver_server"]


@dataclass
class PushReceiver:
    """A local webhook that records the push notifications the sandbox POSTs to it."""

    url: str
    statuses: list[int] = field(default_factory=list)
    """Answers to give, in turn (then 200)."""
    received: list[dict[str, str]] = field(default_factory=list)
    """The headers of every POST, in arrival order (``"_path"`` and ``"_body"`` added)."""

    def states(self) -> list[str]:
        """``X-Goog-Resource-State`` of each notification received."""
        return [r["X-Goog-Resource-State"] for r in self.received]


@contextmanager
def push_receiver_server() -> Iterator[PushReceiver]:
    """Run a :class:`PushReceiver` on a free local port (http.server in a thread)."""
    holder: dict[str, PushReceiver] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            receiver = holder["r"]
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            receiver.received.append({**dict(self.headers), "_path": self.path, "_body": body})
            status = receiver.statuses.pop(0) if receiver.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Stay quiet."""

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder["r"] = PushReceiver(url=f"http://127.0.0.1:{server.server_address[1]}/notify")
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield holder["r"]
    finally:
        server.shutdown()
        server.server_close()
