"""Who may read ``/status``: the platform's service account, proven by a Google ID token.

    caller = status_caller(request.headers.get("Authorization"), settings, keys)

``oauth-callback`` is public (organizers' browsers open it), so Cloud Run's IAM cannot guard one
of its paths; the function checks the caller itself. The request carries
``Authorization: Bearer <id_token>`` of the platform's service account (the same kind of token it
calls ``rooms`` with): Google's signature (the JWKS), ``iss``, expiry, ``aud`` =
``CALSYNC_STATUS_AUDIENCE`` (the function's URL) and a verified ``email`` listed in
``CALSYNC_STATUS_CALLERS``. With no callers configured ``/status`` is refused, except against the
local sandbox (``calsync dev``, tests).
"""

from __future__ import annotations

from calsync.config import Settings
from calsync.errors import CalsyncError
from calsync.organizers.id_tokens import GoogleKeys, IdentityRejected, verify_id_token

__all__ = ["StatusRefused", "status_caller"]


class StatusRefused(CalsyncError):
    """The caller may not read ``/status``: 401 without a token, 403 otherwise."""

    def __init__(self, status: int, code: str) -> None:
        super().__init__(code)
        self.status = status
        self.code = code


def status_caller(authorization: str | None, settings: Settings, keys: GoogleKeys) -> str:
    """The verified caller's email; StatusRefused unless it is an allowed caller."""
    callers = {c.lower() for c in settings.oauth.status_callers}
    if not callers:
        if settings.google.sandbox:
            return "local"
        raise StatusRefused(403, "status_not_configured")
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise StatusRefused(401, "id_token_required")
    if not settings.oauth.status_audience:
        raise StatusRefused(403, "status_not_configured")
    try:
        claims = verify_id_token(token.strip(), keys, settings.oauth.status_audience)
    except IdentityRejected:
        raise StatusRefused(403, "invalid_id_token") from None
    email = str(claims.get("email", "")).lower()
    if claims.get("email_verified") is not True or email not in callers:
        raise StatusRefused(403, "caller_not_allowed")
    return email
