"""Detect: a tenant's suspended people, through the Directory (DESIGN §6; docs/sweeper.md, 1).

The sweeper acts as the tenant's administrator (``admin_email``, through the service
account's domain-wide delegation)::

    directory = tenant_directory(settings, tenant)
    suspended = suspended_people(tenant, directory, organizer=None)  # {email: Directory user}

Without ``organizer`` it lists ``users.list(query="isSuspended=true")`` for each of the
tenant's ``domains`` (one call per page of suspended users, never the active ones); with
it, the targeted check after an ``invalid_grant`` asks ``users.get`` for that one person.
"""

from __future__ import annotations

from typing import Any

from calsync.config import Settings
from calsync.google.directory import DirectoryGateway, admin_credentials, build_directory_gateway
from calsync.records import TenantRecord

__all__ = ["suspended_people", "tenant_directory"]


def tenant_directory(settings: Settings, tenant: TenantRecord) -> DirectoryGateway:
    """The Directory (and Data Transfer) as the tenant's administrator."""
    admin = tenant.settings.admin_email or ""
    return build_directory_gateway(admin_credentials(settings, admin), admin, settings)


def suspended_people(
    tenant: TenantRecord, directory: DirectoryGateway, organizer: str | None
) -> dict[str, dict[str, Any]]:
    """{email: Directory user} of the tenant's suspended people (or of ``organizer`` alone,
    if suspended)."""
    if organizer:  # the targeted check after an invalid_grant
        user = directory.user(organizer)
        return {organizer: user} if user.get("suspended") else {}
    found: dict[str, dict[str, Any]] = {}
    for domain in tenant.settings.domains:
        for user in directory.suspended_users(domain):
            found[str(user.get("primaryEmail", "")).lower()] = user
    return found
