"""oauth_callback: organizers connect (and disconnect) their Google Calendar.

Thin entry point: ``/connect``, ``/start``, ``/callback``, ``/status`` and ``/disconnect``
are routed by ``calsync.entrypoints.oauth_callback`` (docs/oauth.md). The only public
function.
"""

from typing import Any

import functions_framework

from calsync.config import get_settings
from calsync.entrypoints.oauth_callback import handle
from calsync.logs import configure


@functions_framework.http
def oauth_callback(request: Any) -> tuple[str, int, dict[str, str]]:
    """Answer one browser or platform request."""
    settings = get_settings()
    configure(settings.project)
    return handle(request, settings)
