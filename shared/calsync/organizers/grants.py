"""Organizers' Google credentials for the sync core, and their connection health.

The API reconcile uses (organizer mode, DESIGN §2)::

    grants = organizer_grants(get_settings())       # one per process
    credentials = grants.credentials("acme", "alice@acme.com")
    if credentials is None:
        ...  # not connected, or needs consent: report needs_consent, use the platform account
    try:
        ...  # call Google with `credentials`
    except google.auth.exceptions.RefreshError as exc:     # or calsync.errors.InvalidGrant
        if "invalid_grant" in str(exc):
            grants.mark_needs_consent("acme", "alice@acme.com", "invalid_grant",
                                      grant_id=credentials.grant_id)

- ``credentials(tenant_id, email) -> OrganizerCredentials | None``: ``None`` means not
  connected (never, disconnected, or ``needs_consent``). Otherwise
  ``google.oauth2.credentials.Credentials`` for the configured token endpoint and OAuth
  client, with the organizer's granted scopes and ``grant_id``. One Firestore read per call;
  the decrypted credentials (and so their access token) are cached per instance while the
  stored ``grant_id`` is unchanged, so a reconnect or disconnect elsewhere is seen at once.
  Concurrent refreshes of one cached credential coalesce into one token request. A stored
  token that does not decrypt (tampered, copied from another organizer or tenant, or the key
  is gone) is logged once and answered ``None``; nothing is changed. While the organizer is
  ``disconnecting`` the credentials still work and say ``leaving``: calsync uses them only to
  move the organizer's events out, never to place new ones.
- ``mark_needs_consent(tenant_id, email, reason, grant_id=None)``: the organizer's health
  becomes ``needs_consent`` (``/status`` shows it, with ``reason``) and the dead token is
  dropped. Pass the credential's ``grant_id`` so a reconnect that happened meanwhile is not
  overwritten. Reconnecting clears it.
- ``status(tenant_id, email) -> dict``: what ``/status`` answers.
- ``connect(...)``, ``begin_disconnect(...)``, ``disconnect(...)`` and ``reencrypt(...)``:
  used by the OAuth function, the ``revoke_grant`` task and operators (key rotation). A
  disconnect is two steps: ``begin_disconnect`` marks the grant ``disconnecting`` (the OAuth
  function, which cannot decrypt it); the task moves the organizer's events back to the
  platform calendar with it, then ``disconnect`` revokes it at Google and forgets it.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import TYPE_CHECKING, Any

import requests
from google.oauth2.credentials import Credentials as UserCredentials

from calsync.config import Settings
from calsync.errors import TransientError
from calsync.logs import get_logger
from calsync.organizers.grant_store import (
    GrantMisplaced,
    GrantRecord,
    GrantStore,
    Health,
    grant_aad,
)
from calsync.organizers.oauth_flow import missing_scopes
from calsync.organizers.vault import DecryptionFailed, Envelope

if TYPE_CHECKING:
    import google.auth.transport

__all__ = ["OrganizerCredentials", "OrganizerGrants", "organizer_grants"]

_LOG = get_logger(__name__)
_REVOKE_TIMEOUT_SECONDS = 10.0


class OrganizerCredentials(UserCredentials):
    """User credentials that remember their grant and refresh once under concurrency."""

    def __init__(self, *args: Any, grant_id: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[no-untyped-call]
        self.grant_id = grant_id
        self.leaving = False
        """True while the organizer is disconnecting: for moving events out only."""
        self._refresh_lock = threading.Lock()

    def refresh(self, request: google.auth.transport.Request) -> None:
        """Refresh unless another thread replaced the token while this one waited."""
        seen = self.token
        with self._refresh_lock:
            if self.token != seen and self.valid:
                return
            super().refresh(request)  # type: ignore[no-untyped-call]


class OrganizerGrants:
    """Organizers' grants: credentials for reconcile, health, connect and disconnect."""

    def __init__(self, store: GrantStore, settings: Settings) -> None:
        self._store = store
        self._settings = settings
        self._cache: dict[tuple[str, str], OrganizerCredentials] = {}
        self._lock = threading.Lock()

    # -- reconcile --------------------------------------------------------
    def credentials(self, tenant_id: str, email: str) -> OrganizerCredentials | None:
        """The organizer's credentials, or None when they are not (or no longer) connected."""
        key = (tenant_id, email.lower())
        try:
            record = self._store.get(tenant_id, email)
            if record is None or record.health not in (Health.CONNECTED, Health.DISCONNECTING):
                self._forget(key)
                return None
            leaving = record.health is Health.DISCONNECTING
            with self._lock:
                cached = self._cache.get(key)
                if cached is not None and cached.grant_id == record.grant_id:
                    cached.leaving = leaving
                    return cached
            built = self._build(tenant_id, email, record)
            built.leaving = leaving
        except DecryptionFailed as exc:
            self._forget(key)
            _LOG.error(
                "an organizer's stored grant does not decrypt; treating them as not connected",
                extra={"fields": {"tenant_id": tenant_id, "organizer": email, "error": str(exc)}},
            )
            return None
        with self._lock:
            self._cache[key] = built
        return built

    def _build(self, tenant_id: str, email: str, record: GrantRecord) -> OrganizerCredentials:
        oauth = self._settings.oauth
        return OrganizerCredentials(
            None,
            refresh_token=self._store.refresh_token(tenant_id, email, record),
            token_uri=self._settings.google.token_uri,
            client_id=oauth.client_id,
            client_secret=oauth.client_secret,
            scopes=record.scopes or None,
            grant_id=record.grant_id,
        )

    def _forget(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._cache.pop(key, None)

    def mark_needs_consent(
        self, tenant_id: str, email: str, reason: str, grant_id: str | None = None
    ) -> None:
        """The organizer must connect again (Google answered ``invalid_grant``, for example)."""
        self._forget((tenant_id, email.lower()))
        marked = self._store.mark_needs_consent(tenant_id, email, reason, grant_id)
        _LOG.warning(
            "organizer needs to connect again" if marked else "grant already replaced",
            extra={"fields": {"tenant_id": tenant_id, "organizer": email, "reason": reason}},
        )

    def refused(self, tenant_id: str, email: str) -> bool:
        """True when the organizer's grant was marked after Google's ``invalid_grant`` and no
        new one replaced it (a revoked grant, a changed password, or a suspended account)."""
        try:
            record = self._store.get(tenant_id, email)
        except GrantMisplaced:
            return False
        return (
            record is not None
            and record.health is Health.NEEDS_CONSENT
            and record.reason == "invalid_grant"
        )

    # -- the OAuth function -----------------------------------------------
    def status(self, tenant_id: str, email: str) -> dict[str, Any]:
        """Connection health as ``/status`` answers it (never a secret)."""
        try:
            record = self._store.get(tenant_id, email)
        except GrantMisplaced:
            return {
                "tenant_id": tenant_id,
                "organizer": email.lower(),
                "health": Health.NEEDS_CONSENT.value,
                "reason": "grant_unreadable",
            }
        if record is None:
            return {"tenant_id": tenant_id, "organizer": email.lower(), "health": "not_connected"}
        return {
            "tenant_id": tenant_id,
            "organizer": record.email,
            "health": record.health.value,
            "scopes": record.scopes,
            "missing_scopes": missing_scopes(record.scopes) if record.scopes else [],
            "connected_at": record.connected_at.isoformat() if record.connected_at else None,
            "updated_at": record.updated_at.isoformat(),
            "reason": record.reason,
        }

    def connect(
        self, tenant_id: str, email: str, refresh_token: str, scopes: list[str], google_sub: str
    ) -> None:
        """Store a fresh grant (clears ``needs_consent``)."""
        self._forget((tenant_id, email.lower()))
        self._store.save(tenant_id, email, refresh_token, scopes, google_sub)

    def begin_disconnect(self, tenant_id: str, email: str) -> str | None:
        """Mark the organizer's connected grant ``disconnecting``; its ``grant_id``, or None
        when there is no grant to move events out with (never connected, ``needs_consent``).

        A grant already ``disconnecting`` is answered with its ``grant_id`` too: an earlier
        attempt marked it and then failed (Cloud Tasks refused its ``revoke_grant`` task, the
        page said "try again"), so this attempt must schedule the hand-back that one could
        not. Taking it for "no grant" revoked the sign-in, which Google does for the whole
        grant, and the organizer's events were stranded in their calendar (model seed
        730516563). A second task for the same grant is harmless: the first to finish
        revokes it, the other then finds it gone and does nothing."""
        self._forget((tenant_id, email.lower()))
        try:
            record = self._store.get(tenant_id, email)
        except GrantMisplaced:
            return None
        if record is not None and record.health is Health.DISCONNECTING:
            return record.grant_id
        if record is None or record.health is not Health.CONNECTED:
            return None
        if not self._store.mark_disconnecting(tenant_id, email, record.grant_id):
            return None
        return record.grant_id

    def still_disconnecting(self, tenant_id: str, email: str, grant_id: str) -> bool:
        """True while grant ``grant_id`` is the organizer's current one and ``disconnecting``
        (False once they connected again, or it is gone)."""
        try:
            record = self._store.get(tenant_id, email)
        except GrantMisplaced:
            return False
        return (
            record is not None
            and record.grant_id == grant_id
            and record.health is Health.DISCONNECTING
        )

    def disconnect(self, tenant_id: str, email: str, grant_id: str | None = None) -> bool:
        """Revoke the grant at Google and forget it; False if there was none. With
        ``grant_id``, only that grant: one connected again since is kept."""
        self._forget((tenant_id, email.lower()))
        try:
            record = self._store.get(tenant_id, email)
        except GrantMisplaced:
            _LOG.error(
                "the grant document names another organizer; forgetting it without a revoke",
                extra={"fields": {"tenant_id": tenant_id, "organizer": email}},
            )
            self._store.delete(tenant_id, email)
            return True
        if record is None:
            return False
        if grant_id is not None and record.grant_id != grant_id:
            _LOG.info(
                "the organizer connected again since asking to disconnect; keeping the new grant",
                extra={"fields": {"tenant_id": tenant_id, "organizer": email}},
            )
            return False
        if record.envelope:
            try:
                self.revoke(self._store.refresh_token(tenant_id, email, record))
            except DecryptionFailed:
                _LOG.error(
                    "cannot decrypt the grant to revoke it; forgetting it anyway",
                    extra={"fields": {"tenant_id": tenant_id, "organizer": email}},
                )
        return self._store.delete(tenant_id, email, record.grant_id)

    def account_has_working_grant(self, google_sub: str) -> bool:
        """True when a connected grant of this Google account is stored, in any tenant."""
        return self._store.connected_sub(google_sub)

    def revoke(self, token: str) -> None:
        """Revoke a token at Google; an already-invalid token counts as revoked."""
        try:
            reply = requests.post(
                self._settings.google.revoke_uri,
                data={"token": token},
                timeout=_REVOKE_TIMEOUT_SECONDS,
            )
        except requests.RequestException as exc:
            raise TransientError(f"Google's revoke endpoint is unreachable: {exc}") from exc
        if reply.status_code >= 500 or reply.status_code == 429:
            raise TransientError(f"Google's revoke endpoint answered {reply.status_code}")

    # -- operators --------------------------------------------------------
    def reencrypt(self, tenant_id: str | None = None) -> int:
        """Re-seal every grant wrapped under a non-primary key; returns how many moved."""
        vault = self._store.vault()
        moved = 0
        for record in self._store.connected(tenant_id):
            envelope = Envelope.from_dict(record.envelope or {})
            if vault.needs_rotation(envelope):
                aad = grant_aad(record.tenant_id, record.email)
                self._store.replace_envelope(record, vault.reseal(envelope, aad))
                moved += 1
        return moved


@cache
def organizer_grants(settings: Settings) -> OrganizerGrants:
    """The process's OrganizerGrants (Firestore and the vault built on first use)."""
    from calsync.organizers.vault import vault_from_settings
    from calsync.state.store import firestore_client

    return OrganizerGrants(
        GrantStore(
            firestore_client(settings.project, settings.grants_database),
            cache(lambda: vault_from_settings(settings.oauth)),
        ),
        settings,
    )
