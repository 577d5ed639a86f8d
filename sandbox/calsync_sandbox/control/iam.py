"""Control calls for IAM: keyless service accounts and the token creator role.

POST /_sandbox/iam/service-accounts  {"email", "domain_wide_delegation"}
                                               ctl.create_keyless_service_account(...)
POST /_sandbox/iam/token-creators    {"service_account", "member"}
                                               ctl.grant_token_creator(...)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..oauth import registration
from ..state.world import World
from .routes import JSON, ControlError, Route, need
from .transport import ControlTransport

__all__ = ["IamCalls", "IamRoutes"]


class IamRoutes:
    """Keyless service accounts and who may sign as them."""

    def __init__(self, world: World, base_url: Callable[[], str]) -> None:
        self.world = world
        self.base_url = base_url

    def routes(self) -> list[Route]:
        """The routes this group answers."""
        return [
            Route("POST", "/_sandbox/iam/service-accounts", self.add_keyless_account),
            Route("POST", "/_sandbox/iam/token-creators", self.add_token_creator),
        ]

    def add_keyless_account(self, body: JSON) -> JSON:
        key = registration.create_service_account(
            self.world,
            str(need(body, "email")),
            bool(body.get("domain_wide_delegation")),
            self.base_url() + "/token",
        )
        email = key["client_email"]
        self.world.iam.keys[email] = (key["private_key"], key["private_key_id"])
        return {"email": email, "client_id": key["client_id"]}

    def add_token_creator(self, body: JSON) -> JSON:
        account = str(need(body, "service_account")).lower()
        member = str(need(body, "member")).lower()
        if account not in self.world.service_accounts:
            raise ControlError(404, f"no service account {account}")
        self.world.iam.token_creators.setdefault(account, set()).add(member)
        members = sorted(self.world.iam.token_creators[account])
        return {"service_account": account, "token_creators": members}


class IamCalls(ControlTransport):
    """Keyless service accounts and the token creator role."""

    def create_keyless_service_account(
        self, email: str, *, domain_wide_delegation: bool = False
    ) -> dict[str, Any]:
        """A service account whose only key the sandbox holds (no key file is handed out)."""
        return self._call(
            "POST",
            "iam/service-accounts",
            {"email": email, "domain_wide_delegation": domain_wide_delegation},
        )

    def grant_token_creator(self, service_account: str, member: str) -> dict[str, Any]:
        """Give ``member`` ``roles/iam.serviceAccountTokenCreator`` on ``service_account``."""
        return self._call(
            "POST", "iam/token-creators", {"service_account": service_account, "member": member}
        )
