"""Quota under Google's strict readings (issue 13): quotaUser per delegated user, and the
growing deferral against the anti-abuse limiter's lasting quotaExceeded."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from google.oauth2 import service_account

from calsync.entrypoints.platform_events import Outcome
from calsync.entrypoints.services import Services
from calsync.google.calendar import CalendarGateway, build_calendar_gateway
from calsync_dev.dates import at
from tests.integration.conftest import Deliver, calendar, wait_for_tasks
from tests.unit.factories import NEW_YORK, upsert_message

ADMIN = "calsync-admin@platform-project.iam.gserviceaccount.com"
SCOPES = ["https://www.googleapis.com/auth/calendar"]


def _gateway(svc: Services, key: dict[str, str], identity: str, subject: str | None) -> Any:
    info = {**key, "token_uri": svc.settings.google.token_uri}
    credentials = service_account.Credentials.from_service_account_info(
        info, scopes=SCOPES, subject=subject
    )
    return build_calendar_gateway(
        credentials, identity, svc.settings.google.calendar, svc.settings.retry_deadline_seconds
    )


def _quota_user(gateway: CalendarGateway) -> list[str]:
    request = gateway.prepare(lambda: gateway._service.events().list(calendarId=gateway.identity))
    return parse_qs(urlsplit(request.uri).query).get("quotaUser", [])


def test_a_delegated_user_is_named_as_quota_user(acme: str, sandbox: Any, svc: Services) -> None:
    """Acting as carol through domain-wide delegation, each call says quotaUser=carol
    (Google would otherwise charge every delegated user's calls to the service account),
    and Google accepts the calls."""
    key = sandbox.create_service_account(ADMIN, domain_wide_delegation=True)
    carol = _gateway(svc, key, "carol@acme.com", subject="carol@acme.com")
    assert _quota_user(carol) == ["carol@acme.com"]
    assert carol.events("carol@acme.com") == []


def test_a_service_account_acting_as_itself_sends_no_quota_user(
    acme: str, sandbox: Any, svc: Services
) -> None:
    """The platform account is the service account itself: its quota is its own."""
    key = sandbox.create_service_account(ADMIN)
    platform = _gateway(svc, key, ADMIN, subject=None)
    assert _quota_user(platform) == []


def _waits(sandbox: Any) -> list[float]:
    now = datetime.now(UTC)
    return [
        (datetime.fromisoformat(t["schedule_time"].replace("Z", "+00:00")) - now).total_seconds()
        for t in sandbox.tasks()
        if t["state"] == "scheduled"
    ]


def test_deferral_outlasts_the_lasting_anti_abuse_block(
    acme: str, deliver: Deliver, sandbox: Any
) -> None:
    """The limiter blocks the writer for an hour (sandbox clock), whatever calsync does: each
    retry meets it again and waits longer (never a tight loop, never given up), and the first
    retry after the block lifts syncs the item."""
    sandbox.strictness(
        abuse_limit_writes=2, abuse_limit_window_seconds=60, abuse_block_seconds=3600
    )
    assert deliver(upsert_message(version=1)) is Outcome.ACK  # two parts: two writes
    assert len(calendar(sandbox, "alice@acme.com")) == 2
    part = [{"key": "p", "start": at(3, "10:00", NEW_YORK), "end": at(3, "11:00", NEW_YORK)}]
    assert deliver(upsert_message(version=1, id="evt_later", parts=part)) is Outcome.ACK
    waits = []
    for _ in range(3):
        pending = _waits(sandbox)
        assert len(pending) == 1, sandbox.tasks()
        waits.append(pending[0])
        sandbox.run_tasks(include_future=True)  # still blocked: deferred again
    assert waits[0] < waits[1] < waits[2]
    assert len(calendar(sandbox, "alice@acme.com")) == 2
    sandbox.advance_clock(3601)
    sandbox.run_tasks(include_future=True)
    wait_for_tasks(sandbox)
    assert len(calendar(sandbox, "alice@acme.com")) == 3
