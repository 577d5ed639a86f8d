"""Attacks on the connect flow and the grant vault; each must fail closed and store nothing.

In-process against the Firestore emulator and the sandbox (see oauth_fixtures).
"""

from __future__ import annotations

import base64
import io
import logging
import os
import time
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote, urlsplit

import pytest

from calsync.config import get_settings
from calsync.logs import JsonFormatter
from calsync.organizers.flow_states import FlowSecrets, OAuthStates
from calsync.organizers.grant_store import GrantMisplaced, GrantStore
from calsync.organizers.grants import OrganizerGrants
from calsync.organizers.oauth_flow import InvalidState, StateClaims, StateSigner
from calsync.organizers.vault import DecryptionFailed, vault_from_settings
from calsync.state.store import firestore_client
from tests.integration.conftest import wait_for_tasks
from tests.integration.oauth_fixtures import Browser, id_token_of, query_of, with_query

pytest_plugins = ["tests.integration.oauth_fixtures"]

ALICE, BOB = "alice@acme.com", "bob@acme.com"


_REFUSALS: list[dict[str, Any]] = []
"""The fields of each "OAuth flow refused" line logged during the current test."""


class _Refusals(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage() == "OAuth flow refused":
            _REFUSALS.append(dict(getattr(record, "fields", {})))


@pytest.fixture(autouse=True)
def refusals() -> Iterator[list[dict[str, Any]]]:
    """Collects the refusals calsync logs (outcome code and reason) while a test runs."""
    handler = _Refusals(logging.WARNING)
    logger = logging.getLogger("calsync")
    logger.addHandler(handler)
    _REFUSALS.clear()
    try:
        yield _REFUSALS
    finally:
        logger.removeHandler(handler)


def refused(reply: Any, status: int, words: str, outcome: str, reason: str = "") -> None:
    """The callback refused with ``status``, a page a person understands, and for the
    specific cause: the refusal's ``outcome`` code and (its start) ``reason`` as logged."""
    text = reply.get_data(as_text=True)
    assert reply.status_code == status, text
    assert words in text
    assert reply.headers["Cache-Control"] == "no-store"
    assert reply.headers["Referrer-Policy"] == "no-referrer"
    assert _REFUSALS, "no refusal was logged"
    last = _REFUSALS[-1]
    assert last["outcome"] == outcome, last
    assert str(last["reason"]).startswith(reason), last


def not_connected(browser: Browser, organizer: str = ALICE) -> None:
    """Nothing was stored for the organizer."""
    reply = browser.client.get(f"/status?tenant=acme&organizer={organizer}")
    assert reply.get_json()["health"] == "not_connected"


def callback_url(browser: Browser, organizer: str = ALICE) -> str:
    """Start a flow and consent; the callback URL Google would send the browser to."""
    return browser.consent(browser.start(organizer).headers["Location"])


def signer() -> StateSigner:
    """calsync's own state signer (a test may forge with the real key)."""
    return StateSigner(os.environ["CALSYNC_STATE_SIGNING_KEY"])


# ---- state ------------------------------------------------------------------------------


def test_missing_state_is_refused(browser: Browser) -> None:
    """Attack: a callback without state."""
    url = callback_url(browser)
    query = {k: v for k, v in query_of(url).items() if k != "state"}
    refused(
        browser.callback(with_query(url, query)), 400, "already used", "invalid_state", "missing"
    )
    not_connected(browser)


def test_forged_state_is_refused(browser: Browser) -> None:
    """Attack: a state signed with another key (same claims shape)."""
    url = callback_url(browser)
    forged = StateSigner("f" * 43).sign(StateClaims.new("connect", "acme", ALICE))
    reply = browser.callback(with_query(url, {**query_of(url), "state": forged}))
    refused(reply, 400, "expired", "invalid_state", "bad_signature")
    not_connected(browser)


def test_replayed_state_is_refused(browser: Browser) -> None:
    """Attack: the same callback delivered twice; the second time stores nothing new."""
    url = callback_url(browser)
    assert browser.callback(url).status_code == 200
    refused(browser.callback(url), 400, "already used", "invalid_state", "replayed")


def test_expired_state_is_refused(browser: Browser, monkeypatch: pytest.MonkeyPatch) -> None:
    """Attack: a real flow, started by calsync 10 minutes and 1 second before its callback
    arrives (its signed state and its flow record both past their expiry)."""
    import calsync.organizers.oauth_flow as oauth_flow

    started_at = time.time() - oauth_flow.STATE_LIFETIME_SECONDS - 1
    with monkeypatch.context() as clock:  # calsync's clock, while it starts the flow
        clock.setattr(oauth_flow, "time", SimpleNamespace(time=lambda: started_at))
        location = browser.start(ALICE).headers["Location"]
    url = browser.consent(location)
    refused(browser.callback(url), 400, "expired", "invalid_state", "expired")
    not_connected(browser)


def test_two_concurrent_callbacks_with_one_state_succeed_once(browser: Browser, stack: Any) -> None:
    """Attack: the same callback raced twice at once (a stolen URL replayed in parallel);
    the flow record is taken in one transaction, so exactly one finishes the flow and the
    other is refused as a replay without its code reaching Google."""
    import threading

    url = callback_url(browser)
    start = threading.Barrier(2)
    statuses: list[int] = []

    def deliver() -> None:
        twin = browser.twin(url)  # the browser that started the flow, on two connections
        start.wait()
        statuses.append(twin.callback(url).status_code)

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(statuses) == [200, 400]
    # refused by calsync's one-time flow record, before Google's one-time code is tried
    assert [(r["outcome"], r["reason"]) for r in _REFUSALS] == [("invalid_state", "replayed")]


def test_expired_flow_record_is_refused(organizers: tuple[str, ...]) -> None:
    """Attack: a flow record past ``expires_at`` (TTL deletion can lag a day)."""
    states = OAuthStates(firestore_client(get_settings().project))
    claims = StateClaims.new("connect", "acme", ALICE, now=time.time() - 601)
    states.put(claims, FlowSecrets("verifier", "nonce"))
    with pytest.raises(InvalidState, match="expired"):
        states.take(claims)


def test_state_from_another_tenant_is_refused(browser: Browser) -> None:
    """Attack: acme's callback carrying a validly signed state of tenant globex.

    The flow record is acme's; the state (even signed with the real key) names globex.
    """
    url = callback_url(browser)
    state = signer().verify(query_of(url)["state"])
    moved = StateClaims("connect", "globex", ALICE, state.nonce, state.expires_at)
    query = {**query_of(url), "state": signer().sign(moved)}
    refused(
        browser.callback(with_query(url, query)), 400, "already used", "invalid_state", "mismatch"
    )
    not_connected(browser)


def test_state_of_another_organizer_is_refused(browser: Browser) -> None:
    """Attack: bob's code delivered with alice's state (login CSRF / mix-up).

    PKCE stops it first: alice's verifier does not match the challenge of bob's code.
    """
    alice_url, bob_url = callback_url(browser, ALICE), callback_url(browser, BOB)
    query = {**query_of(bob_url), "state": query_of(alice_url)["state"]}
    refused(
        browser.callback(with_query(bob_url, query)),
        400,
        "did not complete the sign-in",
        "exchange_failed",
        "invalid_grant",
    )
    not_connected(browser, ALICE)
    not_connected(browser, BOB)


# ---- the browser that started the flow -------------------------------------------------


def another_browser(browser: Browser) -> Browser:
    """A second browser (its own, empty cookie jar) on the same function."""
    return Browser(browser.client.application.test_client())


def token_requests(sandbox: Any) -> int:
    """How many requests reached Google's token endpoint (code exchanges among them)."""
    return len(sandbox.requests(method_id="oauth2.token"))


def test_a_callback_without_the_flows_cookie_is_refused(browser: Browser, sandbox: Any) -> None:
    """Attack: a connect started in one browser, its Google URL finished in another that
    never had the flow's cookie; refused before the code is exchanged."""
    url = callback_url(browser)
    exchanges = token_requests(sandbox)
    reply = another_browser(browser).callback(url)
    refused(reply, 403, "started in another browser", "browser_mismatch", "no cookie")
    assert token_requests(sandbox) == exchanges
    not_connected(browser)


def test_a_callback_with_a_wrong_cookie_is_refused(browser: Browser) -> None:
    """Attack: the flow's cookie name with a value calsync never handed out."""
    url = callback_url(browser)
    name, _ = browser.flow_cookie(url)
    other = another_browser(browser)
    other.client.set_cookie(name, "a-guessed-or-planted-value")
    reply = other.callback(url)
    refused(reply, 403, "started in another browser", "browser_mismatch", "another browser's")
    not_connected(browser)


def test_a_refused_browser_uses_the_flow_up(browser: Browser) -> None:
    """After a callback in the wrong browser, the flow is gone: not even the browser that
    started it can finish it with that code."""
    url = callback_url(browser)
    assert another_browser(browser).callback(url).status_code == 403
    refused(browser.callback(url), 400, "already used", "invalid_state", "replayed")
    not_connected(browser)


def test_a_disconnect_started_by_someone_else_never_revokes_alices_grant(
    browser: Browser, grants: OrganizerGrants, sandbox: Any, stack: Any
) -> None:
    """Attack (issue 14, item 3): someone starts a /disconnect for alice in his own browser
    and sends her Google's URL; she clicks her account on the chooser. Her browser never
    started that flow, so nothing is revoked or scheduled and her grant keeps working."""
    from google.auth.transport.requests import Request

    assert browser.connect(ALICE).status_code == 200
    wait_for_tasks(sandbox)
    before = {t["name"] for t in sandbox.tasks()}
    attacker = another_browser(browser)
    lure = attacker.start(ALICE, path="/disconnect").headers["Location"]
    reply = browser.callback(browser.consent(lure))  # alice's own browser
    refused(reply, 403, "started in another browser", "browser_mismatch", "no cookie")
    assert {t["name"] for t in sandbox.tasks()} == before  # no revoke_grant task
    assert _revoked(stack, ALICE) == [False]
    credentials = grants.credentials("acme", ALICE)
    assert credentials is not None
    credentials.refresh(Request())
    status = browser.client.get(f"/status?tenant=acme&organizer={ALICE}").get_json()
    assert status["health"] == "connected"


PLATFORM = "learning-platform@platform-project.iam.gserviceaccount.com"
AUDIENCE = "https://oauth-callback-123.us-central1.run.app"


@pytest.fixture
def platform_only(browser: Browser) -> Browser:
    """oauth-callback as Terraform deploys it: only PLATFORM is the platform."""
    from calsync.entrypoints.services import reset_services

    os.environ["CALSYNC_STATUS_CALLERS"] = PLATFORM
    os.environ["CALSYNC_STATUS_AUDIENCE"] = AUDIENCE
    reset_services()
    return browser


def hop_for(browser: Browser, sandbox: Any, stack: Any, path: str = "/connect") -> str:
    """The hop URL the platform gets for alice (path and query, for the test client)."""
    token = id_token_of(sandbox, stack, PLATFORM, AUDIENCE)
    method = browser.client.post if path == "/disconnect" else browser.client.get
    reply = method(
        f"{path}?tenant=acme&organizer={ALICE}&format=json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert reply.status_code == 200, reply.get_data(as_text=True)
    parts = urlsplit(reply.get_json()["url"])
    assert parts.path == "/start"
    return f"{parts.path}?{parts.query}"


def test_only_the_platform_gets_a_hop(platform_only: Browser, sandbox: Any, stack: Any) -> None:
    """Attack: an outsider asks calsync for a hop URL for alice's disconnect (to send her):
    the JSON start answers the platform's identity only."""
    outsider = id_token_of(sandbox, stack, "someone@other.iam.gserviceaccount.com", AUDIENCE)
    for headers, status in (({}, 401), ({"Authorization": f"Bearer {outsider}"}, 403)):
        reply = platform_only.client.post(
            f"/disconnect?tenant=acme&organizer={ALICE}&format=json", headers=headers
        )
        assert reply.status_code == status, reply.get_data(as_text=True)
        assert "url" not in reply.get_json()
    assert hop_for(platform_only, sandbox, stack, "/disconnect").startswith("/start?flow=")


def test_a_hop_opened_by_a_second_browser_is_refused(
    platform_only: Browser, sandbox: Any, stack: Any
) -> None:
    """Attack: the hop URL the platform handed alice is opened again in another browser
    (forwarded, or read off her screen): refused, no cookie, no Google URL; alice's browser,
    which opened it first, finishes the flow."""
    hop = hop_for(platform_only, sandbox, stack)
    alice, other = another_browser(platform_only), another_browser(platform_only)
    opened = alice.client.get(hop)
    assert opened.status_code == 302
    second = other.client.get(hop)
    refused(second, 403, "already opened in another browser", "hop_used")
    assert "Location" not in second.headers
    assert "Set-Cookie" not in second.headers
    done = alice.callback(alice.consent(opened.headers["Location"]))
    assert done.status_code == 200, done.get_data(as_text=True)


def test_a_hop_nobody_opened_cannot_be_finished(
    platform_only: Browser, sandbox: Any, stack: Any, grants: OrganizerGrants
) -> None:
    """Attack: the state is lifted out of a hop URL and taken straight to Google, skipping
    the hop: the flow is bound to no browser, so no callback finishes it."""
    hop = hop_for(platform_only, sandbox, stack)
    state = query_of(hop)["flow"]
    lure = platform_only.start(ALICE).headers["Location"]  # any consent URL, then its state
    url = platform_only.consent(with_query(lure, {**query_of(lure), "state": state}))
    reply = platform_only.callback(url)
    refused(reply, 403, "started in another browser", "browser_mismatch")
    assert grants.credentials("acme", ALICE) is None


@pytest.mark.parametrize(
    "headers",
    [{"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}],
    ids=["sec-fetch-site", "origin"],
)
def test_a_form_on_another_site_cannot_start_a_disconnect(
    browser: Browser, sandbox: Any, headers: dict[str, str]
) -> None:
    """Attack: a page on another site auto-submits a form POSTing /disconnect for alice in
    her browser (which would get the flow's cookie): refused, no flow starts."""
    reply = browser.client.post(f"/disconnect?tenant=acme&organizer={ALICE}", headers=headers)
    refused(reply, 403, "did not come from calendar sync", "cross_site_request")
    assert "Set-Cookie" not in reply.headers
    own = {"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"}
    assert (
        browser.client.post(f"/disconnect?tenant=acme&organizer={ALICE}", headers=own).status_code
        == 302
    )


# ---- identity ---------------------------------------------------------------------------


def assert_revoked_at_google(stack: Any, email: str) -> None:
    """Every grant the sandbox issued to ``email`` was revoked again (white-box look)."""
    issued = [g for g in stack.sandbox.world.grants.values() if g.email == email]
    assert issued
    assert all(g.revoked for g in issued)


def test_another_google_account_is_refused(browser: Browser, stack: Any) -> None:
    """Attack: the flow for alice is completed by bob's Google account (whose grant is
    revoked again: calsync keeps nothing it did not ask for)."""
    reply = browser.connect(ALICE, tamper=lambda q: {**q, "login_hint": BOB})
    refused(reply, 403, "different Google account", "wrong_account")
    not_connected(browser, ALICE)
    not_connected(browser, BOB)
    assert_revoked_at_google(stack, BOB)


def _revoked(stack: Any, email: str) -> list[bool]:
    """Whether each grant the sandbox issued to ``email`` was revoked, oldest first."""
    return [g.revoked for g in stack.sandbox.world.grants.values() if g.email == email]


def test_a_refused_flow_never_revokes_a_working_grant_of_the_same_account(
    browser: Browser, stack: Any, grants: OrganizerGrants
) -> None:
    """Bob (connected) completes alice's flow with his account: refused, but his fresh tokens
    are not revoked, since Google would revoke his stored working grant with them."""
    assert browser.connect(BOB).status_code == 200
    reply = browser.connect(ALICE, tamper=lambda q: {**q, "login_hint": BOB})
    refused(reply, 403, "different Google account", "wrong_account")
    assert _revoked(stack, BOB) == [False, False]
    assert grants.credentials("acme", BOB) is not None


@pytest.fixture
def broken_vault(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Storing a grant fails: the OAuth function's encryption keys are misconfigured."""
    from calsync.config import reset_settings_cache

    monkeypatch.setenv("CALSYNC_LOCAL_ENCRYPTION_KEYS", "not a keyring")
    reset_settings_cache()
    yield
    monkeypatch.undo()
    reset_settings_cache()


def test_tokens_are_revoked_when_storing_the_grant_fails(
    organizers: tuple[str, ...], stack: Any, broken_vault: None
) -> None:
    """Whatever makes storing fail (here the vault), Google's fresh tokens are revoked."""
    reply = Browser(_oauth_app()).connect(ALICE)
    assert reply.status_code == 500, reply.get_data(as_text=True)
    assert _revoked(stack, ALICE) == [True]


def _oauth_app() -> Any:
    from functions_framework import create_app

    from calsync_dev.stack import repo_root

    source = repo_root() / "functions" / "oauth_callback" / "main.py"
    return create_app(target="oauth_callback", source=str(source)).test_client()


def test_unverified_email_is_refused(browser: Browser, sandbox: Any) -> None:
    """Attack: an account whose email Google has not verified."""
    sandbox.seed_user(ALICE, email_verified=False)
    refused(browser.connect(ALICE), 403, "not verified", "unverified_email")
    not_connected(browser)


@pytest.mark.parametrize("hosted_domain", ["", "evil.example"])
def test_foreign_hosted_domain_is_refused(
    browser: Browser, sandbox: Any, hosted_domain: str
) -> None:
    """Attack: a consumer account (no hd) or another Workspace claiming alice's address."""
    sandbox.seed_user(ALICE, hosted_domain=hosted_domain)
    refused(browser.connect(ALICE), 403, "not managed by your organization", "foreign_domain")
    not_connected(browser)


def test_partial_scopes_store_nothing_and_name_the_missing_permission(
    browser: Browser, sandbox: Any, stack: Any
) -> None:
    """Attack/mistake: unticked boxes on the consent screen; the grant is revoked again."""
    sandbox.set_consent(
        ALICE,
        scopes=["openid", "email", "https://www.googleapis.com/auth/calendar.events"],
    )
    reply = browser.connect(ALICE)
    refused(reply, 403, "Some permissions were not granted", "missing_scopes")
    text = reply.get_data(as_text=True)
    assert "See, edit, share, and permanently delete all the calendars" in text
    assert "View calendar resources on your domain" in text
    not_connected(browser)
    assert_revoked_at_google(stack, ALICE)


def test_denied_consent_stores_nothing(browser: Browser, sandbox: Any) -> None:
    """The person clicks Cancel."""
    sandbox.set_consent(ALICE, deny=True)
    refused(browser.connect(ALICE), 403, "Access was not granted", "access_denied")
    not_connected(browser)


def test_json_callers_get_the_refusal_code(browser: Browser, sandbox: Any) -> None:
    """The platform asking for JSON sees the reason code, never a token."""
    sandbox.set_consent(ALICE, deny=True)
    url = callback_url(browser)
    parts = url.split("?", 1)[1]
    reply = browser.client.get("/callback?" + parts, headers={"Accept": "application/json"})
    assert (reply.status_code, reply.get_json()["error"]) == (403, "access_denied")


# ---- the vault in Firestore -------------------------------------------------------------


def _grant_doc(email: str, tenant: str = "acme") -> Any:
    db = firestore_client(get_settings().project)
    return db.collection("tenants").document(tenant).collection("organizers").document(email)


def _store() -> GrantStore:
    settings = get_settings()
    return GrantStore(
        firestore_client(settings.project), lambda: vault_from_settings(settings.oauth)
    )


COPIES = {"to another organizer": ("acme", BOB), "to another tenant": ("globex", ALICE)}


@pytest.mark.parametrize(("tenant", "organizer"), list(COPIES.values()), ids=list(COPIES))
def test_whole_grant_document_copied_elsewhere_is_refused(
    browser: Browser,
    grants: OrganizerGrants,
    captured_logs: Callable[[], str],
    tenant: str,
    organizer: str,
) -> None:
    """Attack: alice's whole grant document copied with set() onto bob's path, or onto
    alice's path in another tenant: it names alice of acme, so it is refused there (the sync
    path sees no grant and logs one line); alice's own grant still works."""
    browser.connect(ALICE)
    _grant_doc(organizer, tenant).set(_grant_doc(ALICE).get().to_dict())
    with pytest.raises(GrantMisplaced, match="names another tenant or organizer"):
        _store().get(tenant, organizer)
    assert grants.credentials(tenant, organizer) is None
    lines = [line for line in captured_logs().splitlines() if "does not decrypt" in line]
    assert len(lines) == 1, lines
    assert grants.credentials("acme", ALICE) is not None


@pytest.mark.parametrize(("tenant", "organizer"), list(COPIES.values()), ids=list(COPIES))
def test_copied_grant_with_its_fields_rewritten_does_not_decrypt(
    browser: Browser, grants: OrganizerGrants, tenant: str, organizer: str
) -> None:
    """Attack: the whole document copied with set() and its tenant_id/email fields rewritten
    to match the new path; the associated data comes from the path, so it does not open."""
    browser.connect(ALICE)
    copied = {**_grant_doc(ALICE).get().to_dict(), "tenant_id": tenant, "email": organizer}
    _grant_doc(organizer, tenant).set(copied)
    record = _store().get(tenant, organizer)
    assert record is not None
    with pytest.raises(DecryptionFailed, match="authenticate"):
        _store().refresh_token(tenant, organizer, record)
    assert grants.credentials(tenant, organizer) is None


def test_tampered_ciphertext_does_not_decrypt(browser: Browser, grants: OrganizerGrants) -> None:
    """Attack: one bit of the stored ciphertext flipped in Firestore."""
    browser.connect(ALICE)
    doc = _grant_doc(ALICE)
    raw = bytearray(base64.b64decode(doc.get().to_dict()["envelope"]["ct"]))
    raw[0] ^= 0x01
    doc.update({"envelope.ct": base64.b64encode(bytes(raw)).decode()})
    settings = get_settings()
    store = GrantStore(
        firestore_client(settings.project), lambda: vault_from_settings(settings.oauth)
    )
    record = store.get("acme", ALICE)
    assert record is not None
    with pytest.raises(DecryptionFailed):
        store.refresh_token("acme", ALICE, record)
    assert grants.credentials("acme", ALICE) is None


def test_ciphertext_copied_to_another_organizer_does_not_decrypt(
    browser: Browser, grants: OrganizerGrants
) -> None:
    """Attack: alice's encrypted grant pasted onto bob's document."""
    browser.connect(ALICE)
    browser.connect(BOB)
    alice = _grant_doc(ALICE).get().to_dict()
    _grant_doc(BOB).update({"envelope": alice["envelope"], "grant_id": "pasted"})
    assert grants.credentials("acme", BOB) is None
    assert grants.credentials("acme", ALICE) is not None


# ---- logs -------------------------------------------------------------------------------


@pytest.fixture
def captured_logs(caplog: pytest.LogCaptureFixture) -> Iterator[Callable[[], str]]:
    """Every line calsync logs, at any level, plus what any other library logs at INFO and
    above (what a deployed function emits; urllib3's DEBUG URLs are off there). The Google
    sandbox's own lines are Google's side, not calsync's, and are left out."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter("calsync-local"))
    logger = logging.getLogger("calsync")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.DEBUG)
    caplog.set_level(logging.INFO)

    def text() -> str:
        others = [r.getMessage() for r in caplog.records if not r.name.startswith("calsync")]
        return buffer.getvalue() + "\n".join(others)

    try:
        yield text
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_no_token_code_verifier_or_state_reaches_a_log_line(
    browser: Browser, grants: OrganizerGrants, sandbox: Any, captured_logs: Callable[[], str]
) -> None:
    """Connect, a refused flow, a replay, status and disconnect: no secret is ever logged."""
    started = browser.start(ALICE)
    state = query_of(started.headers["Location"])["state"]
    nonce = signer().verify(state).nonce
    record = firestore_client(get_settings().project).collection("oauth_states")
    verifier = record.document(StateClaims("connect", "acme", ALICE, nonce, 0).record_id)
    code_verifier = verifier.get().to_dict()["code_verifier"]
    url = browser.consent(started.headers["Location"])
    code = query_of(url)["code"]
    assert browser.callback(url).status_code == 200
    assert browser.callback(url).status_code == 400
    browser.connect(ALICE, tamper=lambda q: {**q, "login_hint": BOB})
    credentials = grants.credentials("acme", ALICE)
    assert credentials is not None
    refresh_token = credentials.refresh_token
    browser.client.get(f"/status?tenant=acme&organizer={ALICE}")
    browser.disconnect(ALICE)
    text = captured_logs()
    assert "OAuth flow finished" in text
    assert "OAuth flow refused" in text
    for secret in (state, nonce, code, code_verifier, refresh_token):
        assert secret not in text
        assert quote(secret, safe="") not in text
    assert quote(code, safe="") in " ".join(browser.seen_urls)  # the values were real


def test_a_failing_token_refresh_logs_no_token_even_when_google_echoes_one(
    browser: Browser, grants: OrganizerGrants, sandbox: Any, captured_logs: Callable[[], str]
) -> None:
    """Leak: the token endpoint fails with an error text echoing the request (a Bearer header,
    the refresh token) while reconcile refreshes alice's grant; the lines the reconcile path
    logs (with Google's text in them) carry neither: redaction by value, not only by name."""
    import json

    from functions_framework import create_app

    from calsync_dev.stack import repo_root
    from tests.unit.factories import upsert_message

    assert browser.connect(ALICE).status_code == 200
    credentials = grants.credentials("acme", ALICE)
    assert credentials is not None
    leaked = ("ya29.sandbox-echoed-access-token", str(credentials.refresh_token))
    echo = f"echoing Authorization: Bearer {leaked[0]} for refresh_token={leaked[1]}"
    sandbox.inject_fault("oauth2.token", user=ALICE, status=500, message=echo)
    source = repo_root() / "functions" / "on_event_change" / "main.py"
    client = create_app("on_event_change", str(source), "http").test_client()
    data = base64.b64encode(json.dumps(upsert_message(version=1)).encode()).decode()
    reply = client.post("/", json={"message": {"data": data, "messageId": "1"}})
    sandbox.clear_faults()
    assert reply.status_code == 503, reply.get_data(as_text=True)
    text = captured_logs()
    assert "token refresh failed" in text
    for secret in leaked:
        assert secret not in text
