"""The platform's own Google identity (DESIGN §2, mode 1).

Configured by ``CALSYNC_PLATFORM_IDENTITY``:

- ``oauth``: a Workspace user's OAuth grant; ``CALSYNC_PLATFORM_CREDENTIALS`` holds
  ``{"client_id", "client_secret", "refresh_token"}``.
- ``service_account``: a service account with domain-wide delegation acting as
  ``CALSYNC_PLATFORM_SUBJECT``. Deployed it is keyless: ``CALSYNC_PLATFORM_DELEGATION_ACCOUNT``
  names it and IAM Credentials signs its assertions (``keyless_delegation``). For local use
  only, ``CALSYNC_PLATFORM_CREDENTIALS`` may hold its key JSON instead.
  A bare service account (no subject) cannot invite attendees (Google answers 403
  ``forbiddenForServiceAccounts``).

``CALSYNC_PLATFORM_SUBJECT`` is in both modes the email of the identity that owns
the tenants' calendars. Credentials are built once per process and refresh
themselves through the configured token endpoint.

A platform may spread its tenants over a pool of such identities (``CALSYNC_PLATFORM_POOL``,
issue 16 item 3): each tenant's calendar is created by, and stays with, one of them
(``TenantRecord.platform_identity``; empty is the primary, ``CALSYNC_PLATFORM_SUBJECT``), so
each identity's per-user quota and anti-abuse limits carry only its share::

    pool_identities(settings)                      # ("platform@x", "calsync2@x", ...)
    platform_identity(settings, "calsync2@x")      # that identity's credentials
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from calsync.config import Settings
from calsync.errors import ConfigurationError
from calsync.google.keyless_delegation import delegation_credentials

if TYPE_CHECKING:
    from google.auth.credentials import Credentials

__all__ = ["PlatformIdentity", "platform_identity", "pool_identities"]

CALENDAR_SCOPES = ["https://www.googleapis.com/auth/calendar"]


@dataclass(frozen=True)
class PlatformIdentity:
    """Who calsync acts as in platform-account mode, and its credentials."""

    email: str
    credentials: Credentials


def _pool(settings: Settings) -> list[dict[str, Any]]:
    if not settings.platform_pool:
        return []
    try:
        entries = json.loads(settings.platform_pool)
    except ValueError as exc:
        raise ConfigurationError("CALSYNC_PLATFORM_POOL is not valid JSON") from exc
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and isinstance(e.get("subject"), str) and "@" in e["subject"]
        for e in entries
    ):
        raise ConfigurationError(
            'CALSYNC_PLATFORM_POOL must be a JSON list of {"subject": email, "credentials": {...}}'
        )
    return entries


def pool_identities(settings: Settings) -> tuple[str, ...]:
    """Every platform identity, the primary first (its email, or "" for a bare service
    account acting as itself)."""
    extra = [str(e["subject"]).lower() for e in _pool(settings)]
    return (settings.platform_subject.lower(), *extra)


def platform_identity(settings: Settings, subject: str = "") -> PlatformIdentity:
    """Build the credentials of the platform identity ``subject`` (a pool member; empty or
    the primary's email: the primary)."""
    if subject and subject.lower() != settings.platform_subject.lower():
        for entry in _pool(settings):
            if str(entry["subject"]).lower() == subject.lower():
                credentials = entry.get("credentials")
                if not credentials and settings.platform_identity == "oauth":
                    raise ConfigurationError(
                        f"CALSYNC_PLATFORM_POOL: {subject} needs its own OAuth grant (credentials)"
                    )
                return _identity(
                    replace(
                        settings,
                        platform_subject=str(entry["subject"]),
                        platform_credentials=json.dumps(credentials)
                        if credentials
                        else settings.platform_credentials,
                    )
                )
        raise ConfigurationError(f"{subject} is not in CALSYNC_PLATFORM_POOL")
    return _identity(settings)


def _identity(settings: Settings) -> PlatformIdentity:
    if settings.platform_identity == "service_account" and settings.platform_delegation_account:
        if not settings.platform_subject:
            raise ConfigurationError(
                "CALSYNC_PLATFORM_SUBJECT must name the Workspace user the delegation acts as"
            )
        keyless = delegation_credentials(
            settings,
            settings.platform_delegation_account,
            subject=settings.platform_subject,
            scopes=CALENDAR_SCOPES,
        )
        return PlatformIdentity(email=settings.platform_subject, credentials=keyless)
    if not settings.platform_credentials:
        raise ConfigurationError(
            "CALSYNC_PLATFORM_CREDENTIALS is not set: calsync has no Google identity to write with"
        )
    try:
        info = json.loads(settings.platform_credentials)
    except ValueError as exc:
        raise ConfigurationError("CALSYNC_PLATFORM_CREDENTIALS is not valid JSON") from exc
    subject = settings.platform_subject or None
    if settings.platform_identity == "service_account":
        from google.oauth2 import service_account

        info = {**info, "token_uri": settings.google.token_uri}
        sa = service_account.Credentials.from_service_account_info(
            info, scopes=CALENDAR_SCOPES, subject=subject
        )
        return PlatformIdentity(email=subject or sa.service_account_email, credentials=sa)
    if settings.platform_identity == "oauth":
        from google.oauth2.credentials import Credentials as UserCredentials

        if not subject:
            raise ConfigurationError(
                "CALSYNC_PLATFORM_SUBJECT must name the Workspace user whose grant is configured"
            )
        missing = {"client_id", "client_secret", "refresh_token"} - set(info)
        if missing:
            raise ConfigurationError(
                "CALSYNC_PLATFORM_CREDENTIALS lacks " + ", ".join(sorted(missing))
            )
        user = UserCredentials(
            token=None,
            refresh_token=info["refresh_token"],
            client_id=info["client_id"],
            client_secret=info["client_secret"],
            token_uri=settings.google.token_uri,
            scopes=CALENDAR_SCOPES,
        )
        return PlatformIdentity(email=subject, credentials=user)
    raise ConfigurationError(
        f"CALSYNC_PLATFORM_IDENTITY must be 'oauth' or 'service_account', "
        f"not {settings.platform_identity!r}"
    )
