"""Binding an OAuth flow to the browser that started it: a ``__Host-`` cookie per flow.

No I/O here. When a browser starts a flow (or opens the platform's hop), calsync sets a cookie
holding a fresh random secret and keeps only its SHA-256 digest with the flow's record. The
callback must bring the cookie back; its digest is compared in constant time with the stored
one before anything is exchanged or revoked. So a Google URL started by someone else (another
browser) cannot be finished in the victim's browser. Each flow has its own cookie, named after
its record, so two flows in one browser do not disturb each other::

    secret = new_secret()
    headers["Set-Cookie"] = set_cookie(cookie_name(claims.record_id), secret)
    ...                                                   # stored: digest(secret)
    if not matches(stored_digest, request.cookies.get(cookie_name(claims.record_id))):
        ...                                               # refused: browser_mismatch

The cookie is ``Secure; HttpOnly; Path=/; SameSite=Lax`` without ``Domain`` (what the
``__Host-`` prefix demands, so no sibling host can plant or overwrite it). ``Lax`` because the
way back from Google is a cross-site, top-level GET navigation, which ``Strict`` would strip.
Browsers accept ``Secure`` cookies from ``http://localhost`` and ``http://127.0.0.1`` (secure
contexts), so the local stack uses the same cookie as production.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = [
    "COOKIE_PREFIX",
    "clear_cookie",
    "cookie_name",
    "digest",
    "matches",
    "new_secret",
    "set_cookie",
]

COOKIE_PREFIX = "__Host-calsync-flow-"
_ATTRIBUTES = "Path=/; Secure; HttpOnly; SameSite=Lax"
_CONTEXT = b"calsync/browser-binding/v1\x00"


def cookie_name(record_id: str) -> str:
    """The cookie of the flow whose ``oauth_states`` record is ``record_id`` (a digest)."""
    return COOKIE_PREFIX + record_id[:16]


def new_secret() -> str:
    """A fresh browser secret (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """What calsync stores: the secret's SHA-256 (hex); the secret itself never leaves the
    browser's cookie jar and this response."""
    return hashlib.sha256(_CONTEXT + secret.encode()).hexdigest()


def matches(stored: str | None, secret: str | None) -> bool:
    """Whether the cookie's ``secret`` is the one whose digest the flow stored (constant
    time). A flow with no digest (a hop nobody opened) matches nothing."""
    if not stored or not secret:
        return False
    return hmac.compare_digest(stored, digest(secret))


def set_cookie(name: str, secret: str, max_age: int) -> str:
    """The ``Set-Cookie`` value that hands ``secret`` to the browser for ``max_age`` seconds."""
    return f"{name}={secret}; Max-Age={max(int(max_age), 1)}; {_ATTRIBUTES}"


def clear_cookie(name: str) -> str:
    """The ``Set-Cookie`` value that removes the flow's cookie (same attributes, or browsers
    ignore it for a ``__Host-`` name)."""
    return f"{name}=; Max-Age=0; {_ATTRIBUTES}"
