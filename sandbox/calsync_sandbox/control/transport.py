"""How the control client talks to the sandbox: one JSON call per control route.

    class PeopleCalls(ControlTransport):
        def seed_domain(self, domain: str) -> list[str]:
            return list(self._call("POST", "domains", {"domain": domain})["domains"])

Every call group (:class:`~calsync_sandbox.control.people.PeopleCalls` and the others) builds on
it; :class:`~calsync_sandbox.control.client.SandboxControl` combines them. An error answer
raises :class:`SandboxControlError`.
"""

from __future__ import annotations

from typing import Any

import requests

__all__ = ["ControlTransport", "SandboxControlError"]


class SandboxControlError(RuntimeError):
    """The control API refused a call."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"sandbox control {status}: {message}")
        self.status = status


class ControlTransport:
    """A session to one sandbox's control API."""

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
