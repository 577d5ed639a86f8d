"""The demo's callers of calsync's HTTP functions, other than the platform's messages.

``sweep`` does what Cloud Scheduler does (POST to ``orphan_sweeper`` with the
job's headers) and returns the sweeper's report; ``connect_organizer`` does
what an organizer's browser does (``oauth_callback``'s /connect, the Google
sandbox's consent, back to /callback) with an :class:`OrganizerBrowser`::

    connect_organizer(oauth_url, "globex", "olivia@globex.com")
    report = sweep(sweeper_url)
    page = OrganizerBrowser().open(f"{oauth_url}disconnect?tenant=…&organizer=…", "POST")

``sweep`` and ``connect_organizer`` raise ``RuntimeError`` when the function does not
answer as expected.
"""

from __future__ import annotations

import time
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urljoin, urlsplit

if TYPE_CHECKING:
    import requests

__all__ = ["OrganizerBrowser", "connect_organizer", "sweep"]

_LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


class OrganizerBrowser:
    """A person's browser in plain HTTP: follows redirects one at a time, keeps the cookies
    each host sets (deleting those set with ``Max-Age=0``) and sends them back to that host.

    Like Chromium it treats ``http://127.0.0.1`` and ``http://localhost`` as secure, so the
    ``Secure`` ``__Host-`` cookie binding an OAuth flow (docs/oauth.md) comes back on the
    local stack; ``requests``' own cookie jar never sends a ``Secure`` cookie over http.
    """

    def __init__(self, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self.cookies: dict[str, dict[str, str]] = {}
        """host name → {cookie name: value}"""

    def open(self, url: str, method: str = "GET", max_hops: int = 10) -> requests.Response:
        """The answer at the end of the redirects (a POST's redirects are followed with GET)."""
        import requests

        for _ in range(max_hops):
            host = urlsplit(url).hostname or ""
            jar = self.cookies.setdefault(host, {})
            secure = urlsplit(url).scheme == "https" or host in _LOCAL_HOSTS
            headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())} if secure else {}
            reply = requests.request(
                method, url, headers=headers, allow_redirects=False, timeout=self.timeout
            )
            for header in reply.raw.headers.getlist("Set-Cookie"):
                self._keep(jar, header)
            if reply.status_code not in (301, 302, 303, 307, 308):
                return reply
            url, method = urljoin(url, reply.headers["Location"]), "GET"
        raise RuntimeError(f"more than {max_hops} redirects")

    @staticmethod
    def _keep(jar: dict[str, str], header: str) -> None:
        parsed: SimpleCookie = SimpleCookie()
        parsed.load(header)
        for name, morsel in parsed.items():
            if morsel["max-age"] in ("0", "-1"):
                jar.pop(name, None)
            else:
                jar[name] = morsel.value


def sweep(sweeper_url: str) -> dict[str, Any]:
    """What Cloud Scheduler does: POST to the orphan sweeper, with its job headers."""
    import requests

    reply = requests.post(
        sweeper_url,
        timeout=120,
        headers={
            "X-CloudScheduler-JobName": "calsync-orphan-sweep",
            "X-CloudScheduler-ScheduleTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        },
    )
    if reply.status_code != 200:
        raise RuntimeError(f"the sweep failed: HTTP {reply.status_code} {reply.text[:200]}")
    report: dict[str, Any] = reply.json()
    return report


def connect_organizer(oauth_url: str, tenant: str, email: str) -> None:
    """What an organizer's browser does: /connect, Google's consent, back to /callback."""
    query = urlencode({"tenant": tenant, "organizer": email})
    reply = OrganizerBrowser().open(f"{oauth_url}connect?{query}")
    if reply.status_code != 200 or "connected" not in reply.text.lower():
        raise RuntimeError(f"connecting {email} failed: HTTP {reply.status_code}")
