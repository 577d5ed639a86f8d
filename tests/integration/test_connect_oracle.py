"""/connect and /disconnect refuse an unknown tenant exactly as a foreign address: no oracle.

An outsider probing which tenants exist, or which domains a tenant owns, gets the same status,
headers and page (or JSON) for every refusal before a flow starts.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.oauth_fixtures import Browser

pytest_plugins = ["tests.integration.oauth_fixtures"]

PROBES = {
    "unknown tenant, its would-be address": ("nobody", "alice@nobody.example"),
    "unknown tenant, a known tenant's address": ("nobody", "alice@acme.com"),
    "known tenant, an address outside its domains": ("acme", "eve@evil.example"),
    "known tenant, a lookalike domain": ("acme", "alice@acme.com.evil.example"),
}


def _answer(reply: Any) -> tuple[int, str, dict[str, str]]:
    headers = {k: v for k, v in reply.headers.items() if k.lower() != "content-length"}
    return reply.status_code, reply.get_data(as_text=True), headers


@pytest.mark.parametrize("path", ["/connect", "/disconnect"])
def test_refusals_look_the_same_whether_or_not_the_tenant_exists(
    browser: Browser, path: str
) -> None:
    """Every probe gets the identical HTML refusal."""
    method = browser.client.get if path == "/connect" else browser.client.post
    answers = {
        probe: _answer(method(f"{path}?tenant={tenant}&organizer={organizer}"))
        for probe, (tenant, organizer) in PROBES.items()
    }
    assert len(set(map(repr, answers.values()))) == 1, answers
    status, _, _ = next(iter(answers.values()))
    assert status == 403


def test_json_refusals_look_the_same_whether_or_not_the_tenant_exists(browser: Browser) -> None:
    """The platform's JSON variant does not tell tenants apart either."""
    answers = {
        probe: _answer(browser.client.get(f"/connect?tenant={t}&organizer={o}&format=json"))
        for probe, (t, o) in PROBES.items()
    }
    assert len(set(map(repr, answers.values()))) == 1, answers
    assert next(iter(answers.values()))[0] == 403
