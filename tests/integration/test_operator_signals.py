"""Operator signals against the Firestore emulator (issue 16, item 6): taking over a lease
whose holder's time ran out is logged once, as terraform/monitoring.tf counts it."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from calsync.entrypoints.services import Services
from calsync.logs import JsonFormatter
from calsync.state.leases import LEASE_TAKEN_OVER

ITEM_KEY = "event:evt_lease"
LogLines = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def log_lines() -> Iterator[LogLines]:
    """Every line calsync logs while the test runs, parsed."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter("calsync-local"))
    logger = logging.getLogger("calsync")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines() if line]
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def takeovers(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in lines if line["message"] == LEASE_TAKEN_OVER]


def test_taking_over_an_item_lease_that_ran_out_is_logged_once(
    svc: Services, log_lines: LogLines
) -> None:
    """A worker that died mid-reconcile leaves its lease to run out; the next one takes it
    and says so (the lease_takeovers metric). Taking a free lease, renewing one's own, or
    being refused a live one logs nothing."""
    store = svc.store
    assert store.acquire_lease("acme", ITEM_KEY, "crashed-worker", -1.0)  # already ran out
    assert not takeovers(log_lines()), "a free lease is no takeover"

    assert store.acquire_lease("acme", ITEM_KEY, "next-worker", 60.0)
    (line,) = takeovers(log_lines())
    assert line["severity"] == "WARNING"
    assert (line["tenant_id"], line["item"], line["lease"]) == ("acme", ITEM_KEY, "reconcile")
    assert line["expired_seconds"] >= 0

    assert store.acquire_lease("acme", ITEM_KEY, "next-worker", 60.0)  # its own, again
    assert not store.acquire_lease("acme", ITEM_KEY, "third-worker", 60.0)  # still held
    store.release_lease("acme", ITEM_KEY, "next-worker")
    assert store.acquire_lease("acme", ITEM_KEY, "fourth-worker", 60.0)  # given back: free
    assert len(takeovers(log_lines())) == 1


def test_taking_over_a_tenant_lease_that_ran_out_names_the_lease(
    svc: Services, log_lines: LogLines
) -> None:
    """A sweep that died leaves the tenant's sweep lease; the next sweep's takeover says so."""
    store = svc.store
    assert store.acquire_tenant_lease("acme", "sweep", "crashed-sweep", -1.0)
    assert store.acquire_tenant_lease("acme", "sweep", "next-sweep", 60.0)
    (line,) = takeovers(log_lines())
    assert (line["tenant_id"], line["lease"]) == ("acme", "sweep")
    assert "item" not in line
