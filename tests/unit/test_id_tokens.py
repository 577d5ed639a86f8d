"""``verify_id_token`` accepts only a genuine, current id_token Google issued for calsync.

Tokens are signed here with a key of the test's own; the key source answers it for one
``kid`` (as Google's JWKS endpoint would), so each test changes exactly one thing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import crypt, jwt

from calsync.organizers.id_tokens import GoogleKeys, IdentityRejected, verify_id_token

CLIENT = "calsync-client.apps.googleusercontent.com"
KID = "key-1"
_PRIVATE = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PRIVATE_PEM = _PRIVATE.private_bytes(
    serialization.Encoding.PEM,
    serialization.PrivateFormat.PKCS8,
    serialization.NoEncryption(),
).decode()
PUBLIC_PEM = (
    _PRIVATE.public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    .decode()
)


class PublishedKeys(GoogleKeys):
    """Google's JWKS as calsync sees it: one RSA key under ``KID``."""

    def __init__(self) -> None:
        super().__init__("http://unused.invalid")

    def certs(self, kid: str | None) -> dict[str, str]:
        return {KID: PUBLIC_PEM}


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    body = {
        "iss": "https://accounts.google.com",
        "aud": CLIENT,
        "sub": "1234567890",
        "email": "alice@acme.com",
        "email_verified": True,
        "hd": "acme.com",
        "nonce": "n-1",
        "iat": now,
        "exp": now + 3600,
    }
    body.update(changes)
    return body


def signed(body: dict[str, Any], kid: str = KID) -> str:
    signer = crypt.RSASigner.from_string(PRIVATE_PEM, kid)
    return jwt.encode(signer, body).decode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict[str, Any], body: dict[str, Any], key: bytes | None = None) -> str:
    """A token with a chosen header; HMAC-SHA256 under ``key`` if given, else no signature."""
    head = _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(body).encode())
    mac = hmac.new(key, head.encode(), hashlib.sha256).digest() if key is not None else b""
    return head + "." + _b64(mac)


def rejected(token: str) -> None:
    with pytest.raises(IdentityRejected) as caught:
        verify_id_token(token, PublishedKeys(), CLIENT)
    assert caught.value.code == "invalid_id_token"


def test_a_genuine_token_is_accepted() -> None:
    """The baseline every attack below changes one thing of."""
    assert verify_id_token(signed(claims()), PublishedKeys(), CLIENT)["sub"] == "1234567890"


def test_a_token_for_another_client_is_refused() -> None:
    """Attack: an id_token Google issued to another app (wrong ``aud``)."""
    rejected(signed(claims(aud="other-app.apps.googleusercontent.com")))


def test_a_token_whose_audience_is_a_list_is_refused() -> None:
    """Attack: ``aud`` as a list naming calsync among others (issued for several parties)."""
    rejected(signed(claims(aud=[CLIENT, "other-app.apps.googleusercontent.com"])))


def test_a_token_from_another_issuer_is_refused() -> None:
    """Attack: a token signed with a published key but not issued by Google (``iss``)."""
    rejected(signed(claims(iss="https://evil.example")))


def test_an_expired_token_is_refused() -> None:
    """Attack: an old id_token replayed (``exp`` past, beyond the clock skew)."""
    rejected(signed(claims(iat=int(time.time()) - 7200, exp=int(time.time()) - 60)))


def test_a_token_issued_in_the_future_is_refused() -> None:
    """Attack: ``iat`` a minute ahead (beyond the clock skew)."""
    rejected(signed(claims(iat=int(time.time()) + 60)))


def test_an_unsigned_token_is_refused() -> None:
    """Attack: ``alg: none`` with an empty signature."""
    rejected(unsigned({"alg": "none", "kid": KID, "typ": "JWT"}, claims()))


def test_a_token_signed_with_hs256_under_the_public_key_is_refused() -> None:
    """Attack: algorithm confusion, HMAC keyed with the published RSA public key."""
    header = {"alg": "HS256", "kid": KID, "typ": "JWT"}
    rejected(unsigned(header, claims(), key=PUBLIC_PEM.encode()))


def test_a_token_naming_an_unknown_key_is_refused() -> None:
    """Attack: a token signed by a key Google never published (unknown ``kid``)."""
    rejected(signed(claims(), kid="not-published"))
