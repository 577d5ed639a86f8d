"""Every HTTP function checks the parameters that name a Firestore path or a person before
using them (issue 14, item 6): ``tenant=acme/organizers/x`` never reaches Firestore."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from calsync_dev.stack import LocalStack, repo_root

HOSTILE = ["acme/organizers/alice@acme.com", "../acme", "ACME", "", "a" * 64]


def _client(name: str, clean: LocalStack) -> Any:
    import functions_framework

    source = Path(repo_root()) / "functions" / name / "main.py"
    return functions_framework.create_app(name, str(source), "http").test_client()


def _bad_request(reply: Any) -> None:
    assert reply.status_code == 400, reply.get_data(as_text=True)
    assert reply.get_json()["error"] in ("bad_request", "tenant and organizer are required")


@pytest.mark.parametrize("tenant", HOSTILE)
@pytest.mark.parametrize("path", ["/status", "/connect", "/disconnect"])
def test_the_oauth_function_refuses_a_tenant_that_is_not_a_tenant_id(
    clean: LocalStack, path: str, tenant: str
) -> None:
    """Attack: a tenant parameter that would name another Firestore document."""
    client = _client("oauth_callback", clean)
    reply = client.get(path, query_string={"tenant": tenant, "organizer": "alice@acme.com"})
    _bad_request(reply)


@pytest.mark.parametrize("organizer", ["alice", "alice@acme.com/x", "a@b"])
def test_the_oauth_function_refuses_an_organizer_that_is_not_an_email(
    clean: LocalStack, organizer: str
) -> None:
    """Attack: an organizer parameter that is not an address (a document id of its own)."""
    reply = _client("oauth_callback", clean).get(
        "/status", query_string={"tenant": "acme", "organizer": organizer}
    )
    _bad_request(reply)


@pytest.mark.parametrize("tenant", HOSTILE)
def test_the_rooms_function_refuses_a_tenant_that_is_not_a_tenant_id(
    clean: LocalStack, tenant: str
) -> None:
    """Attack: rooms asked for ``tenant=acme/organizers/…``."""
    _bad_request(_client("rooms", clean).get("/", query_string={"tenant": tenant}))


@pytest.mark.parametrize(
    "body",
    [
        {"tenant_id": "acme/organizers/x"},
        {"tenant_id": 7},
        {"tenant_id": "acme", "organizer": "x/y"},
    ],
)
def test_the_sweeper_refuses_a_targeted_check_with_a_malformed_tenant(
    clean: LocalStack, body: dict[str, Any]
) -> None:
    """Attack: the targeted sweep naming a path instead of a tenant or an organizer."""
    _bad_request(_client("orphan_sweeper", clean).post("/", json=body))
