"""Short-lived, one-time OAuth flow records in Firestore (collection ``oauth_states``).

One document per started flow, keyed by a digest of the state's nonce, holding what must
not travel through the browser: the PKCE verifier and the OpenID nonce. ``take`` reads and
deletes it in one transaction, so a state works once; ``expires_at`` is the field of the
collection's TTL policy (terraform/firestore.tf) and is also checked on read, because TTL
deletion can lag by a day::

    states = OAuthStates(firestore_client(project))
    states.put(claims, FlowSecrets(code_verifier=pkce.verifier, oidc_nonce=nonce))
    secrets = states.take(claims)        # InvalidState("replayed") the second time
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from calsync.organizers.oauth_flow import InvalidState, StateClaims
from calsync.records import now

if TYPE_CHECKING:
    from google.cloud import firestore

__all__ = ["COLLECTION", "FlowSecrets", "OAuthStates"]

COLLECTION = "oauth_states"


@dataclass(frozen=True)
class FlowSecrets:
    """The server-side half of a flow."""

    code_verifier: str
    oidc_nonce: str


class OAuthStates:
    """Puts and takes (once) the records of flows in progress."""

    def __init__(self, client: firestore.Client) -> None:
        self._db = client

    def put(self, claims: StateClaims, secrets: FlowSecrets) -> None:
        """Remember a flow until ``claims.expires_at``."""
        self._db.collection(COLLECTION).document(claims.record_id).set(
            {
                "purpose": claims.purpose,
                "tenant_id": claims.tenant_id,
                "organizer": claims.organizer,
                "code_verifier": secrets.code_verifier,
                "oidc_nonce": secrets.oidc_nonce,
                "created_at": now(),
                "expires_at": datetime.fromtimestamp(claims.expires_at, UTC),
            }
        )

    def take(self, claims: StateClaims) -> FlowSecrets:
        """The flow's secrets, deleting the record; InvalidState if used, expired or foreign."""
        from google.cloud import firestore

        ref = self._db.collection(COLLECTION).document(claims.record_id)

        @firestore.transactional
        def take(transaction: firestore.Transaction) -> dict[str, Any] | None:
            snapshot = ref.get(transaction=transaction)
            if not snapshot.exists:
                return None
            transaction.delete(ref)
            return snapshot.to_dict()

        record = cast("dict[str, Any] | None", take(self._db.transaction()))
        if record is None:
            raise InvalidState("replayed")
        if record["expires_at"] <= now():
            raise InvalidState("expired")
        bound = (record["purpose"], record["tenant_id"], record["organizer"])
        if bound != (claims.purpose, claims.tenant_id, claims.organizer):
            raise InvalidState("mismatch")
        return FlowSecrets(str(record["code_verifier"]), str(record["oidc_nonce"]))
