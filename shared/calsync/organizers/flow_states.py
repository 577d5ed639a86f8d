"""Short-lived, one-time OAuth flow records in Firestore (collection ``oauth_states``).

One document per started flow, keyed by a digest of the state's nonce, holding what must
not travel through the browser: the PKCE verifier, the OpenID nonce and the digest of the
browser's secret (:mod:`calsync.organizers.browser_binding`). ``take`` reads and deletes it in
one transaction, so a state works once; ``expires_at`` is the field of the collection's TTL
policy (terraform/firestore.tf) and is also checked on read, because TTL deletion can lag by a
day. A flow the platform started has no browser yet: ``bind`` gives it the first browser that
opens the hop, once::

    states = OAuthStates(firestore_client(project))
    states.put(claims, FlowSecrets(code_verifier=pkce.verifier, oidc_nonce=nonce,
                                   browser=digest(secret)))
    secrets = states.bind(claims, digest(secret))   # a hop; InvalidState("opened") again
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
    browser: str = ""
    """The digest of the secret in the cookie of the browser the flow is bound to; empty
    while a hop the platform asked for has not been opened."""


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
                "browser": secrets.browser,
                "created_at": now(),
                "expires_at": datetime.fromtimestamp(claims.expires_at, UTC),
            }
        )

    def bind(self, claims: StateClaims, browser: str) -> FlowSecrets:
        """Bind a flow that has no browser yet to ``browser`` (a digest), in one transaction;
        InvalidState("opened") if a browser already holds it, or as ``take`` if used,
        expired or foreign."""
        from google.cloud import firestore

        ref = self._db.collection(COLLECTION).document(claims.record_id)

        @firestore.transactional
        def bind(transaction: firestore.Transaction) -> FlowSecrets:
            snapshot = ref.get(transaction=transaction)
            flow = _checked(snapshot.to_dict() if snapshot.exists else None, claims)
            if flow.browser:
                raise InvalidState("opened")
            transaction.update(ref, {"browser": browser})
            return FlowSecrets(flow.code_verifier, flow.oidc_nonce, browser)

        return cast("FlowSecrets", bind(self._db.transaction()))

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

        return _checked(cast("dict[str, Any] | None", take(self._db.transaction())), claims)


def _checked(record: dict[str, Any] | None, claims: StateClaims) -> FlowSecrets:
    """The secrets of a record that exists, has not expired and belongs to ``claims``."""
    if record is None:
        raise InvalidState("replayed")
    if record["expires_at"] <= now():
        raise InvalidState("expired")
    bound = (record["purpose"], record["tenant_id"], record["organizer"])
    if bound != (claims.purpose, claims.tenant_id, claims.organizer):
        raise InvalidState("mismatch")
    return FlowSecrets(
        str(record["code_verifier"]), str(record["oidc_nonce"]), str(record.get("browser") or "")
    )
