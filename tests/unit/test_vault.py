"""The grant vault: AEAD envelopes, associated data, tampering and key rotation."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from calsync.config import OAuthSettings
from calsync.errors import ConfigurationError
from calsync.organizers.grant_store import grant_aad
from calsync.organizers.kms import KmsKeyProvider
from calsync.organizers.vault import (
    DecryptionFailed,
    Envelope,
    LocalKeyring,
    Vault,
    vault_from_settings,
)

ALICE = grant_aad("acme", "alice@acme.com")
BOB = grant_aad("acme", "bob@acme.com")
SECRET = b"1//refresh-token-of-alice"


def keyring(primary: str = "k1", *ids: str) -> LocalKeyring:
    """A keyring with deterministic keys per id."""
    names = ids or (primary,)
    return LocalKeyring({k: k.encode().ljust(32, b"\0") for k in names}, primary)


def flip(data: bytes, index: int = -1) -> bytes:
    """``data`` with one bit changed."""
    changed = bytearray(data)
    changed[index] ^= 0x01
    return bytes(changed)


def test_seal_and_open_round_trip() -> None:
    """What is sealed for a record opens for that record, and is not in the clear."""
    vault = Vault(keyring())
    envelope = vault.seal(SECRET, ALICE)
    assert SECRET not in json.dumps(envelope.to_dict()).encode()
    assert vault.open(Envelope.from_dict(envelope.to_dict()), ALICE) == SECRET


def test_each_seal_uses_a_fresh_data_key_and_nonce() -> None:
    """Sealing the same secret twice gives unrelated ciphertexts."""
    vault = Vault(keyring())
    one, two = vault.seal(SECRET, ALICE), vault.seal(SECRET, ALICE)
    assert one.wrapped_dek != two.wrapped_dek
    assert one.nonce != two.nonce
    assert one.ciphertext != two.ciphertext


def test_tampered_ciphertext_does_not_open() -> None:
    """Attack: one flipped bit in the stored ciphertext."""
    vault = Vault(keyring())
    envelope = vault.seal(SECRET, ALICE)
    forged = Envelope(
        envelope.key_id, envelope.wrapped_dek, envelope.nonce, flip(envelope.ciphertext)
    )
    with pytest.raises(DecryptionFailed):
        vault.open(forged, ALICE)


def test_tampered_wrapped_key_or_nonce_does_not_open() -> None:
    """Attack: a changed wrapped data key, or a changed nonce."""
    vault = Vault(keyring())
    envelope = vault.seal(SECRET, ALICE)
    for forged in (
        Envelope(envelope.key_id, flip(envelope.wrapped_dek), envelope.nonce, envelope.ciphertext),
        Envelope(
            envelope.key_id, envelope.wrapped_dek, flip(envelope.nonce, 0), envelope.ciphertext
        ),
    ):
        with pytest.raises(DecryptionFailed):
            vault.open(forged, ALICE)


def test_ciphertext_bound_to_another_organizer_does_not_open() -> None:
    """Attack: alice's envelope copied onto bob's record (or another tenant's)."""
    vault = Vault(keyring())
    envelope = vault.seal(SECRET, ALICE)
    for other in (BOB, grant_aad("globex", "alice@acme.com")):
        with pytest.raises(DecryptionFailed):
            vault.open(envelope, other)


def test_unknown_key_id_and_malformed_envelopes_fail_cleanly() -> None:
    """An envelope naming a key the ring lacks, or a broken stored form."""
    envelope = Vault(keyring("k1")).seal(SECRET, ALICE)
    with pytest.raises(DecryptionFailed, match="unknown key"):
        Vault(keyring("k2")).open(envelope, ALICE)
    stored = envelope.to_dict()
    for broken in ({}, {**stored, "v": 2}, {**stored, "ct": "not base64!"}):
        with pytest.raises(DecryptionFailed):
            Envelope.from_dict(broken)


def test_rotation_keeps_old_envelopes_readable_and_reseals_onto_the_primary() -> None:
    """After adding k2 as primary, k1 envelopes still open and reseal moves them to k2."""
    old = Vault(keyring("k1")).seal(SECRET, ALICE)
    rotated = Vault(keyring("k2", "k1", "k2"))
    assert rotated.needs_rotation(old)
    assert rotated.open(old, ALICE) == SECRET
    moved = rotated.reseal(old, ALICE)
    assert moved.key_id == "k2"
    assert not rotated.needs_rotation(moved)
    assert Vault(keyring("k2")).open(moved, ALICE) == SECRET


def test_keyring_from_json_and_its_errors() -> None:
    """CALSYNC_LOCAL_ENCRYPTION_KEYS parses; bad values are configuration errors."""
    ring = LocalKeyring.from_json(LocalKeyring.generate_json("dev"))
    assert ring.primary_key_id() == "dev"
    short = base64.b64encode(b"x" * 16).decode()
    for text in ("nope", '{"keys": {}}', json.dumps({"primary": "a", "keys": {"a": short}})):
        with pytest.raises(ConfigurationError):
            LocalKeyring.from_json(text)
    with pytest.raises(ConfigurationError):
        vault_from_settings(OAuthSettings())


@dataclass
class _Reply:
    name: str = ""
    ciphertext: bytes = b""
    plaintext: bytes = b""
    primary: Any = None


class InMemoryKms:
    """A stand-in for KeyManagementServiceClient: AES-GCM per version, AAD enforced."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.versions = {f"{key}/cryptoKeyVersions/1": AESGCM.generate_key(bit_length=256)}
        self.primary = f"{key}/cryptoKeyVersions/1"

    def rotate(self) -> None:
        self.primary = f"{self.key}/cryptoKeyVersions/{len(self.versions) + 1}"
        self.versions[self.primary] = AESGCM.generate_key(bit_length=256)

    def get_crypto_key(self, request: dict[str, Any]) -> _Reply:
        return _Reply(primary=_Reply(name=self.primary))

    def encrypt(self, request: dict[str, Any]) -> _Reply:
        assert request["name"] == self.key
        index = list(self.versions).index(self.primary).to_bytes(1, "big")
        nonce = b"\0" * 11 + index
        sealed = AESGCM(self.versions[self.primary]).encrypt(
            nonce, request["plaintext"], request["additional_authenticated_data"]
        )
        return _Reply(name=self.primary, ciphertext=index + sealed)

    def decrypt(self, request: dict[str, Any]) -> _Reply:
        from google.api_core import exceptions

        assert request["name"] == self.key
        index, sealed = request["ciphertext"][:1], request["ciphertext"][1:]
        version = list(self.versions)[index[0]]
        try:
            plain = AESGCM(self.versions[version]).decrypt(
                b"\0" * 11 + index, sealed, request["additional_authenticated_data"]
            )
        except Exception as exc:
            raise exceptions.InvalidArgument("Decryption failed") from exc
        return _Reply(plaintext=plain)


KEY = "projects/p/locations/global/keyRings/calsync/cryptoKeys/grants"


def test_kms_provider_wraps_with_the_primary_version_and_binds_aad() -> None:
    """Through the KMS provider: round trip, AAD enforced, rotation detected by version."""
    kms = InMemoryKms(KEY)
    vault = Vault(KmsKeyProvider(kms, KEY))
    envelope = vault.seal(SECRET, ALICE)
    assert envelope.key_id == f"{KEY}/cryptoKeyVersions/1"
    assert vault.open(envelope, ALICE) == SECRET
    with pytest.raises(DecryptionFailed):
        vault.open(envelope, BOB)
    kms.rotate()
    fresh = Vault(KmsKeyProvider(kms, KEY))
    assert fresh.needs_rotation(envelope)
    assert fresh.reseal(envelope, ALICE).key_id == f"{KEY}/cryptoKeyVersions/2"


def test_kms_provider_refuses_envelopes_of_other_keys_and_bad_names() -> None:
    """A key id from another crypto key is refused before calling KMS; names are checked."""
    kms = InMemoryKms(KEY)
    envelope = Vault(KmsKeyProvider(kms, KEY)).seal(SECRET, ALICE)
    other = Envelope(
        KEY + "x/cryptoKeyVersions/1", envelope.wrapped_dek, envelope.nonce, envelope.ciphertext
    )
    with pytest.raises(DecryptionFailed, match="another key"):
        Vault(KmsKeyProvider(kms, KEY)).open(other, ALICE)
    for bad in ("grants", KEY + "/cryptoKeyVersions/1"):
        with pytest.raises(ConfigurationError):
            KmsKeyProvider(kms, bad)
