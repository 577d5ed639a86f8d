"""Platform mode over a pool of identities (issue 16 item 3): tenants spread over the pool,
each tenant's calendar is created by, and written as, one identity, calendar creation stays
within each identity's daily budget, and a tenant moves to another identity with no event
recreated. Through the real handlers, the Firestore emulator and the sandbox (the pool's other
identities are Workspace users with their own OAuth grants, as the primary is)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from calsync.entrypoints.platform_events import Outcome, handle_platform_event
from calsync.entrypoints.services import Services, reset_services, services
from calsync.errors import ConfigurationError, Paced
from calsync.sync.identity_moves import move_tenant
from calsync_dev.stack import LocalStack, seed_platform_identity
from tests.integration.conftest import calendar
from tests.unit.factories import settings_message, upsert_message

SECOND, THIRD = "calsync2@platform.example", "calsync3@platform.example"
TENANTS = ("acme", "globex", "initech")


def _pool_services(
    stack: LocalStack, sandbox: Any, monkeypatch: pytest.MonkeyPatch, per_day: int = 50
) -> Services:
    pool = [
        {"subject": who, "credentials": seed_platform_identity(sandbox, who)}
        for who in (SECOND, THIRD)
    ]
    monkeypatch.setenv("CALSYNC_PLATFORM_POOL", json.dumps(pool))
    monkeypatch.setenv("CALSYNC_CALENDARS_PER_IDENTITY_PER_DAY", str(per_day))
    reset_services()
    return services()


@pytest.fixture
def pool(clean: LocalStack, sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    """calsync with a pool of three platform identities (the primary and two more)."""
    yield _pool_services(clean, sandbox, monkeypatch)
    reset_services()


def _deliver(svc: Services, message: dict[str, Any]) -> Outcome:
    return handle_platform_event(svc, json.dumps(message).encode())


def _onboard(svc: Services, sandbox: Any, tenant: str) -> None:
    """The tenant's people, its settings and one event (which creates its calendar)."""
    domain = f"{tenant}.com"
    sandbox.seed_domain(domain)
    for person in ("alice", "bob", "dan"):
        sandbox.seed_user(f"{person}@{domain}")
    assert _deliver(svc, settings_message(tenant_id=tenant, domains=[domain])) is Outcome.ACK
    _upsert(svc, tenant)


def _upsert(svc: Services, tenant: str, version: int = 1, **item: Any) -> Outcome:
    domain = f"{tenant}.com"
    fields: dict[str, Any] = {
        "organizer_email": f"alice@{domain}",
        "host_emails": [f"bob@{domain}"],
        "url": f"https://{tenant}.example/events/evt_123",
    }
    fields.update(item)
    parts = fields.pop("parts", None)
    message = upsert_message(version=version, tenant_id=tenant, **fields)
    for part in message["item"]["parts"]:
        part.pop("host_emails", None)
    if parts is not None:
        message["item"]["parts"] = parts
    return _deliver(svc, message)


def test_new_tenants_spread_over_the_pool(pool: Services, sandbox: Any) -> None:
    """Three tenants, three identities: each tenant's calendar is another identity's."""
    for tenant in TENANTS:
        _onboard(pool, sandbox, tenant)
    holders = {t: pool.store.get_tenant(t).platform_identity for t in TENANTS}  # type: ignore[union-attr]
    assert sorted(holders.values()) == sorted(pool.platform_gateway.pool)
    assert pool.store.identity_tenants(pool.platform_gateway.pool) == dict.fromkeys(
        pool.platform_gateway.pool, 1
    )


def _acl(svc: Services, tenant: str) -> dict[str, str]:
    """The tenant calendar's user rules, read through Google's API as its holder."""
    record = svc.store.get_tenant(tenant)
    assert record is not None
    service = svc.platform_gateway(record.platform_identity)._service
    rules = service.acl().list(calendarId=record.platform_calendar_id).execute()["items"]
    return {r["scope"]["value"]: r["role"] for r in rules if r["scope"]["type"] == "user"}


def _writers(sandbox: Any, calendar_id: str) -> set[str]:
    return {
        str(r["user"])
        for r in sandbox.requests(method_id="calendar.events.insert")
        if calendar_id in r["path"]
    }


def test_a_new_tenant_s_calendar_is_shared_with_the_pool_as_writers(
    pool: Services, sandbox: Any
) -> None:
    """The holder shares the calendar with every other identity of the pool, without mail."""
    _onboard(pool, sandbox, "acme")
    record = pool.store.get_tenant("acme")
    assert record is not None
    others = set(pool.platform_gateway.pool) - {record.platform_identity}
    assert set(record.platform_writers) == others
    rules = _acl(pool, "acme")
    assert {who: rules.get(who) for who in others} == dict.fromkeys(others, "writer")


def test_a_large_tenant_s_items_are_written_by_every_identity_of_the_pool(
    pool: Services, sandbox: Any
) -> None:
    """Spread by item: twelve items of one tenant are written as all three identities, each
    item's two parts as one of them."""
    _onboard(pool, sandbox, "acme")
    for n in range(12):
        _upsert(pool, "acme", id=f"evt_{n:03d}", url=f"https://acme.example/e/{n}")
    record = pool.store.get_tenant("acme")
    assert record is not None
    assert _writers(sandbox, str(record.platform_calendar_id)) == set(pool.platform_gateway.pool)


def test_a_pool_identity_the_calendar_could_not_be_shared_with_is_left_out(
    pool: Services, sandbox: Any
) -> None:
    """acl.insert refused for one identity: the tenant syncs, written only as identities
    that have access."""
    sandbox.inject_fault("calendar.acl.insert", status=403, reason="forbidden", count=1)
    _onboard(pool, sandbox, "acme")
    for n in range(6):
        _upsert(pool, "acme", id=f"evt_{n:03d}", url=f"https://acme.example/e/{n}")
    record = pool.store.get_tenant("acme")
    assert record is not None
    assert len(record.platform_writers) == 1
    allowed = {record.platform_identity, *record.platform_writers}
    assert _writers(sandbox, str(record.platform_calendar_id)) <= allowed


def test_a_tenant_s_attendees_see_its_events_whichever_identity_holds_it(
    pool: Services, sandbox: Any
) -> None:
    """The people of the third tenant (on the third identity) hold their two parts."""
    for tenant in TENANTS:
        _onboard(pool, sandbox, tenant)
    titles = [e["summary"] for e in calendar(sandbox, "bob@initech.com")]
    assert len(titles) == 2


def test_calendar_creation_stops_at_each_identity_s_daily_budget(
    clean: LocalStack, sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One calendar a day per identity, three identities: a fourth tenant's first event is
    handed back for later (no fourth calendar, no identity over its budget)."""
    svc = _pool_services(clean, sandbox, monkeypatch, per_day=1)
    try:
        for tenant in TENANTS:
            _onboard(svc, sandbox, tenant)
        sandbox.seed_domain("umbrella.com")
        sandbox.seed_user("alice@umbrella.com")
        sandbox.seed_user("bob@umbrella.com")
        settings = settings_message(tenant_id="umbrella", domains=["umbrella.com"])
        assert _deliver(svc, settings) is Outcome.ACK
        with pytest.raises(Paced):  # a TransientError: the push endpoint answers 503
            _upsert(svc, "umbrella")
        assert svc.store.get_tenant("umbrella").platform_calendar_id is None  # type: ignore[union-attr]
        assert len(sandbox.requests(method_id="calendar.calendars.insert")) == 3
    finally:
        reset_services()


def test_a_pool_identity_without_its_own_grant_is_a_configuration_error(
    clean: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In oauth mode each identity needs its own grant: the primary's is not borrowed."""
    monkeypatch.setenv("CALSYNC_PLATFORM_POOL", json.dumps([{"subject": SECOND}]))
    reset_services()
    try:
        with pytest.raises(ConfigurationError, match="needs its own OAuth grant"):
            services().platform_gateway(SECOND)
    finally:
        reset_services()


def test_a_pool_that_is_not_a_list_of_subjects_is_a_configuration_error(
    clean: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A malformed CALSYNC_PLATFORM_POOL is named in the error."""
    monkeypatch.setenv("CALSYNC_PLATFORM_POOL", '{"subject": "x"}')
    reset_services()
    try:
        with pytest.raises(ConfigurationError, match="CALSYNC_PLATFORM_POOL"):
            _ = services().platform_gateway.pool
    finally:
        reset_services()


def test_moving_to_an_identity_outside_the_pool_is_refused(pool: Services, sandbox: Any) -> None:
    """Only an identity calsync has credentials for can take a tenant."""
    _onboard(pool, sandbox, "acme")
    with pytest.raises(ConfigurationError, match="not a platform identity"):
        move_tenant(pool.store, pool.platform_gateway, "acme", "stranger@platform.example")


def _entries(sandbox: Any, email: str) -> list[tuple[str, str]]:
    return sorted((e["event_id"], e["summary"]) for e in calendar(sandbox, email))


def test_moving_a_tenant_keeps_its_events_and_sends_no_invitation(
    pool: Services, sandbox: Any
) -> None:
    """acme moves to the third identity: the calendar is shared with it as owner and recorded
    as its; a later change patches the same events (same ids, one entry per person per part)
    and nobody is invited again."""
    _onboard(pool, sandbox, "acme")
    before = pool.store.get_tenant("acme")
    assert before is not None
    to = next(w for w in pool.platform_gateway.pool if w != before.platform_identity)
    entries = _entries(sandbox, "bob@acme.com")
    invitations = [n for n in sandbox.notifications() if n["kind"] == "invitation"]

    report = move_tenant(pool.store, pool.platform_gateway, "acme", to)

    after = pool.store.get_tenant("acme")
    assert after is not None
    assert (report.moved, after.platform_identity) == (True, to)
    assert after.platform_calendar_id == before.platform_calendar_id
    assert _acl(pool, "acme")[to] == "owner"
    assert _upsert(pool, "acme", version=2, title="Intro to Python, revised") is Outcome.ACK
    moved = _entries(sandbox, "bob@acme.com")
    assert [event_id for event_id, _ in moved] == [event_id for event_id, _ in entries]
    assert all("revised" in summary for _, summary in moved)
    assert [n for n in sandbox.notifications() if n["kind"] == "invitation"] == invitations


def test_moving_a_tenant_back_is_the_same_call(pool: Services, sandbox: Any) -> None:
    """A move and a move back leave the tenant with its first identity and its events."""
    _onboard(pool, sandbox, "acme")
    first = pool.store.get_tenant("acme")
    assert first is not None
    entries = _entries(sandbox, "bob@acme.com")
    other = next(w for w in pool.platform_gateway.pool if w != first.platform_identity)
    move_tenant(pool.store, pool.platform_gateway, "acme", other)
    back = move_tenant(pool.store, pool.platform_gateway, "acme", str(first.platform_identity))
    assert back.moved
    assert pool.store.get_tenant("acme").platform_identity == first.platform_identity  # type: ignore[union-attr]
    assert _upsert(pool, "acme", version=2, title="Intro to Python, again") is Outcome.ACK
    assert [i for i, _ in _entries(sandbox, "bob@acme.com")] == [i for i, _ in entries]


def test_calsync_move_tenant_moves_it_and_says_so(pool: Services, sandbox: Any) -> None:
    """The operator command: the move, reported in words and in JSON."""
    from click.testing import CliRunner

    from calsync_dev.cli import main

    _onboard(pool, sandbox, "acme")
    holder = pool.store.get_tenant("acme").platform_identity  # type: ignore[union-attr]
    to = next(w for w in pool.platform_gateway.pool if w != holder)
    said = CliRunner().invoke(main, ["move-tenant", "--tenant", "acme", "--to", to])
    assert said.exit_code == 0, said.output
    assert f"moved from {holder} to {to}" in said.output
    again = CliRunner().invoke(main, ["move-tenant", "--tenant", "acme", "--to", to, "--json"])
    assert json.loads(again.output)["moved"] is False


def test_calsync_move_tenant_refuses_an_unknown_tenant(pool: Services) -> None:
    """A clear error and a non-zero exit."""
    from click.testing import CliRunner

    from calsync_dev.cli import main

    said = CliRunner().invoke(
        main, ["move-tenant", "--tenant", "nobody", "--to", pool.platform_gateway.pool[1]]
    )
    assert said.exit_code != 0
    assert "no tenant 'nobody'" in said.output


def test_a_burst_of_first_reconciles_creates_one_calendar(pool: Services, sandbox: Any) -> None:
    """Six items of a new tenant reconciled at once: one calendar is created (one counted
    against the budget); the others wait for it, come back, and use it."""
    import threading

    sandbox.seed_domain("acme.com")
    for person in ("alice", "bob"):
        sandbox.seed_user(f"{person}@acme.com")
    assert _deliver(pool, settings_message(domains=["acme.com"])) is Outcome.ACK
    failures: list[BaseException] = []

    def sync(n: int) -> None:
        for _ in range(40):  # what Pub/Sub's redelivery does
            try:
                _upsert(pool, "acme", id=f"evt_{n:03d}", url=f"https://acme.example/e/{n}")
                return
            except Exception as exc:  # TransientError: the calendar is being created
                failures.append(exc)
                threading.Event().wait(0.25)

    threads = [threading.Thread(target=sync, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(sandbox.requests(method_id="calendar.calendars.insert")) == 1
    assert len(calendar(sandbox, "bob@acme.com")) == 12
    assert all("being created" in str(f) or "contended" in str(f) for f in failures), failures


def test_a_pool_identity_whose_grant_google_refuses_is_an_operator_error(
    pool: Services, sandbox: Any
) -> None:
    """Platform identities are not organizers: a refused grant raises ConfigurationError
    (retried, logged for the operator) and nobody is marked as needing to connect (it once
    marked the identity as an organizer whose grant broke)."""
    from calsync.organizers.grants import organizer_grants

    _onboard(pool, sandbox, "acme")
    record = pool.store.get_tenant("acme")
    assert record is not None
    writer = record.platform_writers[0]
    sandbox.revoke_grant(f"local-platform-grant-{writer}")
    sandbox.expire_tokens()
    reset_services()
    svc = services()
    outcomes = []
    for n in range(8):  # items spread over the pool: some are written as that identity
        try:
            outcomes.append(_upsert(svc, "acme", id=f"evt_{n:03d}", url=f"https://a.example/{n}"))
        except ConfigurationError as exc:
            outcomes.append(exc)
    refused = [o for o in outcomes if isinstance(o, ConfigurationError)]
    assert refused
    assert all("renew its grant" in str(o) for o in refused)
    assert organizer_grants(svc.settings).status("acme", writer)["health"] == "not_connected"
