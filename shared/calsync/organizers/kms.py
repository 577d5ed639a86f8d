"""Cloud KMS as the key-encryption key of :mod:`calsync.organizers.vault` (production).

``CALSYNC_KMS_KEY`` names a symmetric crypto key,
``projects/P/locations/L/keyRings/R/cryptoKeys/K`` (Terraform's ``kms_key`` output). Data
keys are wrapped with ``encrypt`` (the key id stored in the envelope is the
``cryptoKeyVersions/N`` KMS used) and unwrapped with ``decrypt`` on the crypto key, which
finds the version inside the ciphertext, so automatic rotation needs no code: old versions
keep decrypting and ``Vault.needs_rotation`` compares with the key's current primary
version. The associated data is passed to KMS as ``additional_authenticated_data``.

``google-cloud-kms`` is imported only here, so functions without ``CALSYNC_KMS_KEY`` (the
local stack, tests) never load it::

    provider = KmsKeyProvider.from_key_name("projects/p/locations/l/keyRings/r/cryptoKeys/k")
    vault = Vault(provider)
"""

from __future__ import annotations

import threading
import time
from typing import Any

from calsync.errors import ConfigurationError, DecryptionFailed, TransientError

__all__ = ["KmsKeyProvider"]

_PRIMARY_TTL_SECONDS = 3600.0


class KmsKeyProvider:
    """Wraps data keys with one Cloud KMS crypto key (``client``: a KeyManagementServiceClient)."""

    def __init__(self, client: Any, key_name: str) -> None:
        if "/cryptoKeyVersions/" in key_name or "/cryptoKeys/" not in key_name:
            raise ConfigurationError(
                "CALSYNC_KMS_KEY must name a crypto key: projects/…/cryptoKeys/NAME"
            )
        self._client = client
        self._key = key_name
        self._primary: tuple[str, float] | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_key_name(cls, key_name: str) -> KmsKeyProvider:
        """A provider with the default client (application default credentials)."""
        from google.cloud import kms

        return cls(kms.KeyManagementServiceClient(), key_name)

    def primary_key_id(self) -> str:
        """The crypto key's primary version (looked up at most once an hour)."""
        with self._lock:
            if self._primary is None or self._primary[1] < time.monotonic():
                key = self._call(self._client.get_crypto_key, {"name": self._key})
                self._primary = (str(key.primary.name), time.monotonic() + _PRIMARY_TTL_SECONDS)
            return self._primary[0]

    def wrap(self, dek: bytes, aad: bytes) -> tuple[str, bytes]:
        """Encrypt the DEK with the key's primary version."""
        request = {"name": self._key, "plaintext": dek, "additional_authenticated_data": aad}
        reply = self._call(self._client.encrypt, request)
        return str(reply.name), bytes(reply.ciphertext)

    def unwrap(self, key_id: str, wrapped: bytes, aad: bytes) -> bytes:
        """Decrypt a DEK wrapped by any version of this crypto key."""
        if not key_id.startswith(self._key + "/cryptoKeyVersions/"):
            raise DecryptionFailed("the envelope was wrapped by another key")
        request = {"name": self._key, "ciphertext": wrapped, "additional_authenticated_data": aad}
        return bytes(self._call(self._client.decrypt, request).plaintext)

    def _call(self, method: Any, request: dict[str, Any]) -> Any:
        from google.api_core import exceptions

        try:
            return method(request=request)
        except exceptions.InvalidArgument as exc:
            raise DecryptionFailed("Cloud KMS refused the ciphertext") from exc
        except (exceptions.PermissionDenied, exceptions.NotFound) as exc:
            raise ConfigurationError(f"Cloud KMS key {self._key} is not usable: {exc}") from exc
        except exceptions.GoogleAPICallError as exc:
            raise TransientError(f"Cloud KMS failed: {exc}") from exc
