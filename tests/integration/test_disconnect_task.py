"""Disconnecting: the public function never decrypts a grant; a reconcile task revokes it.

oauth_callback holds only the KMS encrypter role (terraform/locals.tf), so the stored grant is
revoked and forgotten by a ``revoke_grant`` task delivered to ``reconcile``.
"""

from __future__ import annotations

from typing import Any

import google.auth.transport.requests
import pytest
from google.auth.exceptions import RefreshError

from calsync.organizers.grants import OrganizerGrants
from calsync.organizers.vault import Vault
from tests.integration.conftest import wait_for_tasks
from tests.integration.oauth_fixtures import Browser

pytest_plugins = ["tests.integration.oauth_fixtures"]

ALICE = "alice@acme.com"


def test_the_callback_never_decrypts_a_grant_to_disconnect(
    browser: Browser, grants: OrganizerGrants, sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With decryption impossible in the callback's process the disconnect still completes."""
    browser.connect(ALICE)
    credentials = grants.credentials("acme", ALICE)
    assert credentials is not None

    def no_decrypt(*_: object, **__: object) -> bytes:
        raise AssertionError("oauth_callback decrypted a grant")

    monkeypatch.setattr(Vault, "open", no_decrypt)
    page = browser.disconnect(ALICE)
    assert page.status_code == 200
    monkeypatch.undo()
    wait_for_tasks(sandbox)
    assert grants.credentials("acme", ALICE) is None
    with pytest.raises(RefreshError, match="invalid_grant"):
        credentials.refresh(google.auth.transport.requests.Request())


def test_disconnect_schedules_one_revoke_grant_task(browser: Browser, sandbox: Any) -> None:
    """The callback leaves the stored grant to a revoke_grant task for reconcile."""
    browser.connect(ALICE)
    wait_for_tasks(sandbox)
    before = {t["name"] for t in sandbox.tasks()}
    browser.disconnect(ALICE)
    wait_for_tasks(sandbox)
    new = [t for t in sandbox.tasks() if t["name"] not in before]
    assert len(new) == 1
    assert new[0]["state"] == "succeeded"
