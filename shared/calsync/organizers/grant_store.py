"""Organizers' OAuth grants in Firestore, refresh tokens sealed by :mod:`calsync.organizers.vault`.

Layout: ``tenants/{tenant}/organizers/{email}``, one :class:`GrantRecord` per organizer.
The refresh token is stored only as an envelope whose associated data is
``grant_aad(tenant, email)`` built from the *path* the caller asked for (never from the fields
stored inside the document), so it opens for that document alone: a whole document copied to
another organizer or tenant does not decrypt, and a record whose stored ``tenant_id`` or
``email`` differ from its path is refused outright (:class:`GrantMisplaced`). A record is
``connected`` (with an envelope), ``disconnecting`` (with an envelope: the organizer asked to
disconnect, and their events are being moved back to the platform calendar before the grant is
revoked) or ``needs_consent`` (without: Google said the grant is dead, or it never became
usable); no document means the organizer never connected or disconnected::

    store = GrantStore(firestore_client(project), vault)
    grant_id = store.save("acme", "alice@acme.com", refresh_token, scopes, google_sub)
    record = store.get("acme", "alice@acme.com")         # GrantMisplaced if copied here
    token = store.refresh_token("acme", "alice@acme.com", record)   # DecryptionFailed if moved
    store.mark_needs_consent("acme", "alice@acme.com", "invalid_grant", grant_id=grant_id)
    store.mark_disconnecting("acme", "alice@acme.com", grant_id)  # False: not that grant now
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from calsync.errors import DecryptionFailed
from calsync.logs import get_logger
from calsync.organizers.vault import Envelope, Vault
from calsync.records import now

if TYPE_CHECKING:
    from google.cloud import firestore

__all__ = ["GrantMisplaced", "GrantRecord", "GrantStore", "Health", "grant_aad"]

_LOG = get_logger(__name__)


class GrantMisplaced(DecryptionFailed):
    """A grant document whose stored tenant or organizer differ from where it lives."""


class Health(StrEnum):
    """An organizer's connection health (``/status``)."""

    CONNECTED = "connected"
    DISCONNECTING = "disconnecting"
    NEEDS_CONSENT = "needs_consent"
    NOT_CONNECTED = "not_connected"


class GrantRecord(BaseModel):
    """One organizer's grant and its health."""

    model_config = ConfigDict(extra="ignore")

    tenant_id: str
    email: str
    health: Health
    grant_id: str = ""
    google_sub: str = ""
    scopes: list[str] = Field(default_factory=list)
    envelope: dict[str, Any] | None = None
    connected_at: datetime | None = None
    updated_at: datetime = Field(default_factory=now)
    reason: str | None = None


def grant_aad(tenant_id: str, email: str) -> bytes:
    """Associated data binding a sealed token to one tenant's organizer."""
    return b"\x00".join((b"calsync/grant/v1", tenant_id.encode(), email.lower().encode()))


def _doc_id(email: str) -> str:
    return quote(email.lower(), safe="@.+-_")


def _checked(record: GrantRecord, tenant_id: str, email: str) -> GrantRecord:
    """The record, if its stored fields name the path it was read from."""
    if record.tenant_id != tenant_id or record.email != email.lower():
        raise GrantMisplaced(
            f"the grant stored at tenants/{tenant_id}/organizers/{_doc_id(email)} names "
            f"another tenant or organizer; refused (copied or moved)"
        )
    return record


class GrantStore:
    """Reads and writes organizers' grant documents."""

    def __init__(self, client: firestore.Client, vault: Callable[[], Vault]) -> None:
        self._db = client
        self._vault = vault

    def vault(self) -> Vault:
        """The vault sealing this store's tokens."""
        return self._vault()

    def _ref(self, tenant_id: str, email: str) -> firestore.DocumentReference:
        organizers = self._db.collection("tenants").document(tenant_id).collection("organizers")
        return cast("firestore.DocumentReference", organizers.document(_doc_id(email)))

    def get(self, tenant_id: str, email: str) -> GrantRecord | None:
        """The organizer's record, or None if they never connected; GrantMisplaced if the
        document there names another tenant or organizer."""
        snapshot = self._ref(tenant_id, email).get()
        if not snapshot.exists:
            return None
        return _checked(GrantRecord.model_validate(snapshot.to_dict()), tenant_id, email)

    def save(
        self, tenant_id: str, email: str, refresh_token: str, scopes: list[str], google_sub: str
    ) -> str:
        """Store a new grant (replacing any earlier one); returns its ``grant_id``."""
        envelope = self._vault().seal(refresh_token.encode(), grant_aad(tenant_id, email))
        record = GrantRecord(
            tenant_id=tenant_id,
            email=email.lower(),
            health=Health.CONNECTED,
            grant_id=secrets.token_hex(16),
            google_sub=google_sub,
            scopes=sorted(scopes),
            envelope=envelope.to_dict(),
            connected_at=now(),
        )
        self._ref(tenant_id, email).set(record.model_dump(mode="json"))
        return record.grant_id

    def refresh_token(self, tenant_id: str, email: str, record: GrantRecord) -> str:
        """Decrypt the refresh token of the record read from ``tenant_id``/``email``; the
        associated data comes from that path (DecryptionFailed if it does not open there)."""
        _checked(record, tenant_id, email)
        envelope = Envelope.from_dict(record.envelope or {})
        return self._vault().open(envelope, grant_aad(tenant_id, email)).decode()

    def mark_needs_consent(
        self, tenant_id: str, email: str, reason: str, grant_id: str | None = None
    ) -> bool:
        """Record that the grant is dead (and drop its token). With ``grant_id``, only if that
        grant is still the current one (a reconnect in between wins). Returns True if marked."""
        from google.cloud import firestore

        ref = self._ref(tenant_id, email)

        @firestore.transactional
        def mark(transaction: firestore.Transaction) -> bool:
            snapshot = ref.get(transaction=transaction)
            current = snapshot.to_dict() if snapshot.exists else None
            if current is not None and grant_id and current.get("grant_id") != grant_id:
                return False
            record = GrantRecord(
                tenant_id=tenant_id,
                email=email.lower(),
                health=Health.NEEDS_CONSENT,
                grant_id=(current or {}).get("grant_id", ""),
                google_sub=(current or {}).get("google_sub", ""),
                scopes=(current or {}).get("scopes", []),
                connected_at=(current or {}).get("connected_at"),
                reason=reason,
            )
            transaction.set(ref, record.model_dump(mode="json"))
            return True

        return cast(bool, mark(self._db.transaction()))

    def mark_disconnecting(self, tenant_id: str, email: str, grant_id: str) -> bool:
        """The organizer asked to disconnect: grant ``grant_id`` (if still the current, connected
        one) only serves to move their events out until it is revoked. True if marked."""
        from google.cloud import firestore

        ref = self._ref(tenant_id, email)

        @firestore.transactional
        def mark(transaction: firestore.Transaction) -> bool:
            snapshot = ref.get(transaction=transaction)
            current = snapshot.to_dict() if snapshot.exists else None
            if (
                current is None
                or current.get("grant_id") != grant_id
                or current.get("health") != Health.CONNECTED.value
            ):
                return False
            transaction.update(
                ref, {"health": Health.DISCONNECTING.value, "updated_at": now().isoformat()}
            )
            return True

        return cast(bool, mark(self._db.transaction()))

    def delete(self, tenant_id: str, email: str, grant_id: str | None = None) -> bool:
        """Forget the organizer's grant; with ``grant_id``, only if that grant is still the
        current one (a reconnect in between wins). True if deleted."""
        from google.cloud import firestore

        ref = self._ref(tenant_id, email)
        if grant_id is None:
            ref.delete()
            return True

        @firestore.transactional
        def delete(transaction: firestore.Transaction) -> bool:
            snapshot = ref.get(transaction=transaction)
            if snapshot.exists and (snapshot.to_dict() or {}).get("grant_id") != grant_id:
                return False
            transaction.delete(ref)
            return True

        return cast(bool, delete(self._db.transaction()))

    def replace_envelope(self, record: GrantRecord, envelope: Envelope) -> None:
        """Store a re-encrypted envelope, unless the grant changed meanwhile."""
        from google.cloud import firestore

        ref = self._ref(record.tenant_id, record.email)

        @firestore.transactional
        def replace(transaction: firestore.Transaction) -> None:
            current = ref.get(transaction=transaction).to_dict() or {}
            if current.get("grant_id") == record.grant_id and current.get("envelope"):
                transaction.update(ref, {"envelope": envelope.to_dict()})

        replace(self._db.transaction())

    def connected_sub(self, google_sub: str) -> bool:
        """True when some tenant holds a connected grant of Google account ``google_sub``
        (one equality query per tenant: no collection-group index needed)."""
        from google.cloud.firestore_v1.base_query import FieldFilter

        for tenant in self._db.collection("tenants").list_documents():
            organizers = tenant.collection("organizers")
            query = organizers.where(filter=FieldFilter("google_sub", "==", google_sub))
            for snapshot in query.stream():
                if (snapshot.to_dict() or {}).get("health") == Health.CONNECTED.value:
                    return True
        return False

    def connected(self, tenant_id: str | None = None) -> Iterator[GrantRecord]:
        """Every connected grant of one tenant, or of all (no collection-group index needed)."""
        from google.cloud.firestore_v1.base_query import FieldFilter

        tenants = (
            [tenant_id]
            if tenant_id is not None
            else [ref.id for ref in self._db.collection("tenants").list_documents()]
        )
        for tenant in tenants:
            organizers = self._db.collection("tenants").document(tenant).collection("organizers")
            query = organizers.where(filter=FieldFilter("health", "==", Health.CONNECTED.value))
            for snapshot in query.stream():
                record = GrantRecord.model_validate(snapshot.to_dict())
                if record.tenant_id != tenant or _doc_id(record.email) != snapshot.id:
                    _LOG.error(
                        "a grant document names another tenant or organizer; skipped",
                        extra={"fields": {"tenant_id": tenant, "document": snapshot.id}},
                    )
                    continue
                yield record
