"""Control calls for the world and its people: health, reset, domains and users.

    POST  /_sandbox/domains        {"domain": "acme.com"}     ctl.seed_domain("acme.com")
    POST  /_sandbox/users          {"email": "alice@..."}     ctl.seed_user("alice@acme.com")
    PATCH /_sandbox/users/{email}  {"suspended": true}        ctl.update_user(email, suspended=True)

:class:`PeopleRoutes` answers the routes in the sandbox; :class:`PeopleCalls` is the client side,
part of :class:`~calsync_sandbox.control.client.SandboxControl`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ..state.world import World
from .routes import JSON, ControlError, Route, need
from .transport import ControlTransport

__all__ = ["PeopleCalls", "PeopleRoutes"]


class PeopleRoutes:
    """Health, reset, domains and users."""

    def __init__(self, world: World) -> None:
        self.world = world

    def routes(self) -> list[Route]:
        """The routes this group answers."""
        return [
            Route("GET", "/_sandbox/health", self.health),
            Route("POST", "/_sandbox/reset", self.reset),
            Route("POST", "/_sandbox/domains", self.add_domain),
            Route("GET", "/_sandbox/users", self.list_users),
            Route("POST", "/_sandbox/users", self.add_user),
            Route("PATCH", "/_sandbox/users/<email>", self.update_user),
        ]

    def health(self, body: JSON) -> JSON:
        return {"ok": True}

    def reset(self, body: JSON) -> JSON:
        self.world.reset()
        return {"ok": True}

    def add_domain(self, body: JSON) -> JSON:
        domain = str(need(body, "domain")).lower()
        self.world.domains.add(domain)
        return {"domains": sorted(self.world.domains)}

    def list_users(self, body: JSON) -> JSON:
        return {"users": [vars(u) for u in self.world.users.values()]}

    def add_user(self, body: JSON) -> JSON:
        user = self.world.add_user(
            str(need(body, "email")),
            display_name=body.get("display_name"),
            admin=bool(body.get("admin", False)),
            suspended=bool(body.get("suspended", False)),
            email_verified=bool(body.get("email_verified", True)),
            hosted_domain=body.get("hosted_domain"),
        )
        return vars(user)

    def update_user(self, body: JSON, email: str) -> JSON:
        user = self.world.users.get(email.lower())
        if user is None:
            raise ControlError(404, f"no user {email}")
        for field in ("suspended", "admin", "email_verified"):
            if field in body:
                setattr(user, field, bool(body[field]))
        if "hosted_domain" in body:
            user.hosted_domain = body["hosted_domain"]
        if body.get("display_name"):
            user.display_name = str(body["display_name"])
        return vars(user)


class PeopleCalls(ControlTransport):
    """Health, reset, domains and users."""

    def health(self) -> bool:
        """True when the sandbox answers."""
        return bool(self._call("GET", "health").get("ok"))

    def reset(self) -> None:
        """Wipe all state."""
        self._call("POST", "reset")

    def seed_domain(self, domain: str) -> list[str]:
        """Add a Workspace domain (its addresses count as internal); returns all domains."""
        return list(self._call("POST", "domains", {"domain": domain})["domains"])

    def seed_user(
        self,
        email: str,
        *,
        admin: bool = False,
        suspended: bool = False,
        display_name: str | None = None,
        email_verified: bool = True,
        hosted_domain: str | None = None,
    ) -> dict[str, Any]:
        """Add a user (and their primary calendar); returns the user record.

        ``email_verified`` and ``hosted_domain`` set their id_tokens' claims
        (``hosted_domain=""``: no ``hd`` claim, like a consumer account).
        """
        return self._call(
            "POST",
            "users",
            {
                "email": email,
                "admin": admin,
                "suspended": suspended,
                "display_name": display_name,
                "email_verified": email_verified,
                "hosted_domain": hosted_domain,
            },
        )

    def update_user(
        self,
        email: str,
        *,
        suspended: bool | None = None,
        admin: bool | None = None,
        display_name: str | None = None,
    ) -> dict[str, Any]:
        """Change a user (e.g. suspend them: their tokens and grants stop working)."""
        body: dict[str, Any] = {}
        if suspended is not None:
            body["suspended"] = suspended
        if admin is not None:
            body["admin"] = admin
        if display_name is not None:
            body["display_name"] = display_name
        return self._call("PATCH", f"users/{quote(email)}", body)

    def users(self) -> list[dict[str, Any]]:
        """All seeded users."""
        return list(self._call("GET", "users")["users"])
