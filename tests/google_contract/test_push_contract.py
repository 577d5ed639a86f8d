"""Google conformance: push channels (events.watch, channels.stop), notifications, and
incremental sync (syncToken, 410 fullSyncRequired).

Live, watch tests use an https address nobody listens on (Google accepts the channel; its
notifications fail) and stop every channel they open; tests that need to receive notifications,
move the clock or edit as a person are ``sandbox_only``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from google.oauth2 import credentials as user_credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from calsync_sandbox import SandboxControl
from tests.google_contract.helpers import error_reason, slot
from tests.google_contract.target import CALENDAR_SCOPE, GoogleTarget
from tests.push_receiver import PushReceiver, push_receiver_server

NOWHERE = "https://calsync-contract.example.com/notifications"


def _channel_id() -> str:
    return "calsync-contract-" + secrets.token_hex(8)


def _watch(google: GoogleTarget, address: str = NOWHERE, **extra: Any) -> dict[str, Any]:
    body = {"id": _channel_id(), "type": "web_hook", "address": address, **extra}
    channel: dict[str, Any] = (
        google.calendar(google.organizer).events().watch(calendarId="primary", body=body).execute()
    )
    return channel


def _stop(google: GoogleTarget, channel: dict[str, Any]) -> None:
    body = {"id": channel["id"], "resourceId": channel["resourceId"]}
    google.calendar(google.organizer).channels().stop(body=body).execute()


@pytest.fixture
def receiver(ctl: SandboxControl) -> Iterator[PushReceiver]:
    """A local http webhook; the sandbox accepts http addresses for the test."""
    ctl.strictness(push_requires_https=False)
    with push_receiver_server() as listening:
        yield listening


def test_watch_answers_an_api_channel(google: GoogleTarget) -> None:
    """events.watch answers kind api#channel with the channel id, an opaque resourceId, the
    events collection's resourceUri, the token and an expiration in milliseconds."""
    channel = _watch(google, token="contract-token", params={"ttl": "3600"})
    try:
        assert channel["kind"] == "api#channel"
        assert channel["resourceId"]
        assert channel["resourceUri"].endswith("/events") or "/events?" in channel["resourceUri"]
        assert channel["token"] == "contract-token"
        assert int(channel["expiration"]) > 10**12
    finally:
        _stop(google, channel)


def test_an_http_push_address_is_refused(google: GoogleTarget) -> None:
    """A webhook address that is not https is 400 push.webhookUrlNotHttps."""
    with pytest.raises(HttpError) as caught:
        _watch(google, address="http://calsync-contract.example.com/notifications")
    assert caught.value.status_code == 400
    assert error_reason(caught.value) == "push.webhookUrlNotHttps"


def test_a_channel_id_cannot_be_used_twice(google: GoogleTarget) -> None:
    """A second watch with a channel id in use is 400 channelIdNotUnique; so is reusing the id
    of a stopped channel (strict)."""
    channel = _watch(google)
    again = {"id": channel["id"], "type": "web_hook", "address": NOWHERE}
    events = google.calendar(google.organizer).events()
    try:
        with pytest.raises(HttpError) as caught:
            events.watch(calendarId="primary", body=again).execute()
        assert caught.value.status_code == 400
        assert error_reason(caught.value) == "channelIdNotUnique"
    finally:
        _stop(google, channel)
    with pytest.raises(HttpError) as after_stop:
        events.watch(calendarId="primary", body=again).execute()
    assert error_reason(after_stop.value) == "channelIdNotUnique"


@pytest.mark.sandbox_only
def test_only_the_creator_can_stop_a_channel(google: GoogleTarget, ctl: SandboxControl) -> None:
    """channels.stop with another user's credentials, or the same user's through another OAuth
    client, is 404 and the channel keeps running; the creator's stops it (strict reading of
    "only the same user from the same OAuth client").

    By hand: open a channel with one user's OAuth token, call channels.stop with another user's
    token of the same client, then with the creator's; only the last answers 204."""
    assert google.base_url is not None

    def as_user(email: str, client: dict[str, str]) -> Any:
        refresh = ctl.create_grant(email, client["client_id"], [CALENDAR_SCOPE])
        creds = user_credentials.Credentials(
            None,
            refresh_token=refresh,
            token_uri=f"{google.base_url}/token",
            client_id=client["client_id"],
            client_secret=client["client_secret"],
        )
        return build(
            "calendar",
            "v3",
            credentials=creds,
            client_options={"api_endpoint": f"{google.base_url}/calendar/v3/"},
            static_discovery=True,
        )

    client, other_client = ctl.create_oauth_client(), ctl.create_oauth_client()
    creator = as_user(google.organizer, client)
    body = {"id": _channel_id(), "type": "web_hook", "address": NOWHERE}
    channel = creator.events().watch(calendarId="primary", body=body).execute()
    stop = {"id": channel["id"], "resourceId": channel["resourceId"]}
    for stranger in (as_user(google.guest, client), as_user(google.organizer, other_client)):
        with pytest.raises(HttpError) as caught:
            stranger.channels().stop(body=stop).execute()
        assert caught.value.status_code == 404
    assert creator.channels().stop(body=stop).execute() == ""


@pytest.mark.sandbox_only
def test_notifications_start_with_sync_then_say_exists(
    google: GoogleTarget, ctl: SandboxControl, receiver: PushReceiver
) -> None:
    """The first POST is X-Goog-Resource-State sync with message number 1; each change of the
    calendar's events then POSTs exists with a larger number, the channel id and token.

    By hand: open a channel to a request bin with an https address, insert an event, and read the
    two requests' headers."""
    channel = _watch(google, address=receiver.url, token="contract-token")
    google.insert(slot())
    ctl.drain_push()
    sync, change = receiver.received
    assert (sync["X-Goog-Resource-State"], sync["X-Goog-Message-Number"]) == ("sync", "1")
    assert change["X-Goog-Resource-State"] == "exists"
    assert int(change["X-Goog-Message-Number"]) > 1
    assert change["X-Goog-Channel-ID"] == channel["id"]
    assert change["X-Goog-Channel-Token"] == "contract-token"
    assert change["X-Goog-Resource-ID"] == channel["resourceId"]


@pytest.mark.sandbox_only
def test_an_expired_channel_stops_notifying(
    google: GoogleTarget, ctl: SandboxControl, receiver: PushReceiver
) -> None:
    """Once its expiration has passed a channel sends nothing more (channels are not renewed).

    By hand: open a channel with params.ttl of a few minutes, wait past it, change an event and
    see that the request bin gets nothing."""
    _watch(google, address=receiver.url, params={"ttl": "60"})
    ctl.drain_push()  # the sync message goes out at once, before the channel expires (under
    # load the deliverer had not claimed it when the clock moved, and dropped it as expired)
    ctl.advance_clock(61)
    google.insert(slot())
    ctl.drain_push()
    assert receiver.states() == ["sync"]


def test_a_sync_token_lists_changes_including_deletions(google: GoogleTarget) -> None:
    """nextSyncToken comes on the last page; a list with it returns later changes, a deleted
    event as status cancelled, and a new token."""
    cal = google.calendar(google.organizer).events()
    token = None
    page_token = None
    while token is None:
        page = cal.list(calendarId="primary", maxResults=50, pageToken=page_token).execute()
        page_token = page.get("nextPageToken")
        assert (page_token is None) == ("nextSyncToken" in page)
        token = page.get("nextSyncToken")
    event = google.insert(slot())
    cal.delete(calendarId="primary", eventId=event["id"]).execute()
    changes = cal.list(calendarId="primary", syncToken=token).execute()
    mine = [e for e in changes["items"] if e["id"] == event["id"]]
    assert [e["status"] for e in mine] == ["cancelled"]
    assert changes.get("nextSyncToken") or changes.get("nextPageToken")


@pytest.mark.sandbox_only
def test_an_old_sync_token_is_410_full_sync_required(
    google: GoogleTarget, ctl: SandboxControl
) -> None:
    """A sync token past its lifetime (strict guess: a week) is 410 fullSyncRequired.

    By hand: keep a sync token of a test calendar unused for longer than a week (Google gives no
    figure), then list with it."""
    cal = google.calendar(google.organizer).events()
    token = cal.list(calendarId="primary").execute()["nextSyncToken"]
    ctl.advance_clock(604801)
    with pytest.raises(HttpError) as caught:
        cal.list(calendarId="primary", syncToken=token).execute()
    assert caught.value.status_code == 410
    assert error_reason(caught.value) == "fullSyncRequired"


@pytest.mark.sandbox_only
def test_a_person_editing_in_google_changes_the_event_and_notifies(
    google: GoogleTarget, ctl: SandboxControl, receiver: PushReceiver
) -> None:
    """A move made in Google Calendar's UI is an ordinary change: new etag and sequence, and an
    exists notification to the calendar's channels.

    By hand: open a channel on a test calendar, drag one of its events in Google Calendar, read
    the event and the request bin."""
    event = google.insert(slot())
    _watch(google, address=receiver.url)
    moved = slot(day=4)
    ctl.edit_move(google.organizer, event["id"], moved["start"], moved["end"])
    after = google.calendar(google.organizer).events().get(
        calendarId="primary", eventId=event["id"]
    ).execute()  # fmt: skip
    assert after["etag"] != event["etag"]
    assert after["sequence"] == event["sequence"] + 1
    ctl.drain_push()
    assert receiver.states() == ["sync", "exists"]
