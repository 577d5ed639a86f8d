"""``serviceAccounts.signJwt``: sign a JWT-bearer assertion with a key only Google holds.

Refusals as Google answers them: no or a bad bearer token 401 ``UNAUTHENTICATED``; a caller
without the token creator role, or an account that does not exist (Google does not say which),
403 ``PERMISSION_DENIED``; a payload that is not a JSON object, or whose ``exp`` lies more than
12 hours ahead, 400 ``INVALID_ARGUMENT``.
"""

from __future__ import annotations

import json
import time
from typing import Any

from ..errors import ApiError
from ..oauth import jwt
from ..oauth.tokens import authenticate
from ..state.world import World

__all__ = ["caller_may_act_as", "sign_jwt"]

_CLOUD_PLATFORM = (
    "https://www.googleapis.com/auth/cloud-platform",
    "https://www.googleapis.com/auth/iam",
)
_MAX_LIFETIME_SECONDS = 12 * 3600


def caller_may_act_as(world: World, authorization: str | None, account: str, what: str) -> str:
    """``account`` (lower case) when the caller holds the token creator role on it; else the
    401 / 403 Google answers (403 too for an account that does not exist)."""
    caller = authenticate(world, authorization, _CLOUD_PLATFORM)
    account = account.lower()
    if account not in world.service_accounts or not world.iam.may_sign(caller.email, account):
        raise ApiError(
            403,
            "forbidden",
            f"Permission 'iam.serviceAccounts.{what}' denied on resource (or it may not exist).",
            grpc_style=True,
        )
    return account


def sign_jwt(world: World, authorization: str | None, account: str, body: Any) -> dict[str, str]:
    """Sign ``body["payload"]`` as ``account`` for the caller behind ``authorization``."""
    account = caller_may_act_as(world, authorization, account, "signJwt")
    if account not in world.iam.keys:  # the sandbox holds keys only of keyless accounts
        raise ApiError(
            403,
            "forbidden",
            "Permission 'iam.serviceAccounts.signJwt' denied on resource (or it may not exist).",
            grpc_style=True,
        )
    try:
        claims = json.loads(str((body or {}).get("payload", "")))
    except (ValueError, AttributeError):
        claims = None
    if not isinstance(claims, dict):
        raise ApiError(400, "badRequest", "Invalid JWT payload.", grpc_style=True)
    exp = claims.get("exp")
    if isinstance(exp, int | float) and exp > time.time() + _MAX_LIFETIME_SECONDS:
        raise ApiError(
            400,
            "badRequest",
            "The exp claim must be at most 12 hours in the future.",
            grpc_style=True,
        )
    pem, key_id = world.iam.keys[account]
    return {"keyId": key_id, "signedJwt": jwt.encode(claims, jwt.load_private_key(pem), key_id)}
