"""The demo's callers of calsync's HTTP functions, other than the platform's messages.

``sweep`` does what Cloud Scheduler does (POST to ``orphan_sweeper`` with the
job's headers) and returns the sweeper's report; ``connect_organizer`` does
what an organizer's browser does (``oauth_callback``'s /connect, the Google
sandbox's consent, back to /callback)::

    connect_organizer(oauth_url, "globex", "olivia@globex.com")
    report = sweep(sweeper_url)

Both raise ``RuntimeError`` when the function does not answer as expected.
"""

from __future__ import annotations

import time
from typing import Any

__all__ = ["connect_organizer", "sweep"]


def sweep(sweeper_url: str) -> dict[str, Any]:
    """What Cloud Scheduler does: POST to the orphan sweeper, with its job headers."""
    import requests

    reply = requests.post(
        sweeper_url,
        timeout=120,
        headers={
            "X-CloudScheduler-JobName": "calsync-orphan-sweep",
            "X-CloudScheduler-ScheduleTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        },
    )
    if reply.status_code != 200:
        raise RuntimeError(f"the sweep failed: HTTP {reply.status_code} {reply.text[:200]}")
    report: dict[str, Any] = reply.json()
    return report


def connect_organizer(oauth_url: str, tenant: str, email: str) -> None:
    """What an organizer's browser does: /connect, Google's consent, back to /callback."""
    import requests

    reply = requests.get(
        f"{oauth_url}connect", params={"tenant": tenant, "organizer": email}, timeout=30
    )
    if reply.status_code != 200 or "connected" not in reply.text.lower():
        raise RuntimeError(f"connecting {email} failed: HTTP {reply.status_code}")
