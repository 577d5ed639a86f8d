"""``SandboxControl``: a typed client of the control API (``/_sandbox/...``).

    ctl = SandboxControl("http://127.0.0.1:8790")
    ctl.seed_domain("acme.com")
    ctl.seed_user("alice@acme.com", admin=True)
    client = ctl.create_oauth_client()
    refresh = ctl.create_grant("alice@acme.com", client["client_id"], [CALENDAR_SCOPE])
    ctl.inject_fault("calendar.events.insert", status=503, reason="backendError", count=1)
    ctl.notification_counts()    # {"bob@acme.com": {"invitation": 1}}
    ctl.seed_room("room-a@resource.calendar.google.com", "Room A", 8)
    ctl.complete_pending()       # finish Meet creations, room answers and transfers now

Every method raises :class:`SandboxControlError` when the sandbox answers with an error.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests

from .clock import ExtrasControl

__all__ = ["SandboxControl", "SandboxControlError"]


class SandboxControlError(RuntimeError):
    """The control API refused a call."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"sandbox control {status}: {message}")
        self.status = status


class SandboxControl(ExtrasControl):
    """Typed access to every control call; one method per route (rooms, Meet, transfers, the
    clock and pending work come from :class:`ExtrasControl`)."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._session = requests.Session()

    def _call(
        self,
        verb: str,
        path: str,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        response = self._session.request(
            verb,
            f"{self.base_url}/_sandbox/{path}",
            json=body,
            params=params,
            timeout=self.timeout,
        )
        try:
            data = response.json()
        except ValueError:
            data = {"error": response.text}
        if response.status_code >= 400 or not isinstance(data, dict):
            message = data.get("error", response.text) if isinstance(data, dict) else response.text
            raise SandboxControlError(response.status_code, str(message))
        return data

    # ---- world ----------------------------------------------------------------------------

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

    # ---- credentials ----------------------------------------------------------------------

    def create_oauth_client(
        self,
        redirect_uris: list[str] | None = None,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
    ) -> dict[str, str]:
        """Register an OAuth client: ``{"client_id", "client_secret"}`` (given or random)."""
        data = self._call(
            "POST",
            "oauth/clients",
            {
                "redirect_uris": redirect_uris or [],
                "client_id": client_id,
                "client_secret": client_secret,
            },
        )
        return {"client_id": str(data["client_id"]), "client_secret": str(data["client_secret"])}

    def create_grant(
        self, email: str, client_id: str, scopes: list[str], *, refresh_token: str | None = None
    ) -> str:
        """Record a user's consent; returns the refresh token (given or random)."""
        data = self._call(
            "POST",
            "oauth/grants",
            {
                "email": email,
                "client_id": client_id,
                "scopes": scopes,
                "refresh_token": refresh_token,
            },
        )
        return str(data["refresh_token"])

    def revoke_grant(self, refresh_token: str) -> None:
        """Revoke a grant: refreshing it now fails with invalid_grant."""
        self._call("POST", "oauth/grants/revoke", {"refresh_token": refresh_token})

    def mint_token(self, email: str, scopes: list[str] | None = None) -> dict[str, Any]:
        """An access token for a seeded user or service account: ``{access_token, expires_in}``."""
        return self._call("POST", "oauth/tokens", {"email": email, "scopes": scopes})

    def create_service_account(
        self,
        email: str,
        *,
        domain_wide_delegation: bool = False,
        key: dict[str, str] | None = None,
    ) -> dict[str, str]:
        """A service account; returns its key file (for ``from_service_account_info``).

        Pass ``key`` (a key file returned earlier) to re-create the account with that key.
        """
        data = self._call(
            "POST",
            "service-accounts",
            {
                "email": email,
                "domain_wide_delegation": domain_wide_delegation,
                "private_key": (key or {}).get("private_key"),
                "private_key_id": (key or {}).get("private_key_id"),
            },
        )
        return {str(k): str(v) for k, v in data.items()}

    def set_consent(
        self, email: str, *, deny: bool = False, scopes: list[str] | None = None
    ) -> dict[str, Any]:
        """How the consent screen answers for ``email`` from now on: deny, or grant only
        ``scopes`` (of those requested); ``set_consent(email)`` restores "grant everything"."""
        return self._call("POST", "oauth/consent", {"email": email, "deny": deny, "scopes": scopes})

    def rotate_signing_key(self, *, retire_previous: bool = False) -> dict[str, Any]:
        """Sign id_tokens with a new key: ``{"kid", "published": [kids]}``."""
        return self._call("POST", "oauth/signing-keys/rotate", {"retire_previous": retire_previous})

    def set_token_lifetime(self, seconds: int) -> None:
        """Lifetime of access tokens minted from now on (default 3600)."""
        self._call("POST", "oauth/token-lifetime", {"seconds": seconds})

    def expire_tokens(self) -> int:
        """Expire every access token now; returns how many there were."""
        return int(self._call("POST", "oauth/expire-tokens")["expired"])

    # ---- limits and faults ----------------------------------------------------------------

    def set_rate_limit(
        self,
        per_user_per_minute: int | None = None,
        per_project_per_minute: int | None = None,
        status: int = 403,
    ) -> None:
        """Per-minute request limits (None = off); ``status`` 403 (default) or 429."""
        self._call(
            "POST",
            "rate-limit",
            {
                "per_user_per_minute": per_user_per_minute,
                "per_project_per_minute": per_project_per_minute,
                "status": status,
            },
        )

    def inject_fault(
        self,
        method: str = "*",
        *,
        user: str | None = None,
        action: str = "error",
        status: int = 503,
        reason: str = "backendError",
        message: str | None = None,
        delay: float = 0.0,
        count: int | None = None,
    ) -> dict[str, Any]:
        """Make matching requests fail (``error``), wait (``delay``) or hang up (``drop``)."""
        return self._call(
            "POST",
            "faults",
            {
                "method": method,
                "user": user,
                "action": action,
                "status": status,
                "reason": reason,
                "message": message,
                "delay": delay,
                "count": count,
            },
        )

    def faults(self) -> list[dict[str, Any]]:
        """All injected faults with their hit counts."""
        return list(self._call("GET", "faults")["faults"])

    def clear_faults(self) -> None:
        """Remove every fault."""
        self._call("DELETE", "faults")

    # ---- logs -----------------------------------------------------------------------------

    def notifications(self, recipient: str | None = None) -> list[dict[str, Any]]:
        """The would-be emails, optionally for one recipient."""
        params = {"recipient": recipient} if recipient else None
        return list(self._call("GET", "notifications", params=params)["notifications"])

    def notification_counts(self) -> dict[str, dict[str, int]]:
        """``{recipient: {kind: count}}``."""
        counts: dict[str, dict[str, int]] = self._call("GET", "notifications/counts")["counts"]
        return counts

    def requests(
        self, method_id: str | None = None, user: str | None = None
    ) -> list[dict[str, Any]]:
        """The request log, optionally filtered."""
        params = {k: v for k, v in (("method_id", method_id), ("user", user)) if v}
        return list(self._call("GET", "requests", params=params)["requests"])

    def request_counts(self) -> dict[str, Any]:
        """``{"counts": {method_id: n}, "total": n, "writes": n}``."""
        return self._call("GET", "requests/counts")

    # ---- calendars and tasks --------------------------------------------------------------

    def calendar_view(self, email: str) -> list[dict[str, Any]]:
        """What the person's primary calendar shows (non-cancelled events)."""
        return list(self._call("GET", f"calendars/{quote(email)}/view")["events"])

    def respond(self, email: str, calendar_id: str, event_id: str, status: str) -> dict[str, Any]:
        """Answer an invitation as ``email`` (accepted, declined, tentative, needsAction)."""
        return self._call(
            "POST",
            "respond",
            {"email": email, "calendar_id": calendar_id, "event_id": event_id, "status": status},
        )

    def create_queue(self, name: str) -> None:
        """Create a Cloud Tasks queue (``projects/P/locations/L/queues/Q``) if missing."""
        self._call("POST", "queues", {"name": name})

    def tasks(self, queue: str | None = None) -> list[dict[str, Any]]:
        """Every task ever created (state, attempts, last status), optionally for one queue."""
        return list(self._call("GET", "tasks", params={"queue": queue} if queue else None)["tasks"])

    def set_retry_config(
        self,
        *,
        max_attempts: int | None = None,
        min_backoff: float | None = None,
        max_backoff: float | None = None,
        max_doublings: int | None = None,
    ) -> dict[str, Any]:
        """Change the dispatch retry policy (unset values keep their current setting)."""
        body = {
            k: v
            for k, v in (
                ("max_attempts", max_attempts),
                ("min_backoff", min_backoff),
                ("max_backoff", max_backoff),
                ("max_doublings", max_doublings),
            )
            if v is not None
        }
        return self._call("POST", "tasks/retry-config", body)

    def run_tasks(self, include_future: bool = False) -> list[str]:
        """Deliver due tasks now (or all live tasks) and wait; returns the task names."""
        return list(self._call("POST", "tasks/run", {"include_future": include_future})["ran"])
