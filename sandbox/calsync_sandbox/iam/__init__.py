"""IAM Credentials: ``signJwt`` for service accounts whose keys only Google holds, and
``generateIdToken`` (OpenID tokens of a service account, e.g. the platform calling ``/status``).

    POST /v1/projects/-/serviceAccounts/{email}:signJwt   {"payload": "<JSON claims>"}
         -> {"keyId": "...", "signedJwt": "<RS256 JWT>"}
    POST /v1/projects/-/serviceAccounts/{email}:generateIdToken
         {"audience": "https://...", "includeEmail": true}  -> {"token": "<id_token>"}

The caller is a sandbox bearer token; it must hold ``roles/iam.serviceAccountTokenCreator`` on
the account (granted through ``POST /_sandbox/iam/token-creators``); signJwt works only for
keyless accounts, whose key the sandbox holds. Accounts created through
``POST /_sandbox/iam/service-accounts`` are *keyless*: the sandbox keeps their only key, like a
Google-managed key, and the token endpoint accepts what it signs.
"""

from .endpoints import IAM_PATH, IamEndpoints

__all__ = ["IAM_PATH", "IamEndpoints"]
