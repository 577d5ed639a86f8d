"""``calsync-sandbox``: serve the Google sandbox until SIGINT/SIGTERM.

    $ calsync-sandbox --host 127.0.0.1 --port 8790
    {"sandbox": "http://127.0.0.1:8790"}

Prints that one JSON line once the server accepts connections. A port that is already taken is
reported on one line and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from types import FrameType

from .server import Sandbox

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run the sandbox in the foreground; return the process exit status."""
    parser = argparse.ArgumentParser(prog="calsync-sandbox", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8790, help="port to listen on (0 = any)")
    args = parser.parse_args(argv)
    sandbox = Sandbox()
    try:
        base = sandbox.start(host=args.host, port=args.port)
    except OSError as exc:
        print(
            f"calsync-sandbox: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 2
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    print(json.dumps({"sandbox": base}), flush=True)
    stop.wait()
    sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
