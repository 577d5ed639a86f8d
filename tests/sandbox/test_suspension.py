"""Suspended users: what happens to delegated service-account access and to reinstated users."""

from __future__ import annotations

import pytest
from google.auth.exceptions import RefreshError

from calsync_sandbox import SandboxControl


def test_delegated_token_stops_working_after_suspension(
    ctl: SandboxControl, calendar_as_service_account
) -> None:
    """A DWD token minted before the suspension is 401; the re-mint is invalid_grant."""
    ctl.seed_user("carl@acme.com")
    key = ctl.create_service_account(
        "dwd@proj.iam.gserviceaccount.com", domain_wide_delegation=True
    )
    cal = calendar_as_service_account(key, subject="carl@acme.com")
    cal.calendarList().list().execute()
    ctl.update_user("carl@acme.com", suspended=True)
    with pytest.raises(RefreshError, match="invalid_grant"):
        cal.calendarList().list().execute()
    statuses = [r["status"] for r in ctl.requests(method_id="calendar.calendarList.list")]
    assert statuses == [200, 401]


def test_reinstated_user_can_refresh_again(calendar_for, ctl: SandboxControl) -> None:
    """Un-suspending makes the same grant usable again (suspension does not revoke it)."""
    cal = calendar_for("carl@acme.com")
    ctl.update_user("carl@acme.com", suspended=True)
    with pytest.raises(RefreshError):
        cal.calendarList().list().execute()
    ctl.update_user("carl@acme.com", suspended=False)
    assert cal.calendarList().list().execute()["items"]
