"""orphan_sweeper: suspended organizers' future events go to a successor (Cloud Scheduler).

Thin entry point: ``calsync.entrypoints.orphan_sweeper`` runs the sweep and answers its report.
"""

from typing import Any

import functions_framework

from calsync.entrypoints.orphan_sweeper import handle
from calsync.entrypoints.services import services


@functions_framework.http
def orphan_sweeper(request: Any) -> tuple[str, int, dict[str, str]]:
    """Run one scheduled (or targeted, or dry-run) sweep."""
    return handle(request, services())
