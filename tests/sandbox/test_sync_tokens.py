"""Incremental sync on events.list: where nextSyncToken appears, what a token returns, and
when it is 410 fullSyncRequired (another calendar's, after a reset, too old)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import google.oauth2.credentials
import pytest
from googleapiclient.errors import HttpError
from sandbox_helpers import build_calendar, error_reason, timed_event

from calsync_sandbox import SandboxControl


@pytest.fixture
def alice(calendar_for: Callable[..., Any]) -> Any:
    """Alice's Calendar service."""
    return calendar_for("alice@acme.com")


def _insert(cal: Any, event_id: str) -> dict[str, Any]:
    result: dict[str, Any] = (
        cal.events().insert(calendarId="primary", body=timed_event(id=event_id)).execute()
    )
    return result


def _all_pages(cal: Any, **params: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(items of every page, the pages), following nextPageToken."""
    items: list[dict[str, Any]] = []
    pages: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = cal.events().list(calendarId="primary", pageToken=token, **params).execute()
        pages.append(page)
        items += page["items"]
        token = page.get("nextPageToken")
        if not token:
            return items, pages


def _gone(call: Any) -> tuple[int, str]:
    with pytest.raises(HttpError) as caught:
        call.execute()
    return caught.value.status_code, error_reason(caught.value)


def test_the_sync_token_comes_only_on_the_last_page(alice: Any) -> None:
    """Every page but the last has nextPageToken only; the last has nextSyncToken only."""
    for n in range(3):
        _insert(alice, f"evtpage{n}0")
    items, pages = _all_pages(alice, maxResults=2)
    assert len(items) == 3
    assert len(pages) == 2
    assert "nextPageToken" in pages[0]
    assert "nextSyncToken" not in pages[0]
    assert "nextSyncToken" in pages[-1]
    assert "nextPageToken" not in pages[-1]


def test_incremental_results_page_too_and_chain_tokens(alice: Any, ctl: SandboxControl) -> None:
    """Changes since a token come in pages, the last with a new token that sees only later
    changes (a person's deletion as a cancelled tombstone)."""
    _insert(alice, "evtsnc01")
    first = alice.events().list(calendarId="primary").execute()["nextSyncToken"]
    for n in range(3):
        _insert(alice, f"evtsnc1{n}")
    changed, pages = _all_pages(alice, syncToken=first, maxResults=2)
    assert sorted(e["id"] for e in changed) == ["evtsnc10", "evtsnc11", "evtsnc12"]
    second = pages[-1]["nextSyncToken"]
    ctl.edit_delete("alice@acme.com", "evtsnc01")
    later = alice.events().list(calendarId="primary", syncToken=second).execute()
    assert [(e["id"], e["status"]) for e in later["items"]] == [("evtsnc01", "cancelled")]
    quiet = alice.events().list(calendarId="primary", syncToken=later["nextSyncToken"]).execute()
    assert quiet["items"] == []


def test_a_token_dies_with_a_reset(alice: Any, ctl: SandboxControl, base_url: str) -> None:
    """After a reset (a new world) every earlier token is 410 fullSyncRequired."""
    token = alice.events().list(calendarId="primary").execute()["nextSyncToken"]
    ctl.reset()
    ctl.seed_domain("acme.com")
    ctl.seed_user("alice@acme.com")
    access = ctl.mint_token("alice@acme.com")["access_token"]
    again = build_calendar(base_url, google.oauth2.credentials.Credentials(access))
    assert _gone(again.events().list(calendarId="primary", syncToken=token)) == (
        410,
        "fullSyncRequired",
    )


def test_a_token_older_than_the_limit_is_410(alice: Any, ctl: SandboxControl) -> None:
    """Past ``sync_token_max_age_seconds`` (default a week, sandbox clock) a token is 410; a
    full list then gives a token that works."""
    assert ctl.strictness_switches()["sync_token_max_age_seconds"] == 604800
    ctl.strictness(sync_token_max_age_seconds=3600)
    token = alice.events().list(calendarId="primary").execute()["nextSyncToken"]
    ctl.advance_clock(1800)
    alice.events().list(calendarId="primary", syncToken=token).execute()
    ctl.advance_clock(1801)
    gone = _gone(alice.events().list(calendarId="primary", syncToken=token))
    assert gone == (410, "fullSyncRequired")
    renewed = alice.events().list(calendarId="primary").execute()["nextSyncToken"]
    assert alice.events().list(calendarId="primary", syncToken=renewed).execute()["items"] == []


def test_another_calendars_token_is_410(alice: Any) -> None:
    """A token belongs to the calendar it was made for."""
    other = alice.calendars().insert(body={"summary": "Other"}).execute()["id"]
    token = alice.events().list(calendarId=other).execute()["nextSyncToken"]
    assert _gone(alice.events().list(calendarId="primary", syncToken=token)) == (
        410,
        "fullSyncRequired",
    )


@pytest.mark.parametrize(
    "extra",
    [{"showDeleted": False}, {"timeMin": "2020-01-01T00:00:00Z"}, {"q": "x"}],
)
def test_a_token_refuses_filters(alice: Any, extra: dict[str, Any]) -> None:
    """Filters Google forbids with syncToken, and showDeleted=false, are 400."""
    token = alice.events().list(calendarId="primary").execute()["nextSyncToken"]
    with pytest.raises(HttpError) as caught:
        alice.events().list(calendarId="primary", syncToken=token, **extra).execute()
    assert caught.value.status_code == 400
