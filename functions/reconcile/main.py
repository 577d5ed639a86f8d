"""reconcile: deferred and coalesced work from Cloud Tasks → one item reconciled.

Thin entry point: the task body names the tenant and item; calsync does the rest.
"""

from typing import Any

import functions_framework

from calsync.app import services
from calsync.task_handlers import cloud_task


@functions_framework.http
def reconcile(request: Any) -> tuple[str, int, dict[str, str]]:
    """Handle one Cloud Tasks delivery."""
    return cloud_task(request, services())
