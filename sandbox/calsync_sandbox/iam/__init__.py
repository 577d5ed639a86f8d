"""IAM Credentials: ``signJwt`` for service accounts whose keys only Google holds.

    POST /v1/projects/-/serviceAccounts/{email}:signJwt   {"payload": "<JSON claims>"}
         -> {"keyId": "...", "signedJwt": "<RS256 JWT>"}

The caller is a sandbox bearer token; it must hold ``roles/iam.serviceAccountTokenCreator`` on
the account (granted through ``POST /_sandbox/iam/token-creators``). Accounts created through
``POST /_sandbox/iam/service-accounts`` are *keyless*: the sandbox keeps their only key, like a
Google-managed key, and the token endpoint accepts what it signs.
"""

from .endpoints import IAM_PATH, IamEndpoints

__all__ = ["IAM_PATH", "IamEndpoints", "IamPolicies"]
