"""Connect, disconnect and a disconnect started by someone else, in headless Chromium.

The browsers talk to the running oauth_callback function of the session's stack and to the
sandbox's consent page (``set_consent(screen=True)``: the person clicks Allow), so cookies,
redirects, ``Sec-Fetch-Site``/``Origin`` and the ``__Host-`` prefix are Chromium's own. Every
page is saved as a screenshot in .artifacts/browser/ (docs/testing.md).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import pytest
import requests
from selenium.common.exceptions import (
    NoSuchElementException,
    StaleElementReferenceException,
    TimeoutException,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import Shot
from tests.integration.conftest import wait_for_tasks

pytest_plugins = ["tests.integration.oauth_fixtures"]

ALICE = "alice@acme.com"
FOR_ALICE = urlencode({"tenant": "acme", "organizer": ALICE})
FLOW_COOKIE = "__Host-calsync-flow-"
_NAVIGATING = (NoSuchElementException, StaleElementReferenceException)


@pytest.fixture
def calsync(organizers: tuple[str, ...], stack: Any) -> str:
    """The running oauth_callback function's base URL (tenant acme, organizer accounts)."""
    return str(stack.endpoints["functions"]["oauth_callback"])


def page_says(driver: Any, words: str, timeout: float = 20.0) -> None:
    """Wait until the page shows ``words``; else fail with what it shows."""
    try:
        WebDriverWait(driver, timeout, ignored_exceptions=_NAVIGATING).until(
            lambda d: words in d.find_element(By.TAG_NAME, "body").text
        )
    except TimeoutException:
        shown = driver.find_element(By.TAG_NAME, "body").text[:300]
        pytest.fail(f"{driver.current_url} never said {words!r}; it says {shown!r}")


def health(calsync: str) -> str:
    """alice's /status health (the local stack lets anyone read it)."""
    reply = requests.get(f"{calsync}status?{FOR_ALICE}", timeout=10)
    return str(reply.json()["health"])


def flow_cookies(driver: Any) -> list[dict[str, Any]]:
    """The flow cookies the browser holds for 127.0.0.1 (WebDriver sees HttpOnly ones)."""
    return [c for c in driver.get_cookies() if c["name"].startswith(FLOW_COOKIE)]


def connect_at_once(driver: Any, calsync: str) -> None:
    """alice connects in ``driver`` with the sandbox consenting at once."""
    driver.get(f"{calsync}connect?{FOR_ALICE}")
    page_says(driver, "Google Calendar connected")


def test_an_organizer_connects_in_chromium(
    alice_chrome: Any, calsync: str, sandbox: Any, shot: Shot
) -> None:
    """/connect sets the flow's __Host- cookie (Secure over http://127.0.0.1 too), the
    consent page is clicked, and the cookie comes back across sites: the consent page is
    opened as localhost, another site than 127.0.0.1, like accounts.google.com. Connected;
    the cookie is cleared."""
    sandbox.set_consent(ALICE, screen=True)
    alice_chrome.get(f"{calsync}connect?{FOR_ALICE}")
    page_says(alice_chrome, "Choose an account")
    (cookie,) = flow_cookies(alice_chrome)
    assert (cookie["secure"], cookie["httpOnly"], cookie["sameSite"]) == (True, True, "Lax")
    assert (cookie["domain"], cookie["path"]) == ("127.0.0.1", "/")
    consent = urlsplit(alice_chrome.current_url)
    alice_chrome.get(urlunsplit(consent._replace(netloc=f"localhost:{consent.port}")))
    page_says(alice_chrome, ALICE)
    shot(alice_chrome, "consent-page")
    alice_chrome.find_element(By.ID, "allow").click()
    page_says(alice_chrome, "Google Calendar connected")
    shot(alice_chrome, "connected")
    assert alice_chrome.current_url.startswith(f"{calsync}callback?")
    assert health(calsync) == "connected"
    alice_chrome.get(f"{calsync}status?{FOR_ALICE}")
    assert flow_cookies(alice_chrome) == []


def test_an_organizer_disconnects_in_chromium(
    alice_chrome: Any, calsync: str, sandbox: Any, shot: Shot
) -> None:
    """The confirmation page's button (a same-origin POST), the account chooser, and the
    grant is revoked and forgotten."""
    connect_at_once(alice_chrome, calsync)
    sandbox.set_consent(ALICE, screen=True)
    alice_chrome.get(f"{calsync}disconnect?{FOR_ALICE}")
    page_says(alice_chrome, "Disconnect Google Calendar?")
    shot(alice_chrome, "confirmation")
    alice_chrome.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    page_says(alice_chrome, "Choose an account")
    shot(alice_chrome, "account-chooser")
    alice_chrome.find_element(By.ID, "allow").click()
    page_says(alice_chrome, "Google Calendar disconnected")
    shot(alice_chrome, "disconnected")
    wait_for_tasks(sandbox)
    assert health(calsync) == "not_connected"


def test_a_disconnect_started_in_another_browser_is_refused_in_alices_chromium(
    alice_chrome: Any, other_chrome: Any, calsync: str, sandbox: Any, shot: Shot
) -> None:
    """Attack (issue 14, item 3), in real browsers: someone starts a /disconnect for alice
    in his own browser and sends her the Google URL it reached; in her browser she clicks
    her account on the chooser. Refused ("started in another browser"); her grant works."""
    connect_at_once(alice_chrome, calsync)
    wait_for_tasks(sandbox)
    before = {t["name"] for t in sandbox.tasks()}
    sandbox.set_consent(ALICE, screen=True)
    other_chrome.get(f"{calsync}disconnect?{FOR_ALICE}")
    other_chrome.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    page_says(other_chrome, "Choose an account")
    shot(other_chrome, "attackers-browser-at-google")
    lure = other_chrome.current_url
    alice_chrome.get(lure)
    page_says(alice_chrome, "Choose an account")
    shot(alice_chrome, "alices-browser-at-google")
    alice_chrome.find_element(By.ID, "allow").click()
    page_says(alice_chrome, "This sign-in was started in another browser")
    shot(alice_chrome, "refused")
    assert {t["name"] for t in sandbox.tasks()} == before  # no revoke_grant task
    assert health(calsync) == "connected"


def test_a_form_on_another_site_cannot_start_a_disconnect_in_chromium(
    alice_chrome: Any, calsync: str, shot: Shot
) -> None:
    """Attack: a page of another site (here a data: URL) auto-submits a form POSTing
    /disconnect for alice in her browser; Chromium says where it came from (Sec-Fetch-Site,
    Origin) and calsync refuses before any flow starts."""
    connect_at_once(alice_chrome, calsync)
    action = f"{calsync}disconnect?{FOR_ALICE}"
    attacker_page = (
        f'<form method="post" action="{action}"></form><script>document.forms[0].submit()</script>'
    )
    alice_chrome.get("data:text/html," + attacker_page)
    page_says(alice_chrome, "This request did not come from calendar sync")
    shot(alice_chrome, "refused")
    assert flow_cookies(alice_chrome) == []
    assert health(calsync) == "connected"


def test_the_platforms_hop_binds_the_browser_that_opens_it_first(
    alice_chrome: Any, other_chrome: Any, calsync: str, sandbox: Any, shot: Shot
) -> None:
    """The platform asks for alice's connect URL (JSON) and gets calsync's hop; her browser
    opens it, gets the cookie and connects; the same link in another browser is refused."""
    sandbox.set_consent(ALICE, screen=True)
    hop = requests.get(f"{calsync}connect?{FOR_ALICE}&format=json", timeout=10).json()["url"]
    assert hop.startswith(f"{calsync}start?flow=")
    alice_chrome.get(hop)
    page_says(alice_chrome, "Choose an account")
    other_chrome.get(hop)
    page_says(other_chrome, "This link was already opened in another browser")
    shot(other_chrome, "hop-refused-in-another-browser")
    alice_chrome.find_element(By.ID, "allow").click()
    page_says(alice_chrome, "Google Calendar connected")
    shot(alice_chrome, "connected-through-the-hop")
    assert health(calsync) == "connected"
