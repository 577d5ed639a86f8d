"""Switch each security defence off in turn and expect its attack tests to fail.

``./run defence-check`` (not part of ``./run test``: it runs pytest once per defence). Each
defence (the tables are ``calsync_dev.defences_boundaries`` and
``calsync_dev.defences_connect_flow``) is a small textual patch of one or more library files
that removes it; the script applies it, runs the named tests, and restores
the files whatever happens. A defence whose tests still pass is reported as ``NOT CAUGHT``
and the script exits non-zero. ``--only NAME`` checks one defence; ``--list`` prints them.
The table it prints is recorded in docs/security.md ("Defence check")::

    ./run defence-check
    ./run defence-check --only grant-path-binding
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from calsync_dev.defences import LIB, Defence
from calsync_dev.defences_boundaries import BOUNDARIES
from calsync_dev.defences_connect_flow import CONNECT_FLOW

DEFENCES = (*BOUNDARIES, *CONNECT_FLOW)
"""Every defence, in the order docs/security.md lists them."""

ROOT = Path(__file__).resolve().parents[2]


def _run(defence: Defence) -> tuple[bool, str]:
    """(caught, detail): every named test file run with the defence off; caught when pytest
    reports failures (exit 1), not when it cannot run them (other codes)."""
    originals: dict[Path, str] = {}
    try:
        for relative, old, new in defence.patches:
            path = ROOT / relative
            originals.setdefault(path, path.read_text())
            current = path.read_text()
            if current.count(old) != 1:
                return False, f"patch does not apply to {relative}: {old.strip()[:60]!r}"
            path.write_text(current.replace(old, new))
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *defence.tests]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        summary = (done.stdout.strip().splitlines() or ["(no output)"])[-1]
        return done.returncode == 1, summary
    finally:
        for path, text in originals.items():
            path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    """Check every defence (or ``--only`` one); print a Markdown table; 1 if any is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--only", help="check one defence by name")
    parser.add_argument("--list", action="store_true", help="list the defences")
    args = parser.parse_args(argv)
    chosen = [d for d in DEFENCES if args.only in (None, d.name)]
    if args.list or not chosen:
        print("\n".join(d.name for d in DEFENCES))
        return 0 if args.list else 2
    dirty = subprocess.run(["git", "diff", "--quiet", "--", LIB], cwd=ROOT, check=False)
    if dirty.returncode != 0:
        print("shared/calsync/ has uncommitted changes; commit them first", file=sys.stderr)
        return 2
    print("| defence switched off | its tests | result |\n|---|---|---|")
    missed = 0
    for defence in chosen:
        started = time.monotonic()
        caught, detail = _run(defence)
        missed += not caught
        tests = ", ".join(f"`{t.rsplit('::', 1)[-1]}`" for t in defence.tests)
        verdict = "failed as expected" if caught else "**NOT CAUGHT**"
        seconds = time.monotonic() - started
        print(f"| `{defence.name}` | {tests} | {verdict} ({detail}; {seconds:.0f} s) |", flush=True)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
