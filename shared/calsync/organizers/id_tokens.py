"""Verifying Google id_tokens against the JWKS endpoint, and who they say the person is.

``GoogleKeys`` fetches the JWK set at ``jwks_uri`` (``/oauth2/v3/certs``), keeps it for
the ``max-age`` Google sends and fetches again, once, when a token names a ``kid`` it has
not seen (key rotation). Signature, ``exp``/``iat`` and ``aud`` are checked by google-auth's
``google.auth.jwt.decode``; ``iss`` here. ``verify_organizer`` then applies what the library
does not check (docs/google-api-facts.md §7.5): ``email_verified``, the email, ``hd`` and
the OpenID ``nonce``::

    keys = GoogleKeys(settings.google.jwks_uri)
    claims = verify_id_token(token, keys, audience=client_id)
    verify_organizer(claims, organizer="alice@acme.com", domains=["acme.com"], nonce=nonce)
"""

from __future__ import annotations

import hmac
import re
import threading
import time
from base64 import urlsafe_b64decode
from collections.abc import Mapping, Sequence
from typing import Any

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from calsync.errors import CalsyncError, TransientError

__all__ = ["ISSUERS", "GoogleKeys", "IdentityRejected", "verify_id_token", "verify_organizer"]

ISSUERS = ("https://accounts.google.com", "accounts.google.com")
_DEFAULT_MAX_AGE = 300.0
_CLOCK_SKEW_SECONDS = 10
_MAX_AGE = re.compile(r"max-age=(\d+)")


class IdentityRejected(CalsyncError):
    """The id_token is invalid or names someone calsync must not accept; ``code`` says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _int(value: str) -> int:
    return int.from_bytes(urlsafe_b64decode(value + "=" * (-len(value) % 4)), "big")


def _pem(jwk: Mapping[str, Any]) -> str:
    public = rsa.RSAPublicNumbers(_int(str(jwk["e"])), _int(str(jwk["n"]))).public_key()
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


class GoogleKeys:
    """The id_token signing keys published at a JWKS URI, cached per process."""

    def __init__(self, jwks_uri: str, timeout: float = 10.0) -> None:
        self._uri = jwks_uri
        self._timeout = timeout
        self._keys: dict[str, str] = {}
        self._fresh_until = 0.0
        self._lock = threading.Lock()

    def certs(self, kid: str | None) -> dict[str, str]:
        """``{kid: PEM public key}``, fetched again if stale or ``kid`` is unknown."""
        with self._lock:
            stale = time.monotonic() >= self._fresh_until
            if stale or (kid is not None and kid not in self._keys):
                self._fetch()
            return dict(self._keys)

    def _fetch(self) -> None:
        try:
            reply = requests.get(self._uri, timeout=self._timeout)
            reply.raise_for_status()
            keys = reply.json()["keys"]
        except (requests.RequestException, ValueError, KeyError) as exc:
            raise TransientError(f"could not fetch Google's signing keys: {exc}") from exc
        self._keys = {str(k["kid"]): _pem(k) for k in keys if k.get("kty") == "RSA" and "kid" in k}
        match = _MAX_AGE.search(reply.headers.get("Cache-Control", ""))
        max_age = float(match.group(1)) if match else _DEFAULT_MAX_AGE
        self._fresh_until = time.monotonic() + max_age


def verify_id_token(token: str, keys: GoogleKeys, audience: str) -> dict[str, Any]:
    """The claims of a genuine, unexpired id_token issued by Google for ``audience``."""
    from google.auth import exceptions, jwt

    if not audience:
        raise ValueError("an audience is required (without one google-auth skips the check)")
    try:
        kid = jwt.decode_header(token).get("kid")
        claims: dict[str, Any] = jwt.decode(
            token,
            certs=keys.certs(kid),
            audience=audience,
            clock_skew_in_seconds=_CLOCK_SKEW_SECONDS,
        )
    except (exceptions.GoogleAuthError, ValueError) as exc:
        raise IdentityRejected("invalid_id_token", f"the id_token is not valid: {exc}") from exc
    if claims.get("iss") not in ISSUERS:
        raise IdentityRejected("invalid_id_token", "the id_token was not issued by Google")
    return claims


def verify_organizer(
    claims: Mapping[str, Any], *, organizer: str, domains: Sequence[str], nonce: str
) -> str:
    """Check the person is ``organizer`` in one of ``domains``; returns their Google ``sub``."""
    if not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
        raise IdentityRejected("invalid_id_token", "the id_token belongs to another sign-in")
    if claims.get("email_verified") not in (True, "true"):
        raise IdentityRejected("unverified_email", "Google has not verified this email address")
    email = str(claims.get("email", "")).lower()
    if email != organizer.lower():
        raise IdentityRejected("wrong_account", f"signed in as {email or 'an unknown account'}")
    hosted = str(claims.get("hd", "")).lower()
    if hosted not in {d.lower() for d in domains}:
        raise IdentityRejected(
            "foreign_domain", f"the account is not managed by {', '.join(domains) or 'a domain'}"
        )
    return str(claims["sub"])
