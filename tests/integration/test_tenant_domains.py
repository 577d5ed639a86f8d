"""Tenants own the domains they name (issue 14, item 2): settings through the real handler,
Firestore in the emulator, the rejections read back from calsync-results."""

from __future__ import annotations

from typing import Any

import pytest

from calsync.entrypoints.platform_events import Outcome
from calsync.entrypoints.services import Services
from tests.integration.conftest import Deliver, calendar
from tests.unit.factories import settings_message, upsert_message


def _rejected(results: Any, code: str) -> str:
    """The one ``rejected`` result published, with ``code``; its message."""
    rejected = results.wait_for(1, status="rejected")
    assert [r["error_code"] for r in rejected] == [code]
    return str(rejected[0]["error_message"])


def _domains(svc: Services, tenant_id: str) -> list[str] | None:
    tenant = svc.store.get_tenant(tenant_id)
    return None if tenant is None else tenant.settings.domains


@pytest.mark.parametrize("domain", ["", " ", "acme", "acme..com", "-acme.com", "acme.com/x"])
def test_a_domain_that_is_not_a_host_name_is_rejected(
    svc: Services, deliver: Deliver, results: Any, domain: str
) -> None:
    """Attack: an empty domain admits consumer accounts (no ``hd`` claim) as organizers."""
    assert deliver(settings_message(domains=["acme.com", domain])) is Outcome.ACK
    assert "not a valid host name" in _rejected(results, "invalid")
    assert _domains(svc, "acme") is None


def test_a_domain_belongs_to_the_first_tenant_that_claims_it(
    svc: Services, deliver: Deliver, results: Any
) -> None:
    """Attack: tenant globex names acme.com to act on acme's people; refused, acme keeps it."""
    assert deliver(settings_message(domains=["acme.com"])) is Outcome.ACK
    message = settings_message(tenant_id="globex", domains=["globex.com", "acme.com"])
    assert deliver(message) is Outcome.ACK
    assert "acme.com belongs to another tenant" in _rejected(results, "domain_claimed")
    assert _domains(svc, "globex") is None
    assert _domains(svc, "acme") == ["acme.com"]
    assert svc.store.domain_owner("globex.com") is None


def test_a_tenant_keeps_its_domains_across_settings_versions(
    svc: Services, deliver: Deliver
) -> None:
    """A tenant re-sending its own domains is not refused by its own claim."""
    deliver(settings_message(version=1, domains=["acme.com"]))
    assert deliver(settings_message(version=2, domains=["acme.com", "acme.org"])) is Outcome.ACK
    assert _domains(svc, "acme") == ["acme.com", "acme.org"]
    assert svc.store.domain_owner("acme.org") == "acme"


def test_a_domain_a_tenant_drops_can_be_claimed_by_another(svc: Services, deliver: Deliver) -> None:
    """acme gives up acme.org; globex may claim it afterwards."""
    deliver(settings_message(version=1, domains=["acme.com", "acme.org"]))
    deliver(settings_message(version=2, domains=["acme.com"]))
    assert svc.store.domain_owner("acme.org") is None
    deliver(settings_message(tenant_id="globex", domains=["acme.org"]))
    assert _domains(svc, "globex") == ["acme.org"]


@pytest.mark.parametrize("field", ["admin_email", "fallback_organizer_email"])
def test_a_person_calsync_acts_as_must_lie_inside_the_tenants_domains(
    svc: Services, deliver: Deliver, results: Any, field: str
) -> None:
    """Attack: acme names globex's administrator, to read globex's Directory and start Data
    Transfers as them (or a fallback organizer calsync would impersonate)."""
    assert deliver(settings_message(domains=["acme.com"], **{field: "admin@globex.com"})) is (
        Outcome.ACK
    )
    assert f"{field} 'admin@globex.com' is outside" in _rejected(results, "invalid")
    assert _domains(svc, "acme") is None


@pytest.mark.parametrize(
    ("allowed", "invited"),
    [(None, {"bob@acme.com", "stranger@elsewhere.example"}), (["acme.com"], {"bob@acme.com"})],
)
def test_a_tenant_may_limit_attendees_to_its_allowed_domains(
    acme: str, deliver: Deliver, sandbox: Any, allowed: list[str] | None, invited: set[str]
) -> None:
    """Relay: the platform names an outside address as host; with ``attendee_domains`` set,
    calsync does not invite it (without the setting, anyone is invited as before)."""
    deliver(settings_message(version=2, attendee_domains=allowed))
    hosts = ["bob@acme.com", "stranger@elsewhere.example"]
    assert deliver(upsert_message(version=1, host_emails=hosts)) is Outcome.ACK
    events = calendar(sandbox, "bob@acme.com")
    assert events
    for event in events:
        attendees = {str(a).lower() for a in event["attendees"]} - {"alice@acme.com"}
        assert attendees == invited
