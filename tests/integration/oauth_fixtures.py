"""Fixtures and a scripted browser for the organizer OAuth tests.

``browser.connect(organizer)`` does what a person's browser does: open ``/connect`` on the
oauth_callback function (in-process, functions-framework's test client), follow the 302 to
the sandbox's consent screen, follow its 302 back to ``/callback`` and return that answer.
``tamper`` lets a test change the consent URL on the way (another account, a stolen state).
The test client keeps the cookies the function sets (the flow's ``__Host-`` cookie among
them) and sends them back, as a browser does; ``Browser(app.test_client())`` is another
browser with an empty cookie jar. Test modules load it with ``pytest_plugins``
(PYTEST_DONT_REWRITE: they import it first).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests
from functions_framework import create_app

from calsync.config import get_settings
from calsync.entrypoints.platform_events import handle_platform_event
from calsync.organizers.browser_binding import cookie_name
from calsync.organizers.grants import OrganizerGrants, organizer_grants
from calsync.organizers.oauth_flow import StateSigner
from calsync_dev.stack import LocalStack, repo_root
from tests.unit.factories import settings_message

ORGANIZERS = ("alice@acme.com", "bob@acme.com")
Tamper = Callable[[dict[str, str]], dict[str, str]]


def query_of(url: str) -> dict[str, str]:
    """A URL's query as a flat dict."""
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def with_query(url: str, query: dict[str, str]) -> str:
    """``url`` with its query replaced."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query=urlencode(query)))


@dataclass
class Browser:
    """A person's browser between the function and the sandbox's consent screen."""

    client: Any
    seen_urls: list[str] = field(default_factory=list)

    def start(self, organizer: str, tenant: str = "acme", path: str = "/connect") -> Any:
        """GET /connect (or POST /disconnect) for ``organizer``."""
        query = urlencode({"tenant": tenant, "organizer": organizer})
        if path == "/disconnect":
            return self.client.post(f"{path}?{query}")
        return self.client.get(f"{path}?{query}")

    def consent(self, location: str, tamper: Tamper | None = None) -> str:
        """Follow Google's consent screen; returns the callback URL it redirects to."""
        if tamper is not None:
            location = with_query(location, tamper(query_of(location)))
        reply = requests.get(location, allow_redirects=False, timeout=10)
        assert reply.status_code == 302, reply.text
        callback = str(reply.headers["Location"])
        self.seen_urls += [location, callback]
        return callback

    def callback(self, url: str) -> Any:
        """Deliver Google's redirect to /callback (in-process)."""
        parts = urlsplit(url)
        return self.client.get(f"{parts.path}?{parts.query}")

    def connect(self, organizer: str, tenant: str = "acme", tamper: Tamper | None = None) -> Any:
        """The whole connect flow; the callback's answer."""
        started = self.start(organizer, tenant)
        assert started.status_code == 302, started.get_data(as_text=True)
        return self.callback(self.consent(started.headers["Location"], tamper))

    def flow_cookie(self, url: str) -> tuple[str, str]:
        """(name, value) of the cookie of the flow whose state ``url`` carries (this browser
        holds it)."""
        state = query_of(url)["state"]
        name = cookie_name(
            StateSigner(os.environ["CALSYNC_STATE_SIGNING_KEY"]).verify(state).record_id
        )
        cookie = self.client.get_cookie(name)
        assert cookie is not None, f"this browser has no cookie for the flow ({name})"
        return name, str(cookie.value)

    def twin(self, url: str) -> Browser:
        """Another client holding this browser's cookie for the flow of ``url`` (the same
        browser seen twice)."""
        other = Browser(self.client.application.test_client())
        other.client.set_cookie(*self.flow_cookie(url))
        return other

    def disconnect(self, organizer: str, tenant: str = "acme") -> Any:
        """The whole disconnect flow (sign in again to prove who you are)."""
        started = self.start(organizer, tenant, path="/disconnect")
        assert started.status_code == 302, started.get_data(as_text=True)
        return self.callback(self.consent(started.headers["Location"]))


def id_token_of(sandbox: Any, stack: LocalStack, account: str, audience: str) -> str:
    """An ID token of the service account ``account`` for ``audience``, as it gets it from
    IAM Credentials ``generateIdToken`` (the sandbox's)."""
    sandbox.create_service_account(account)
    sandbox.grant_token_creator(account, account)
    access = sandbox.mint_token(account)["access_token"]
    reply = requests.post(
        f"{stack.endpoints['google_sandbox']}/v1/projects/-/serviceAccounts/{account}"
        ":generateIdToken",
        headers={"Authorization": f"Bearer {access}"},
        json={"audience": audience, "includeEmail": True},
        timeout=10,
    )
    assert reply.status_code == 200, reply.text
    token: str = reply.json()["token"]
    return token


@pytest.fixture
def organizers(clean: LocalStack, sandbox: Any) -> tuple[str, ...]:
    """Tenant acme (domain acme.com, organizer accounts) and its organizers in the sandbox."""
    sandbox.seed_domain("acme.com")
    for email in ORGANIZERS:
        sandbox.seed_user(email)
    message = settings_message(use_organizer_accounts=True)
    from calsync.entrypoints.services import services

    handle_platform_event(services(), json.dumps(message).encode())
    return ORGANIZERS


@pytest.fixture
def browser(organizers: tuple[str, ...]) -> Browser:
    """A browser talking to the oauth_callback function in-process."""
    source = repo_root() / "functions" / "oauth_callback" / "main.py"
    app = create_app(target="oauth_callback", source=str(source))
    return Browser(app.test_client())


@pytest.fixture
def grants(organizers: tuple[str, ...]) -> OrganizerGrants:
    """The library API reconcile uses."""
    return organizer_grants(get_settings())
