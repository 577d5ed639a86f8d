"""``serviceAccounts.generateIdToken``: a Google-signed OpenID token for a service account.

The token is signed with the sandbox's id_token key (published at ``/oauth2/v3/certs``):
``iss`` Google, ``aud`` the requested audience, ``sub``/``azp`` the account's unique id, and
``email``/``email_verified`` when ``includeEmail`` is true. The caller needs the token creator
role on the account (Google: ``iam.serviceAccounts.getOpenIdToken``); refusals as for signJwt.
"""

from __future__ import annotations

import time
from typing import Any

from ..errors import ApiError
from ..oauth import jwt
from ..oauth.id_tokens import ISSUER
from ..oauth.signing_keys import Signer
from ..state.world import World
from .sign_jwt import caller_may_act_as

__all__ = ["generate_id_token"]

_LIFETIME_SECONDS = 3600


def generate_id_token(
    world: World, signer: Signer, authorization: str | None, account: str, body: Any
) -> dict[str, str]:
    """An id_token of ``account`` for ``body["audience"]``, for a caller allowed to act as it."""
    account = caller_may_act_as(world, authorization, account, "getOpenIdToken")
    audience = str((body or {}).get("audience", "")) if isinstance(body, dict) else ""
    if not audience:
        raise ApiError(400, "badRequest", "audience is required.", grpc_style=True)
    client_id = world.service_accounts[account].client_id
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": audience,
        "azp": client_id,
        "sub": client_id,
        "iat": now,
        "exp": now + _LIFETIME_SECONDS,
    }
    if body.get("includeEmail"):
        claims.update(email=account, email_verified=True)
    return {"token": jwt.encode(claims, signer.key, signer.kid)}
