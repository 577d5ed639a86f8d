"""calsync's exceptions: one root, meaning carried by the class name.

Entry points map them to outcomes in one place (``calsync.entrypoints.push``): a
``BadInput`` is acknowledged with a ``rejected`` result, a ``TransientError``
is raised back to Pub/Sub or Cloud Tasks for redelivery, a ``PermanentGoogleError``
becomes a ``failed`` result and is acknowledged.
"""

from __future__ import annotations

__all__ = [
    "BadInput",
    "CalsyncError",
    "ConfigurationError",
    "DecryptionFailed",
    "Duplicate",
    "Gone",
    "GoogleError",
    "InvalidGrant",
    "ItemBusy",
    "LeaseLost",
    "NotFound",
    "Paced",
    "PermanentGoogleError",
    "PreconditionFailed",
    "QuotaExceeded",
    "TransientError",
]


class CalsyncError(Exception):
    """Root of calsync's own errors."""


class BadInput(CalsyncError):
    """A message that can never be processed as sent (rejected, never retried)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class ConfigurationError(CalsyncError):
    """The deployment is missing a setting or credential it needs."""


class TransientError(CalsyncError):
    """Worth retrying later: the message is handed back for redelivery."""


class ItemBusy(TransientError):
    """Another worker holds the item's reconcile lease; try again shortly."""


class Paced(TransientError):
    """An identity's calls are booked further ahead than a worker waits (``state.pacing``):
    the work is handed back and comes again after about ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class LeaseLost(TransientError):
    """A reconcile no longer holds its item: the lease ran out and another worker took it,
    or the item was handed to a successor meanwhile. It stops before its next write; the
    message or task comes back and starts over from fresh state."""


class GoogleError(CalsyncError):
    """A Google API call failed; ``status`` and ``reason`` are Google's."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(f"{status} {reason}: {message}")
        self.status = status
        self.reason = reason
        self.message = message


class PermanentGoogleError(GoogleError):
    """Google refused in a way retrying will not fix (reported as ``failed``)."""


class QuotaExceeded(GoogleError):
    """Google's anti-abuse limiter (``quotaExceeded``): retry much later, never in a loop."""


class NotFound(PermanentGoogleError):
    """404: no such event or calendar (or no access to it)."""


class Gone(PermanentGoogleError):
    """410: the event was already deleted."""


class Duplicate(PermanentGoogleError):
    """409 ``duplicate``: an event with this id exists (possibly as a cancelled tombstone)."""


class PreconditionFailed(PermanentGoogleError):
    """412 ``conditionNotMet``: the etag is stale; re-read and re-plan."""


class InvalidGrant(CalsyncError):
    """The OAuth grant behind a credential is revoked or expired (``invalid_grant``).

    ``owner`` is filled in by whoever knows whose grant it was.
    """

    owner: object | None = None


class DecryptionFailed(CalsyncError):
    """A ciphertext did not open: tampered, bound to another record, or its key is unknown."""


class OutsideDomains(CalsyncError):
    """calsync was about to act as a person outside the tenant's own domains (refused)."""
