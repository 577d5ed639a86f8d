"""Organizers connect, use, lose, disconnect and reconnect their grant (organizer mode).

In-process: the oauth_callback function under functions-framework's test client, the
Firestore emulator, and the sandbox through the real libraries (requests for the token
exchange, google-auth for id_token verification and refresh).
"""

from __future__ import annotations

import threading
from typing import Any

import google.auth.transport.requests
import pytest
from google.auth.exceptions import RefreshError

from calsync.organizers.grants import OrganizerGrants
from calsync.organizers.oauth_flow import CONNECT_SCOPES
from tests.integration.conftest import wait_for_tasks
from tests.integration.oauth_fixtures import Browser, query_of
from tests.sandbox.sandbox_helpers import build_calendar

pytest_plugins = ["tests.integration.oauth_fixtures"]

ALICE = "alice@acme.com"


def status(browser: Browser, organizer: str = ALICE) -> dict[str, Any]:
    """GET /status as JSON."""
    reply = browser.client.get(f"/status?tenant=acme&organizer={organizer}")
    assert reply.status_code == 200
    data: dict[str, Any] = reply.get_json()
    return data


def test_connect_redirects_to_google_with_pkce_offline_consent(
    browser: Browser, stack: Any
) -> None:
    """/connect sends the browser to the consent screen with everything the issue asks for."""
    reply = browser.start(ALICE)
    assert reply.status_code == 302
    query = query_of(reply.headers["Location"])
    assert reply.headers["Location"].startswith(
        stack.endpoints["google_sandbox"] + "/o/oauth2/v2/auth?"
    )
    assert query["scope"].split() == list(CONNECT_SCOPES)
    assert query["access_type"] == "offline"
    assert query["prompt"] == "consent"
    assert query["include_granted_scopes"] == "true"
    assert query["code_challenge_method"] == "S256"
    assert query["login_hint"] == ALICE
    assert query["hd"] == "acme.com"
    assert query["redirect_uri"].endswith("/callback")
    assert len(query["state"]) > 40
    assert query["nonce"]


def test_the_platform_gets_a_hop_that_binds_the_browser_opening_it(
    browser: Browser, stack: Any
) -> None:
    """The platform asks for the URL (format=json or Accept: application/json) and gets
    calsync's hop; the browser that opens it gets the flow's cookie and goes on to Google,
    and finishes the flow."""
    base = stack.endpoints["functions"]["oauth_callback"]
    for reply in (
        browser.client.get(f"/connect?tenant=acme&organizer={ALICE}&format=json"),
        browser.client.get(
            f"/connect?tenant=acme&organizer={ALICE}", headers={"Accept": "application/json"}
        ),
    ):
        assert reply.status_code == 200
        hop = reply.get_json()["url"]
        assert hop.startswith(base + "start?flow=")
        assert "set-cookie" not in {k.lower() for k in reply.headers.keys()}  # noqa: SIM118
    person = Browser(browser.client.application.test_client())
    opened = person.client.get(hop.removeprefix(base.rstrip("/")))
    assert opened.status_code == 302
    assert "/o/oauth2/v2/auth?" in opened.headers["Location"]
    assert opened.headers["Set-Cookie"].startswith("__Host-calsync-flow-")
    page = person.callback(person.consent(opened.headers["Location"]))
    assert page.status_code == 200, page.get_data(as_text=True)
    assert "Google Calendar connected" in page.get_data(as_text=True)


def test_a_browser_start_sets_the_flows_host_cookie(browser: Browser) -> None:
    """/connect hands the browser a __Host- cookie (Secure, HttpOnly, Path=/, SameSite=Lax, no
    Domain) for this flow; the callback clears it."""
    reply = browser.start(ALICE)
    cookie = reply.headers["Set-Cookie"]
    name = cookie.split("=", 1)[0]
    assert name.startswith("__Host-calsync-flow-")
    attributes = {a.strip().split("=")[0].lower() for a in cookie.split(";")[1:]}
    assert attributes == {"max-age", "path", "secure", "httponly", "samesite"}
    assert "Path=/;" in cookie
    assert "SameSite=Lax" in cookie
    done = browser.callback(browser.consent(reply.headers["Location"]))
    assert done.status_code == 200
    assert done.headers["Set-Cookie"].startswith(f"{name}=; Max-Age=0;")
    assert browser.client.get_cookie(name) is None


def test_connect_stores_a_working_grant(
    browser: Browser, grants: OrganizerGrants, sandbox: Any, stack: Any
) -> None:
    """After consent: a success page, /status connected, and credentials that call Google."""
    assert status(browser)["health"] == "not_connected"
    assert grants.credentials("acme", ALICE) is None
    page = browser.connect(ALICE)
    assert page.status_code == 200
    assert "Google Calendar connected" in page.get_data(as_text=True)
    health = status(browser)
    assert health["health"] == "connected"
    assert health["missing_scopes"] == []
    credentials = grants.credentials("acme", ALICE)
    assert credentials is not None
    assert grants.credentials("acme", ALICE) is credentials  # cached per instance
    calendar = build_calendar(stack.endpoints["google_sandbox"], credentials)
    assert calendar.events().list(calendarId="primary").execute()["items"] == []
    assert sandbox.requests(method_id="oauth2.token", user=ALICE)[-1]["status"] == 200


def test_concurrent_refreshes_make_one_token_request(
    browser: Browser, grants: OrganizerGrants, sandbox: Any
) -> None:
    """Eight threads refreshing the same cached credential hit the token endpoint once."""
    browser.connect(ALICE)
    credentials = grants.credentials("acme", ALICE)
    assert credentials is not None
    before = len(sandbox.requests(method_id="oauth2.token", user=ALICE))
    gate = threading.Barrier(8)

    def refresh() -> None:
        gate.wait()
        credentials.refresh(google.auth.transport.requests.Request())

    threads = [threading.Thread(target=refresh) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(sandbox.requests(method_id="oauth2.token", user=ALICE)) == before + 1
    assert credentials.valid


def test_invalid_grant_marks_needs_consent_and_reconnect_clears_it(
    browser: Browser, grants: OrganizerGrants, sandbox: Any
) -> None:
    """Google says invalid_grant → needs_consent on /status → reconnect → connected."""
    browser.connect(ALICE)
    credentials = grants.credentials("acme", ALICE)
    assert credentials is not None
    sandbox.revoke_grant(credentials.refresh_token)
    with pytest.raises(RefreshError, match="invalid_grant"):
        credentials.refresh(google.auth.transport.requests.Request())
    grants.mark_needs_consent("acme", ALICE, "invalid_grant", grant_id=credentials.grant_id)
    health = status(browser)
    assert (health["health"], health["reason"]) == ("needs_consent", "invalid_grant")
    assert grants.credentials("acme", ALICE) is None
    assert browser.connect(ALICE).status_code == 200
    assert status(browser)["health"] == "connected"
    assert grants.credentials("acme", ALICE) is not None


def test_stale_needs_consent_does_not_undo_a_reconnect(
    browser: Browser, grants: OrganizerGrants
) -> None:
    """A worker holding the old grant's credentials cannot mark the new grant broken."""
    browser.connect(ALICE)
    old = grants.credentials("acme", ALICE)
    assert old is not None
    browser.connect(ALICE)
    grants.mark_needs_consent("acme", ALICE, "invalid_grant", grant_id=old.grant_id)
    assert status(browser)["health"] == "connected"
    fresh = grants.credentials("acme", ALICE)
    assert fresh is not None
    assert fresh.grant_id != old.grant_id


def test_disconnect_revokes_at_google_and_forgets(
    browser: Browser, grants: OrganizerGrants, sandbox: Any
) -> None:
    """GET shows a confirmation; POST signs the organizer in, then a revoke_grant task revokes
    and deletes."""
    browser.connect(ALICE)
    credentials = grants.credentials("acme", ALICE)
    assert credentials is not None
    confirm = browser.client.get(f"/disconnect?tenant=acme&organizer={ALICE}")
    assert confirm.status_code == 200
    assert 'method="post"' in confirm.get_data(as_text=True)
    page = browser.disconnect(ALICE)
    assert page.status_code == 200
    assert "disconnected" in page.get_data(as_text=True)
    wait_for_tasks(sandbox)
    assert status(browser)["health"] == "not_connected"
    assert grants.credentials("acme", ALICE) is None
    with pytest.raises(RefreshError, match="invalid_grant"):
        credentials.refresh(google.auth.transport.requests.Request())
    assert browser.connect(ALICE).status_code == 200
    assert status(browser)["health"] == "connected"


def test_id_token_signing_key_rotation_is_followed(browser: Browser, sandbox: Any) -> None:
    """After Google rotates its key, the next sign-in still verifies (JWKS fetched again)."""
    assert browser.connect(ALICE).status_code == 200
    sandbox.rotate_signing_key(retire_previous=True)
    assert browser.connect(ALICE).status_code == 200


def test_reencrypt_moves_grants_to_the_new_primary_key(
    browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Key rotation: add a key as primary, re-encrypt, grants still decrypt."""
    import json
    import os

    from calsync.config import get_settings
    from calsync.entrypoints.services import reset_services
    from calsync.organizers.grants import organizer_grants
    from calsync.organizers.vault import LocalKeyring

    browser.connect(ALICE)
    old = json.loads(os.environ["CALSYNC_LOCAL_ENCRYPTION_KEYS"])
    new = json.loads(LocalKeyring.generate_json("rotated"))
    ring = {"primary": "rotated", "keys": {**old["keys"], **new["keys"]}}
    monkeypatch.setenv("CALSYNC_LOCAL_ENCRYPTION_KEYS", json.dumps(ring))
    reset_services()
    rotated = organizer_grants(get_settings())
    assert rotated.reencrypt() == 1
    assert rotated.reencrypt() == 0
    monkeypatch.setenv("CALSYNC_LOCAL_ENCRYPTION_KEYS", json.dumps({**new, "primary": "rotated"}))
    reset_services()
    assert organizer_grants(get_settings()).credentials("acme", ALICE) is not None


def test_unknown_tenant_and_foreign_organizer_are_refused(browser: Browser) -> None:
    """No flow starts for a tenant calsync does not know or an address outside its domains."""
    assert browser.start(ALICE, tenant="nobody").status_code == 403
    assert browser.start("eve@evil.example").status_code == 403
    assert browser.client.get("/status?tenant=acme").status_code == 400
    assert browser.client.get("/nowhere").status_code == 404


def test_a_browser_connects_through_the_running_function(
    organizers: tuple[str, ...], stack: Any, grants: OrganizerGrants, sandbox: Any
) -> None:
    """What a person does with `calsync dev`: open /connect, end on the success page."""
    import requests

    from calsync_dev.http_callers import OrganizerBrowser

    base = stack.endpoints["functions"]["oauth_callback"]
    page = OrganizerBrowser().open(f"{base}connect?tenant=acme&organizer={ALICE}")
    assert page.status_code == 200
    assert page.url.startswith(base + "callback?")
    assert "Google Calendar connected" in page.text
    health = requests.get(f"{base}status?tenant=acme&organizer={ALICE}", timeout=30).json()
    assert health["health"] == "connected"
    assert grants.credentials("acme", ALICE) is not None
    person = OrganizerBrowser()
    confirm = person.open(f"{base}disconnect?tenant=acme&organizer={ALICE}")
    assert 'method="post"' in confirm.text
    done = person.open(f"{base}disconnect?tenant=acme&organizer={ALICE}", "POST")
    assert "Google Calendar disconnected" in done.text
    wait_for_tasks(sandbox)
    health = requests.get(f"{base}status?tenant=acme&organizer={ALICE}", timeout=30).json()
    assert health["health"] == "not_connected"
    log = (stack.config.log_dir / "function-oauth_callback.log").read_text(encoding="utf-8")
    assert "OAuth flow finished" in log
    for leak in ("4/sandbox-", "1//sandbox-", "ya29.", "state=", "code=", "eyJ"):
        assert leak not in log  # no code, refresh/access token, state or JWT in its output
