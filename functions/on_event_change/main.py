"""on_event_change: platform-events (Pub/Sub push) → Google Calendar events.

Thin entry point: unwrap the push, hand the message to calsync, answer Pub/Sub.
"""

from typing import Any

import functions_framework

from calsync.entrypoints.platform_events import handle_platform_event
from calsync.entrypoints.push import pubsub_push
from calsync.entrypoints.services import services


@functions_framework.http
def on_event_change(request: Any) -> tuple[str, int, dict[str, str]]:
    """Handle one push delivery from the platform-events subscription."""
    svc = services()
    return pubsub_push(request, lambda data: handle_platform_event(svc, data), svc.settings.project)
