"""RS256 JSON Web Tokens and RSA keys, with ``cryptography`` only.

    key = generate_key()
    token = encode({"iss": "me", "exp": 123}, key, kid="k1")
    header, claims = decode_verified(token, public_pem(key))     # ValueError if forged

Also the two certificate formats Google publishes for its signing keys: a JWK set
(``/oauth2/v3/certs``) and a ``{kid: x509 PEM}`` map (``/oauth2/v1/certs``).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

__all__ = [
    "b64url",
    "b64url_decode",
    "decode_verified",
    "encode",
    "generate_key",
    "jwk",
    "private_pem",
    "public_pem",
    "self_signed_cert_pem",
    "unverified_parts",
]


def generate_key() -> rsa.RSAPrivateKey:
    """A new 2048-bit RSA key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    """An RSA private key from PEM (a service-account key file's ``private_key``)."""
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


def private_pem(key: rsa.RSAPrivateKey) -> str:
    """PKCS#8 PEM of the private key (the format of service-account key files)."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def public_pem(key: rsa.RSAPrivateKey) -> bytes:
    """SubjectPublicKeyInfo PEM of the public half."""
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def b64url(data: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode base64url with or without padding."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode(claims: dict[str, Any], key: rsa.RSAPrivateKey, kid: str) -> str:
    """Sign ``claims`` as an RS256 JWT."""
    header = {"alg": "RS256", "typ": "JWT", "kid": kid}
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + b64url(signature)


def unverified_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims without checking the signature; ValueError if malformed."""
    try:
        head, body, _ = token.split(".")
        header = json.loads(b64url_decode(head))
        claims = json.loads(b64url_decode(body))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("malformed JWT") from exc
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise ValueError("malformed JWT")
    return header, claims


def decode_verified(token: str, public_key_pem: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims of an RS256 JWT whose signature matches the key; ValueError otherwise."""
    header, claims = unverified_parts(token)
    if header.get("alg") != "RS256":
        raise ValueError("unsupported JWT algorithm")
    key = serialization.load_pem_public_key(public_key_pem)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA key")
    signing_input, _, signature = token.rpartition(".")
    try:
        key.verify(
            b64url_decode(signature),
            signing_input.encode("ascii"),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except (InvalidSignature, ValueError) as exc:
        raise ValueError("bad JWT signature") from exc
    return header, claims


def jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, str]:
    """The public key as a JWK (RFC 7517), as served at ``/oauth2/v3/certs``."""
    numbers = key.public_key().public_numbers()

    def _int(value: int) -> str:
        return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))

    return {
        "kty": "RSA",
        "alg": "RS256",
        "use": "sig",
        "kid": kid,
        "n": _int(numbers.n),
        "e": _int(numbers.e),
    }


def self_signed_cert_pem(key: rsa.RSAPrivateKey, common_name: str) -> str:
    """A self-signed x509 certificate for the key, as served at ``/oauth2/v1/certs``."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
