"""reconcile: deferred and coalesced work from Cloud Tasks → one item reconciled.

Thin entry point: the task body names the tenant and item; calsync does the rest.
"""

from typing import Any

import functions_framework

from calsync.entrypoints.deferred_tasks import cloud_task
from calsync.entrypoints.services import services


@functions_framework.http
def reconcile(request: Any) -> tuple[str, int, dict[str, str]]:
    """Handle one Cloud Tasks delivery."""
    return cloud_task(request, services())
