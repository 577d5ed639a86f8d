"""A real browser for the OAuth flows: headless Chromium from Debian, driven by selenium.

``./run test`` installs Debian's ``chromium`` and ``chromium-driver`` when they are missing;
the driver is pinned to ``/usr/bin/chromedriver`` (selenium's driver manager would download
one, and this machine has no internet). Without them every test here fails with a message
saying so: a browser test that silently skips would hide the very check it exists for.

Each test gets clean browsers (``alice_chrome``, and ``other_chrome`` for a second person,
each its own profile), and ``shot(browser, "name")`` saves a screenshot of the page it shows
in ``.artifacts/browser/`` (git-ignored; emptied at the start of a session).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[2] / ".artifacts" / "browser"

Shot = Callable[[Any, str], Path]


def _start_chromium() -> Any:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.fail(
            f"the browser tests need Debian's chromium and chromium-driver ({', '.join(missing)} "
            "missing): ./run test installs them (apt-get install chromium chromium-driver)",
            pytrace=False,
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1000,800",
    ):
        options.add_argument(argument)
    # The browser keeps the real clock under ./run test-shifted (libfaketime makes chromedriver
    # crash or hang), as the emulators' JVMs do; cookie lifetimes are relative (Max-Age).
    env = {
        k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and not k.startswith("FAKETIME")
    }
    service = Service(str(CHROMEDRIVER), env=env)
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(30)
    return driver


@pytest.fixture(scope="session")
def _chromes() -> Iterator[dict[str, Any]]:
    """Two Chromium processes for the session (each its own profile), started on demand."""
    started: dict[str, Any] = {}
    yield started
    for driver in started.values():
        driver.quit()


def _clean_chrome(chromes: dict[str, Any], who: str) -> Any:
    if who not in chromes:
        chromes[who] = _start_chromium()
    driver = chromes[who]
    driver.get("about:blank")
    driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
    return driver


@pytest.fixture
def alice_chrome(_chromes: dict[str, Any]) -> Any:
    """Alice's browser, with no cookies."""
    return _clean_chrome(_chromes, "alice")


@pytest.fixture
def other_chrome(_chromes: dict[str, Any]) -> Any:
    """Somebody else's browser (another profile), with no cookies."""
    return _clean_chrome(_chromes, "other")


@pytest.fixture(scope="session")
def _artifacts() -> Path:
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS


@pytest.fixture
def shot(_artifacts: Path, request: pytest.FixtureRequest) -> Shot:
    """``shot(driver, "consent")`` saves the page as .artifacts/browser/<test>-<n>-consent.png."""
    test = re.sub(r"\W+", "-", request.node.name.removeprefix("test_"))
    taken: list[Path] = []

    def save(driver: Any, page: str) -> Path:
        path = _artifacts / f"{test}-{len(taken) + 1}-{page}.png"
        assert driver.save_screenshot(str(path)), f"no screenshot of {page}"
        taken.append(path)
        return path

    return save
