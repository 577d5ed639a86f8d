"""Tenants: settings under their version check, the re-sync baseline, the platform calendar.

A tenant owns the domains it names: ``domain_claims/{domain}`` records the first tenant that
claimed each one, in the same transaction as its settings. A later claim of that domain by
another tenant is refused (``BadInput("domain_claimed")``, a ``rejected`` result); a tenant
that drops a domain from its settings releases it.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, cast

from pydantic import ValidationError

from calsync.contracts import SettingsUpdated
from calsync.errors import BadInput
from calsync.records import TenantRecord, now
from calsync.state.firestore_base import Decision, FirestoreState, as_document

if TYPE_CHECKING:
    from google.cloud import firestore


__all__ = ["TenantState"]


def _lenient(raw: dict[str, Any] | None) -> TenantRecord | None:
    """The stored tenant, or None when absent or stored under rules since tightened (such
    as a domain that is not a host name): new valid settings may replace it."""
    try:
        return TenantRecord.model_validate(raw) if raw is not None else None
    except ValidationError:
        return None


class TenantState(FirestoreState):
    """Tenant documents."""

    def get_tenant(self, tenant_id: str) -> TenantRecord | None:
        """The tenant's record, or None when calsync has never heard of it."""
        snapshot = self._tenant(tenant_id).get()
        return TenantRecord.model_validate(snapshot.to_dict()) if snapshot.exists else None

    def apply_settings(self, message: SettingsUpdated) -> tuple[Decision, TenantRecord | None]:
        """Store newer settings; an older or equal version changes nothing.

        Returns the decision and the tenant as it was before (None for a new tenant).
        """
        from google.cloud import firestore

        ref = self._tenant(message.tenant_id)

        @firestore.transactional
        def apply(transaction: firestore.Transaction) -> tuple[Decision, TenantRecord | None]:
            snapshot = ref.get(transaction=transaction)
            raw = snapshot.to_dict() if snapshot.exists else None
            current = _lenient(raw)
            if raw is not None and int(raw.get("settings_version", -1)) >= message.version:
                return Decision.STALE, current
            claimed = set(message.settings.domains)
            before = set(((raw or {}).get("settings") or {}).get("domains") or [])
            domains = sorted(claimed | {d for d in before if isinstance(d, str) and d})
            claims = {d: self._claim(d).get(transaction=transaction) for d in domains}
            owners = {
                d: (c.to_dict() or {}).get("tenant_id") if c.exists else None
                for d, c in claims.items()
            }
            taken = sorted(d for d in claimed if owners[d] not in (None, message.tenant_id))
            if taken:
                raise BadInput(
                    "domain_claimed",
                    f"domain {', '.join(taken)} belongs to another tenant; settings not applied",
                )
            for domain, owner in owners.items():
                if domain in claimed and owner is None:
                    claim = {"tenant_id": message.tenant_id, "claimed_at": now()}
                    transaction.set(self._claim(domain), claim)
                elif domain not in claimed and owner == message.tenant_id:
                    transaction.delete(self._claim(domain))  # released
            fields: dict[str, Any] = {
                "tenant_id": message.tenant_id,
                "settings": as_document(message.settings),
                "settings_version": message.version,
                "settings_nonce": uuid.uuid4().hex,
                "updated_at": now(),
            }
            if not message.settings.sync_enabled:
                fields["resync_settings"] = None  # Google may now fall behind in any way
            transaction.set(ref, fields, merge=True)
            return Decision.RECORDED, current

        return cast("tuple[Decision, TenantRecord | None]", apply(self._db.transaction()))

    def _claim(self, domain: str) -> firestore.DocumentReference:
        return self._db.collection("domain_claims").document(domain)

    def domain_owner(self, domain: str) -> str | None:
        """The tenant that claimed ``domain``, if any."""
        snapshot = self._claim(domain.lower()).get()
        return str((snapshot.to_dict() or {}).get("tenant_id")) if snapshot.exists else None

    def mark_resync(self, tenant_id: str, version: int) -> bool:
        """Record that a re-sync to settings ``version`` has started (``tenant_resync``).

        Only while ``version`` is still the tenant's current one: a newer version decides
        for itself whether it needs a re-sync. Returns whether it was recorded.
        """
        from google.cloud import firestore

        ref = self._tenant(tenant_id)

        @firestore.transactional
        def mark(transaction: firestore.Transaction) -> bool:
            snapshot = ref.get(transaction=transaction)
            if not snapshot.exists:
                return False
            current = TenantRecord.model_validate(snapshot.to_dict())
            if current.settings_version != version or current.resync_version > version:
                return False
            transaction.update(
                ref, {"resync_settings": as_document(current.settings), "resync_version": version}
            )
            return True

        return cast(bool, mark(self._db.transaction()))

    def set_platform_calendar(self, tenant_id: str, calendar_id: str, replacing: str | None) -> str:
        """Record the tenant's platform calendar unless another writer got there first.

        Returns the calendar id now on record; ``replacing`` is the id the caller
        saw (None when there was none, or the id of a calendar that vanished).
        """
        from google.cloud import firestore

        ref = self._tenant(tenant_id)

        @firestore.transactional
        def swap(transaction: firestore.Transaction) -> str:
            current = (ref.get(transaction=transaction).to_dict() or {}).get("platform_calendar_id")
            if current and current != replacing:
                return str(current)
            transaction.update(ref, {"platform_calendar_id": calendar_id})
            return calendar_id

        return cast(str, swap(self._db.transaction()))

    def tenants(self) -> list[TenantRecord]:
        """Every tenant calsync knows."""
        return [
            TenantRecord.model_validate(s.to_dict())
            for s in self._db.collection("tenants").stream()
            if (s.to_dict() or {}).get("settings") is not None
        ]
