"""on_enroll: platform-enrollments (Pub/Sub push) → attendance recorded, writes coalesced.

Thin entry point: unwrap the push, hand the message to calsync, answer Pub/Sub.
"""

from typing import Any

import functions_framework

from calsync.entrypoints.enrollment_events import handle_enrollment
from calsync.entrypoints.push import pubsub_push
from calsync.entrypoints.services import services


@functions_framework.http
def on_enroll(request: Any) -> tuple[str, int, dict[str, str]]:
    """Handle one push delivery from the platform-enrollments subscription."""
    svc = services()
    return pubsub_push(request, lambda data: handle_enrollment(svc, data), svc.settings.project)
