"""Google-shaped error responses.

Handlers raise :class:`ApiError`; the server turns it into the JSON body the real client
libraries parse::

    raise ApiError(404, "notFound", "Not Found")
    # -> 404 {"error": {"code": 404, "message": "Not Found", "status": "NOT_FOUND",
    #                   "errors": [{"domain": "global", "reason": "notFound",
    #                               "message": "Not Found"}]}}

Calendar, Directory and Data Transfer answer in the "apiary" shape above (an ``errors`` list with a
machine ``reason``). Cloud Tasks answers in the gRPC-transcoded shape (``code``, ``message``,
``status`` only): pass ``grpc_style=True``. The OAuth endpoints use their own flat shape, see
:class:`OAuthError`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CANONICAL_STATUS", "ApiError", "OAuthError", "error_body"]

# HTTP status -> google.rpc.Code name (https://cloud.google.com/apis/design/errors).
CANONICAL_STATUS: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    410: "NOT_FOUND",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "NOT_IMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


class ApiError(Exception):
    """An error answer from one of the sandboxed Google APIs."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        *,
        domain: str = "global",
        status: str | None = None,
        location_type: str | None = None,
        location: str | None = None,
        grpc_style: bool = False,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{code} {reason}: {message}")
        self.code = code
        self.reason = reason
        self.message = message
        self.domain = domain
        self.status = status or CANONICAL_STATUS.get(code, "UNKNOWN")
        self.location_type = location_type
        self.location = location
        self.grpc_style = grpc_style
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """The JSON body Google would send with this error."""
        if self.grpc_style:
            return {"error": {"code": self.code, "message": self.message, "status": self.status}}
        item: dict[str, Any] = {
            "domain": self.domain,
            "reason": self.reason,
            "message": self.message,
        }
        if self.location_type:
            item["locationType"] = self.location_type
        if self.location:
            item["location"] = self.location
        return error_body(self.code, self.message, [item], self.status)


def error_body(
    code: int, message: str, errors: list[dict[str, Any]], status: str | None = None
) -> dict[str, Any]:
    """Build an apiary-style error body from its parts."""
    return {
        "error": {
            "code": code,
            "message": message,
            "errors": errors,
            "status": status or CANONICAL_STATUS.get(code, "UNKNOWN"),
        }
    }


class OAuthError(Exception):
    """An error answer of the OAuth 2.0 endpoints: ``{"error": ..., "error_description": ...}``."""

    def __init__(self, code: int, error: str, description: str) -> None:
        super().__init__(f"{code} {error}: {description}")
        self.code = code
        self.error = error
        self.description = description

    def body(self) -> dict[str, Any]:
        """The JSON body of the answer."""
        return {"error": self.error, "error_description": self.description}
