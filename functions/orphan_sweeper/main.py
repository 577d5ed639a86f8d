"""orphan_sweeper: Cloud Scheduler's jobs.

POST /         suspended organizers' future events go to a successor
               (``calsync.entrypoints.orphan_sweeper`` runs the sweep, answers its report)
POST /verify   two-way sync's verification pass (``calsync.entrypoints.verification_pass``)
"""

from typing import Any

import functions_framework

from calsync.entrypoints.orphan_sweeper import handle
from calsync.entrypoints.services import services


@functions_framework.http
def orphan_sweeper(request: Any) -> tuple[str, int, dict[str, str]]:
    """Run one scheduled (or targeted, or dry-run) sweep, or start a verification pass."""
    if str(getattr(request, "path", "")).rstrip("/") == "/verify":
        from calsync.entrypoints import verification_pass

        return verification_pass.handle(request, services())
    return handle(request, services())
