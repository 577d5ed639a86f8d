"""on_calendar_change: Google Calendar push notifications of the calendars calsync watches.

Thin entry point: the channel is checked and a coalesced read of the calendar's changes
scheduled by ``calsync.entrypoints.calendar_changes`` (docs/two-way-sync.md).
"""

from typing import Any

import functions_framework

from calsync.entrypoints.calendar_changes import handle
from calsync.entrypoints.services import services


@functions_framework.http
def on_calendar_change(request: Any) -> tuple[str, int, dict[str, str]]:
    """Answer one push notification."""
    return handle(request, services())
