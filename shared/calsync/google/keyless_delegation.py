"""Domain-wide delegation without a key: assertions signed by IAM Credentials.

    credentials = delegation_credentials(settings, account, subject="gadmin@acme.com",
                                         scopes=ADMIN_SCOPES)

A delegation account's JWT-bearer assertion (``iss`` = the account, ``sub`` = the Workspace user,
``scope``, ``aud`` = the token URI) is signed by ``projects/-/serviceAccounts/{account}:signJwt``,
called as the function's own service account, which must hold
``roles/iam.serviceAccountTokenCreator`` on the delegation account. The signed assertion is then
exchanged at the token endpoint like one signed with a key. No key of the delegation account
exists anywhere. Locally, ``CALSYNC_SIGNER_CREDENTIALS`` stands in for the runtime account.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from calsync.config import Settings

if TYPE_CHECKING:
    from google.auth.credentials import Credentials
    from google.auth.transport import Request

__all__ = ["delegation_credentials", "signer_credentials"]

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
_ASSERTION_LIFETIME_SECONDS = 3600


def signer_credentials(settings: Settings) -> Credentials:
    """The identity that asks IAM to sign: the function's runtime account (ADC) when deployed."""
    if settings.signer_credentials:
        from google.oauth2 import service_account

        info = {**json.loads(settings.signer_credentials), "token_uri": settings.google.token_uri}
        local: Credentials = service_account.Credentials.from_service_account_info(
            info, scopes=[CLOUD_PLATFORM]
        )
        return local
    import google.auth

    runtime, _ = google.auth.default(scopes=[CLOUD_PLATFORM])
    found: Credentials = runtime
    return found


def delegation_credentials(
    settings: Settings, account: str, *, subject: str, scopes: Sequence[str]
) -> Credentials:
    """``account`` acting as ``subject`` for ``scopes``, signed keylessly by IAM Credentials."""
    from google.auth import credentials as auth_credentials
    from google.auth import exceptions
    from google.oauth2 import _client

    signer = signer_credentials(settings)
    endpoint = settings.google.iam_credentials.rstrip("/")
    token_uri = settings.google.token_uri

    def sign(request: Request) -> str:
        now = int(time.time())
        claims = {
            "iss": account,
            "sub": subject,
            "scope": " ".join(scopes),
            "aud": token_uri,
            "iat": now,
            "exp": now + _ASSERTION_LIFETIME_SECONDS,
        }
        headers: dict[str, str] = {"Content-Type": "application/json"}
        signer.before_request(request, "POST", endpoint, headers)
        response: Any = request(
            url=f"{endpoint}/v1/projects/-/serviceAccounts/{quote(account)}:signJwt",
            method="POST",
            headers=headers,
            body=json.dumps({"payload": json.dumps(claims)}).encode(),
        )
        if response.status != 200:
            text = response.data.decode("utf-8", "replace")[:300]
            # 401/403: the runtime account lacks the token creator role (an operator's fix)
            cause = "iam_sign_jwt_refused" if response.status in (401, 403) else "signJwt"
            raise exceptions.RefreshError(
                f"{cause}: IAM Credentials answered {response.status} signing for {account}: {text}"
            )
        signed: str = json.loads(response.data)["signedJwt"]
        return signed

    class SignedDelegation(auth_credentials.Credentials):
        """Refreshes by signing a fresh assertion through IAM, then exchanging it."""

        def __init__(self) -> None:
            super().__init__()  # type: ignore[no-untyped-call]

        def refresh(self, request: Request) -> None:
            self.token, self.expiry, _ = _client.jwt_grant(request, token_uri, sign(request))

    return SignedDelegation()
