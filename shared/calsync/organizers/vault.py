"""Envelope encryption (AEAD) for secrets at rest, such as organizers' refresh tokens.

Each secret gets its own random 256-bit data key (DEK). The secret is sealed with
AES-256-GCM under the DEK, and the DEK is wrapped by a key-encryption key (KEK): Cloud KMS
in production, a local keyring on the local stack and in tests. Both layers authenticate
the same *associated data*, so a ciphertext only opens for the record it was written for
(a copy pasted onto another organizer's document fails to decrypt)::

    vault = vault_from_settings(get_settings().oauth)
    envelope = vault.seal(b"1//refresh-token", aad=b"calsync/grant/v1\\x00acme\\x00alice@acme.com")
    secret = vault.open(envelope, aad=...)         # raises DecryptionFailed if anything differs
    if vault.needs_rotation(envelope):             # wrapped under an older key
        envelope = vault.reseal(envelope, aad=...)

An :class:`Envelope` is a small JSON-able mapping (``v``, ``kid``, ``dek``, ``nonce``,
``ct``) that names the key that wrapped its DEK, so keys can rotate: old keys keep opening
old envelopes, new ones are sealed under the primary key, and ``reseal`` moves an envelope
onto it. Key providers: :class:`LocalKeyring` (``CALSYNC_LOCAL_ENCRYPTION_KEYS``) and
:class:`calsync.kms.KmsKeyProvider` (``CALSYNC_KMS_KEY``; imported only when configured).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from calsync.config import OAuthSettings
from calsync.errors import ConfigurationError, DecryptionFailed

__all__ = [
    "DecryptionFailed",
    "Envelope",
    "KeyProvider",
    "LocalKeyring",
    "Vault",
    "vault_from_settings",
]

_VERSION = 1
_NONCE_BYTES = 12
_KEY_BYTES = 32


class KeyProvider(Protocol):
    """Wraps and unwraps data keys under a key-encryption key."""

    def primary_key_id(self) -> str:
        """The id of the key new data keys are wrapped with."""
        ...

    def wrap(self, dek: bytes, aad: bytes) -> tuple[str, bytes]:
        """Encrypt ``dek`` under the primary key; returns (key id used, wrapped DEK)."""
        ...

    def unwrap(self, key_id: str, wrapped: bytes, aad: bytes) -> bytes:
        """Decrypt a wrapped DEK; raises DecryptionFailed."""
        ...


@dataclass(frozen=True)
class Envelope:
    """A sealed secret as stored: the wrapping key id, the wrapped DEK, nonce and ciphertext."""

    key_id: str
    wrapped_dek: bytes
    nonce: bytes
    ciphertext: bytes

    def to_dict(self) -> dict[str, Any]:
        """The stored form (base64 strings)."""
        return {
            "v": _VERSION,
            "kid": self.key_id,
            "dek": _b64(self.wrapped_dek),
            "nonce": _b64(self.nonce),
            "ct": _b64(self.ciphertext),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Envelope:
        """Parse the stored form; a malformed one raises DecryptionFailed."""
        try:
            if data["v"] != _VERSION:
                raise DecryptionFailed(f"unknown envelope version {data['v']!r}")
            return cls(
                key_id=str(data["kid"]),
                wrapped_dek=_unb64(data["dek"]),
                nonce=_unb64(data["nonce"]),
                ciphertext=_unb64(data["ct"]),
            )
        except (KeyError, TypeError, ValueError, binascii.Error) as exc:
            raise DecryptionFailed("malformed envelope") from exc


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    return base64.b64decode(str(text), validate=True)


class Vault:
    """Seals and opens secrets with per-secret data keys wrapped by a :class:`KeyProvider`."""

    def __init__(self, keys: KeyProvider) -> None:
        self._keys = keys

    def seal(self, plaintext: bytes, aad: bytes) -> Envelope:
        """Encrypt ``plaintext`` bound to ``aad``."""
        dek = AESGCM.generate_key(bit_length=_KEY_BYTES * 8)
        nonce = os.urandom(_NONCE_BYTES)
        ciphertext = AESGCM(dek).encrypt(nonce, plaintext, aad)
        key_id, wrapped = self._keys.wrap(dek, aad)
        return Envelope(key_id, wrapped, nonce, ciphertext)

    def open(self, envelope: Envelope, aad: bytes) -> bytes:
        """Decrypt; raises DecryptionFailed unless key, ciphertext and ``aad`` all match."""
        dek = self._keys.unwrap(envelope.key_id, envelope.wrapped_dek, aad)
        try:
            return AESGCM(dek).decrypt(envelope.nonce, envelope.ciphertext, aad)
        except (InvalidTag, ValueError) as exc:
            raise DecryptionFailed("ciphertext does not authenticate") from exc

    def needs_rotation(self, envelope: Envelope) -> bool:
        """True when the envelope's DEK is wrapped under a key other than the primary."""
        return envelope.key_id != self._keys.primary_key_id()

    def reseal(self, envelope: Envelope, aad: bytes) -> Envelope:
        """The same secret sealed again under the primary key (a fresh DEK and nonce)."""
        return self.seal(self.open(envelope, aad), aad)


class LocalKeyring:
    """AES-256-GCM key-encryption keys held in memory (local stack and tests only).

    Wrapped DEK layout: 12-byte nonce, then the AES-GCM ciphertext of the DEK.
    """

    def __init__(self, keys: Mapping[str, bytes], primary: str) -> None:
        if primary not in keys:
            raise ConfigurationError(f"the primary local key {primary!r} is not in the keyring")
        for key_id, key in keys.items():
            if len(key) != _KEY_BYTES:
                raise ConfigurationError(f"local key {key_id!r} must be {_KEY_BYTES} bytes")
        self._keys = dict(keys)
        self._primary = primary

    @classmethod
    def from_json(cls, text: str) -> LocalKeyring:
        """Parse ``{"primary": id, "keys": {id: base64}}`` (CALSYNC_LOCAL_ENCRYPTION_KEYS)."""
        try:
            data = json.loads(text)
            keys = {str(k): base64.b64decode(v, validate=True) for k, v in data["keys"].items()}
            primary = str(data["primary"])
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as exc:
            raise ConfigurationError(
                'CALSYNC_LOCAL_ENCRYPTION_KEYS must be {"primary": id, "keys": {id: base64}}'
            ) from exc
        return cls(keys, primary)

    @staticmethod
    def generate_json(key_id: str = "local-1") -> str:
        """A new one-key keyring in the ``from_json`` format."""
        key = _b64(AESGCM.generate_key(bit_length=_KEY_BYTES * 8))
        return json.dumps({"primary": key_id, "keys": {key_id: key}})

    def primary_key_id(self) -> str:
        """The key new DEKs are wrapped with."""
        return self._primary

    def wrap(self, dek: bytes, aad: bytes) -> tuple[str, bytes]:
        """Wrap ``dek`` under the primary key."""
        nonce = os.urandom(_NONCE_BYTES)
        return self._primary, nonce + AESGCM(self._keys[self._primary]).encrypt(nonce, dek, aad)

    def unwrap(self, key_id: str, wrapped: bytes, aad: bytes) -> bytes:
        """Unwrap a DEK wrapped under any key of the ring."""
        key = self._keys.get(key_id)
        if key is None:
            raise DecryptionFailed(f"unknown key id {key_id!r}")
        try:
            return AESGCM(key).decrypt(wrapped[:_NONCE_BYTES], wrapped[_NONCE_BYTES:], aad)
        except (InvalidTag, ValueError) as exc:
            raise DecryptionFailed("wrapped data key does not authenticate") from exc


def vault_from_settings(settings: OAuthSettings) -> Vault:
    """Cloud KMS when ``CALSYNC_KMS_KEY`` is set, else the local keyring; else a config error."""
    if settings.kms_key:
        from calsync.organizers.kms import KmsKeyProvider

        return Vault(KmsKeyProvider.from_key_name(settings.kms_key))
    if settings.local_encryption_keys:
        return Vault(LocalKeyring.from_json(settings.local_encryption_keys))
    raise ConfigurationError(
        "no key to encrypt grants with: set CALSYNC_KMS_KEY (Cloud KMS) or, locally, "
        "CALSYNC_LOCAL_ENCRYPTION_KEYS"
    )
