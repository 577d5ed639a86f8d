"""The Firestore client and what every state module shares: document paths, the outcome of a
versioned write, and models as documents.

    client = firestore_client("my-project")      # one per process, created on first use
    class TenantState(FirestoreState): ...        # each concern adds its methods

Layout (DESIGN §4): ``tenants/{tenant}`` with ``items/{kind:id}`` (``parts``, ``attendance``,
``leases``), ``leases``, ``rooms``, ``transfers``, ``handovers``, ``ledger``; ``sweep_runs``.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from google.cloud import firestore


__all__ = ["Decision", "FirestoreState", "as_document", "contended", "firestore_client"]


class Decision(StrEnum):
    """What recording a versioned message did."""

    RECORDED = "recorded"
    STALE = "stale"


@cache
def firestore_client(project: str, database: str = "(default)") -> firestore.Client:
    """One Firestore client per process and database (honours ``FIRESTORE_EMULATOR_HOST``).

    Organizers' grants and OAuth flow states may live in a database of their own
    (``Settings.grants_database``), readable only by the functions that need them."""
    from google.cloud import firestore

    return firestore.Client(project=project, database=database)


def contended(exc: BaseException) -> bool:
    """True for a transaction Firestore gave up on because others held its documents
    (``ValueError: Failed to commit transaction in N attempts``, caused by ``Aborted``)."""
    from google.api_core.exceptions import Aborted

    return isinstance(exc, ValueError) and isinstance(exc.__cause__, Aborted)


def as_document(model: Any) -> dict[str, Any]:
    """A pydantic model as a Firestore document (JSON types)."""
    data: dict[str, Any] = model.model_dump(mode="json")
    return data


class FirestoreState:
    """A Firestore client and the paths of calsync's documents."""

    def __init__(self, client: firestore.Client) -> None:
        self._db = client

    def _tenant(self, tenant_id: str) -> firestore.DocumentReference:
        return self._db.collection("tenants").document(tenant_id)

    def _item(self, tenant_id: str, item_key: str) -> firestore.DocumentReference:
        items = self._tenant(tenant_id).collection("items")
        return cast("firestore.DocumentReference", items.document(item_key))

    def _parts(self, tenant_id: str, item_key: str) -> firestore.CollectionReference:
        return cast(
            "firestore.CollectionReference", self._item(tenant_id, item_key).collection("parts")
        )

    def _lease(self, tenant_id: str, item_key: str) -> firestore.DocumentReference:
        return cast(
            "firestore.DocumentReference",
            self._item(tenant_id, item_key).collection("leases").document("reconcile"),
        )

    def _attendance(self, tenant_id: str, item_key: str) -> firestore.CollectionReference:
        return cast(
            "firestore.CollectionReference",
            self._item(tenant_id, item_key).collection("attendance"),
        )

    def _tenant_lease(self, tenant_id: str, name: str) -> firestore.DocumentReference:
        return cast(
            "firestore.DocumentReference",
            self._tenant(tenant_id).collection("leases").document(name),
        )

    def _hand_over(self, tenant_id: str, item_key: str) -> firestore.DocumentReference:
        return cast(
            "firestore.DocumentReference",
            self._tenant(tenant_id).collection("handovers").document(item_key),
        )
