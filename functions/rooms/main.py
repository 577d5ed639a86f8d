"""rooms: which of the tenant's rooms are free for a time range (called by the platform).

Thin entry point: the query is answered by ``calsync.entrypoints.rooms`` (docs/rooms.md).
"""

from typing import Any

import functions_framework

from calsync.entrypoints.rooms import handle
from calsync.entrypoints.services import services


@functions_framework.http
def rooms(request: Any) -> tuple[str, int, dict[str, str]]:
    """Answer one rooms query."""
    return handle(request, services())
