"""Organizers' connection health for ``calsync grants`` and ``calsync status``.

Reads ``tenants/{tenant}/organizers/*`` in the grants database (``CALSYNC_GRANTS_DATABASE``,
a database of its own when deployed) and keeps only what ``/status`` shows: health, reason,
scopes and times. The sealed refresh token (``envelope``), the grant id and the Google
subject are never read into the result, so nothing here can print a secret::

    for grant in organizer_grants(firestore_client(project, grants_database), "acme"):
        print(grant.email, grant.health, grant.reason)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from calsync.organizers.grant_store import GrantRecord, Health
from calsync.organizers.oauth_flow import missing_scopes

if TYPE_CHECKING:
    from google.cloud import firestore

__all__ = ["BROKEN", "OrganizerGrant", "organizer_grants"]

BROKEN = frozenset({Health.NEEDS_CONSENT.value, "unreadable"})
"""Healths an operator must act on (the organizer has to reconnect, or the record is bad)."""


@dataclass(frozen=True)
class OrganizerGrant:
    """One organizer's connection health (no token, no secret)."""

    email: str
    health: str
    reason: str | None = None
    scopes: list[str] = field(default_factory=list)
    missing_scopes: list[str] = field(default_factory=list)
    connected_at: str | None = None
    updated_at: str | None = None

    @property
    def broken(self) -> bool:
        """True when calsync cannot write as this organizer until someone acts."""
        return self.health in BROKEN or bool(self.missing_scopes)

    def as_json(self) -> dict[str, Any]:
        """The grant as a JSON-able dict, with ``broken``."""
        return {**asdict(self), "broken": self.broken}


def organizer_grants(grants_db: firestore.Client, tenant_id: str) -> list[OrganizerGrant]:
    """Every organizer with a grant record in ``tenant_id``, by email."""
    organizers = grants_db.collection("tenants").document(tenant_id).collection("organizers")
    found: list[OrganizerGrant] = []
    for snapshot in organizers.stream():
        data = snapshot.to_dict() or {}
        data.pop("envelope", None)  # the sealed refresh token never leaves this function
        try:
            record = GrantRecord.model_validate(data)
        except ValidationError:
            found.append(
                OrganizerGrant(
                    email=str(data.get("email") or snapshot.id),
                    health="unreadable",
                    reason="record does not validate",
                )
            )
            continue
        misplaced = record.tenant_id != tenant_id
        found.append(
            OrganizerGrant(
                email=record.email,
                health="unreadable" if misplaced else record.health.value,
                reason="grant_misplaced" if misplaced else record.reason,
                scopes=list(record.scopes),
                missing_scopes=missing_scopes(record.scopes) if record.scopes else [],
                connected_at=record.connected_at.isoformat() if record.connected_at else None,
                updated_at=record.updated_at.isoformat(),
            )
        )
    return sorted(found, key=lambda grant: grant.email)
