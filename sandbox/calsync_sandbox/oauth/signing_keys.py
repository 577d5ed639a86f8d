"""The sandbox's RSA signing keys, published like Google's (current + previous ones).

    signer = Signer.create()
    kid = signer.rotate()          # sign with a new key; the old one stays published
    signer.retire()                # publish only the current key

They sign id_tokens (:mod:`.id_tokens`) and the OIDC tokens of Cloud Tasks deliveries; the
certs endpoints (:mod:`.endpoints`) publish them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import rsa

from . import jwt

__all__ = ["Signer"]

_PUBLISHED_KEYS = 3
"""How many signing keys the certs endpoints list at most (current + previous ones)."""


@dataclass
class Signer:
    """The sandbox's signing keys (id_tokens, task OIDC tokens), published through the certs
    endpoints. ``key``/``kid`` sign; ``rotate()`` makes a new key current and keeps the previous
    one published (as Google does) until ``retire()``."""

    key: rsa.RSAPrivateKey
    kid: str
    retired: list[tuple[rsa.RSAPrivateKey, str]] = field(default_factory=list)

    @classmethod
    def create(cls) -> Signer:
        """A fresh key with a random key id."""
        return cls(jwt.generate_key(), secrets.token_hex(20))

    def rotate(self) -> str:
        """Sign with a new key from now on; the old one stays published. Returns the new kid."""
        self.retired.insert(0, (self.key, self.kid))
        del self.retired[_PUBLISHED_KEYS - 1 :]
        self.key, self.kid = jwt.generate_key(), secrets.token_hex(20)
        return self.kid

    def retire(self) -> None:
        """Stop publishing every key except the current one."""
        self.retired.clear()

    def published(self) -> list[tuple[rsa.RSAPrivateKey, str]]:
        """The keys the certs endpoints list, current first."""
        return [(self.key, self.kid), *self.retired]
