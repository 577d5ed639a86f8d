"""OpenID Connect id_tokens for seeded users, signed with the sandbox's current key.

    token = id_token(world, "alice@acme.com", client_id, signer, nonce=None)

Claims: ``iss``, ``azp``/``aud`` (the client), ``sub`` (the user's id), ``email``,
``email_verified``, ``name``, ``iat``/``exp`` (real clock, token lifetime), ``hd`` (the user's
hosted domain, see :class:`~calsync_sandbox.state.identities.User`) and ``nonce`` when given.
"""

from __future__ import annotations

import time
from typing import Any

from ..state.world import World
from . import jwt
from .signing_keys import Signer

__all__ = ["ISSUER", "id_token"]

ISSUER = "https://accounts.google.com"
"""Google's issuer: the ``iss`` of id_tokens and the realm of 401 answers."""


def id_token(world: World, email: str, client_id: str, signer: Signer, nonce: str | None) -> str:
    """A signed OpenID Connect id_token for a seeded user."""
    user = world.users[email]
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "azp": client_id,
        "aud": client_id,
        "sub": user.id,
        "email": user.email,
        "email_verified": user.email_verified,
        "name": user.display_name,
        "iat": now,
        "exp": now + world.settings.token_lifetime,
    }
    domain = user.email.rpartition("@")[2]
    hosted = user.hosted_domain if user.hosted_domain is not None else domain
    if hosted and (user.hosted_domain is not None or domain in world.domains):
        claims["hd"] = hosted
    if nonce:
        claims["nonce"] = nonce
    return jwt.encode(claims, signer.key, signer.kid)
