"""/status callers: refused when none are configured, outside the local sandbox."""

from __future__ import annotations

from dataclasses import replace

import pytest

from calsync.config import get_settings
from calsync.entrypoints.status_access import StatusRefused, status_caller
from calsync.organizers.id_tokens import GoogleKeys


def test_without_configured_callers_status_is_refused_when_deployed() -> None:
    """No CALSYNC_STATUS_CALLERS against Google's real endpoints: 403, whatever is sent."""
    settings = get_settings()
    deployed = replace(settings, google=replace(settings.google, sandbox=False))
    keys = GoogleKeys("https://www.googleapis.com/oauth2/v3/certs")
    with pytest.raises(StatusRefused) as refused:
        status_caller("Bearer anything", deployed, keys)
    assert (refused.value.status, refused.value.code) == (403, "status_not_configured")
