"""What the sandbox's IAM knows: the keys it holds for keyless accounts, and token creators."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["TOKEN_CREATOR", "IamPolicies"]

TOKEN_CREATOR = "roles/iam.serviceAccountTokenCreator"


@dataclass
class IamPolicies:
    """Per service account: the private key Google holds, and who may sign with it."""

    keys: dict[str, tuple[str, str]] = field(default_factory=dict)
    """service account email -> (private key PEM, key id)."""
    token_creators: dict[str, set[str]] = field(default_factory=dict)
    """service account email -> emails holding the token creator role on it."""

    def may_sign(self, caller: str, account: str) -> bool:
        """Whether ``caller`` holds the token creator role on ``account``."""
        return caller.lower() in self.token_creators.get(account.lower(), set())
