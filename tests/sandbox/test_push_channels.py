"""events.watch, channels.stop and push notifications, through google-api-python-client.

Notifications go to a local http receiver (``push_receiver``, which turns the sandbox's https
requirement off); ``ctl.drain_push()`` waits until every queued notification went out, so no
test sleeps.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import itertools
from collections.abc import Callable
from typing import Any

import pytest
from googleapiclient.errors import HttpError
from sandbox_helpers import error_reason, timed_event

from calsync_sandbox import SandboxControl, SandboxControlError
from tests.push_receiver import PushReceiver

CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar"
WEEK = 604800


@pytest.fixture
def alice(calendar_for: Callable[..., Any]) -> Any:
    """Alice's Calendar service."""
    return calendar_for("alice@acme.com")


def _watch(cal: Any, address: str, channel_id: str = "chan-1", **extra: Any) -> dict[str, Any]:
    body = {"id": channel_id, "type": "web_hook", "address": address, **extra}
    result: dict[str, Any] = cal.events().watch(calendarId="primary", body=body).execute()
    return result


def _sandbox_now(ctl: SandboxControl) -> float:
    """Epoch seconds on the sandbox clock."""
    return dt.datetime.fromisoformat(ctl.clock()["now"].replace("Z", "+00:00")).timestamp()


def _refused(call: Any) -> tuple[int, str]:
    with pytest.raises(HttpError) as caught:
        call.execute()
    return caught.value.status_code, error_reason(caught.value)


def test_watch_answers_a_channel_and_sends_sync_first(
    alice: Any, ctl: SandboxControl, push_receiver: PushReceiver
) -> None:
    """The answer is Google's api#channel; the first notification is ``sync`` number 1."""
    now = _sandbox_now(ctl)
    channel = _watch(alice, push_receiver.url, token="secret-token", params={"ttl": "3600"})
    assert channel["kind"] == "api#channel"
    assert channel["id"] == "chan-1"
    assert channel["token"] == "secret-token"
    assert channel["resourceUri"].endswith("/calendar/v3/calendars/primary/events")
    assert channel["resourceId"]
    assert abs(int(channel["expiration"]) / 1000 - (now + 3600)) < 60
    ctl.drain_push()
    (sync,) = push_receiver.received
    assert sync["X-Goog-Resource-State"] == "sync"
    assert sync["X-Goog-Message-Number"] == "1"
    assert sync["X-Goog-Channel-ID"] == "chan-1"
    assert sync["X-Goog-Channel-Token"] == "secret-token"
    assert sync["X-Goog-Resource-ID"] == channel["resourceId"]
    assert sync["X-Goog-Resource-URI"] == channel["resourceUri"]
    expires = email.utils.parsedate_to_datetime(sync["X-Goog-Channel-Expiration"])
    assert int(expires.timestamp()) == int(channel["expiration"]) // 1000
    assert sync["User-Agent"].startswith("APIs-Google")
    assert sync["_body"] == ""


def test_every_write_path_notifies_with_increasing_numbers(
    alice: Any, ctl: SandboxControl, push_receiver: PushReceiver
) -> None:
    """API insert/patch/delete, an invitation answer and a person's edit each send ``exists``;
    message numbers increase but are not consecutive."""
    ctl.seed_user("bob@acme.com")
    _watch(alice, push_receiver.url)
    event = (
        alice.events()
        .insert(calendarId="primary", body=timed_event(attendees=[{"email": "bob@acme.com"}]))
        .execute()
    )
    alice.events().patch(calendarId="primary", eventId=event["id"], body={"summary": "B"}).execute()
    ctl.respond("bob@acme.com", "alice@acme.com", event["id"], "accepted")
    ctl.edit_retitle("alice@acme.com", event["id"], "C")
    alice.events().delete(calendarId="primary", eventId=event["id"]).execute()
    ctl.drain_push()
    assert push_receiver.states() == ["sync"] + ["exists"] * 5
    numbers = [int(r["X-Goog-Message-Number"]) for r in push_receiver.received]
    assert numbers == sorted(set(numbers))
    assert any(b - a > 1 for a, b in itertools.pairwise(numbers))


def test_a_guests_channel_hears_about_the_organizers_change(
    calendar_for: Callable[..., Any], ctl: SandboxControl, push_receiver: PushReceiver
) -> None:
    """Bob watches his own calendar; Alice inviting him changes it."""
    alice, bob = calendar_for("alice@acme.com"), calendar_for("bob@acme.com")
    _watch(bob, push_receiver.url, "bobs")
    alice.events().insert(
        calendarId="primary", body=timed_event(attendees=[{"email": "bob@acme.com"}])
    ).execute()
    alice.events().insert(calendarId="primary", body=timed_event("not for bob")).execute()
    ctl.drain_push()
    assert push_receiver.states() == ["sync", "exists"]


def test_the_api_answers_before_the_webhook_does(
    alice: Any, ctl: SandboxControl, push_receiver: PushReceiver
) -> None:
    """Delivery is in the background: a webhook that keeps failing does not slow the write,
    and 5xx answers are retried until one succeeds."""
    _watch(alice, push_receiver.url)
    ctl.drain_push()
    push_receiver.statuses = [503, 500]
    alice.events().insert(calendarId="primary", body=timed_event()).execute()
    log = ctl.drain_push()
    assert log[-1]["status"] == "delivered"
    assert [a["status"] for a in log[-1]["attempts"]] == [503, 500, 200]
    assert push_receiver.states() == ["sync", "exists", "exists", "exists"]


def test_a_4xx_answer_is_a_failed_delivery_and_the_channel_lives_on(
    alice: Any, ctl: SandboxControl, push_receiver: PushReceiver
) -> None:
    """Any status other than success or 500/502/503/504 is not retried; later changes still
    notify."""
    _watch(alice, push_receiver.url)
    ctl.drain_push()
    push_receiver.statuses = [404]
    alice.events().insert(calendarId="primary", body=timed_event()).execute()
    alice.events().insert(calendarId="primary", body=timed_event("again")).execute()
    log = ctl.drain_push()
    assert [d["status"] for d in log] == ["delivered", "failed", "delivered"]


def test_a_channel_stops_notifying_once_it_expires(
    alice: Any, ctl: SandboxControl, push_receiver: PushReceiver
) -> None:
    """Expiry is on the sandbox clock."""
    _watch(alice, push_receiver.url, params={"ttl": "600"})
    ctl.advance_clock(601)
    alice.events().insert(calendarId="primary", body=timed_event()).execute()
    ctl.drain_push()
    assert push_receiver.states() == ["sync"]
    assert ctl.push_channels()[0]["expired"] is True


def test_lifetime_defaults_to_a_week_and_is_capped_there(
    alice: Any, ctl: SandboxControl, push_receiver: PushReceiver
) -> None:
    """No ttl: 604800 s; a longer ttl or expiration is cut to the cap (switch
    ``watch_max_ttl_seconds``)."""
    now = _sandbox_now(ctl)
    month = 30 * 86400
    plain = _watch(alice, push_receiver.url, "plain")
    longer = _watch(alice, push_receiver.url, "longer", params={"ttl": str(month)})
    far = _watch(alice, push_receiver.url, "far", expiration=str(int((now + month) * 1000)))
    for channel in (plain, longer, far):
        assert abs(int(channel["expiration"]) / 1000 - (now + WEEK)) < 60
    ctl.strictness(watch_max_ttl_seconds=month)
    lenient = _watch(alice, push_receiver.url, "lenient", params={"ttl": str(month)})
    assert abs(int(lenient["expiration"]) / 1000 - (now + month)) < 60


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        ({"type": "web_hook", "address": "https://hooks.example.com/x"}, 400, "required"),
        ({"id": "x" * 65, "type": "web_hook", "address": "https://h.example.com/"}, 400, "invalid"),
        ({"id": "a b", "type": "web_hook", "address": "https://h.example.com/"}, 400, "invalid"),
        ({"id": "c", "type": "email", "address": "https://h.example.com/"}, 400,
         "push.channelTypeNotSupported"),
        ({"id": "c", "type": "web_hook"}, 400, "required"),
        ({"id": "c", "type": "web_hook", "address": "http://h.example.com/"}, 400,
         "push.webhookUrlNotHttps"),
        ({"id": "c", "type": "web_hook", "address": "not a url"}, 400,
         "push.webhookUrlNoHostOrAddress"),
        ({"id": "c", "type": "web_hook", "address": "https://h.example.com/", "token": "t" * 257},
         400, "invalid"),
        ({"id": "c", "type": "web_hook", "address": "https://h.example.com/",
          "params": {"ttl": "-5"}}, 400, "invalid"),
        ({"id": "c", "type": "web_hook", "address": "https://h.example.com/",
          "expiration": "1000"}, 400, "invalid"),
    ],
)  # fmt: skip
def test_watch_validates_like_google(
    alice: Any, body: dict[str, Any], status: int, reason: str
) -> None:
    """Missing or bad id/type/address/token/ttl/expiration are 400 with Google's reasons."""
    code, why = _refused(alice.events().watch(calendarId="primary", body=body))
    assert (code, why) == (status, reason)


def test_http_addresses_are_accepted_when_the_switch_is_off(
    alice: Any, ctl: SandboxControl
) -> None:
    """``push_requires_https`` off: the local stack's http webhooks are accepted."""
    body = {"id": "c", "type": "web_hook", "address": "http://127.0.0.1:9/hook"}
    code, why = _refused(alice.events().watch(calendarId="primary", body=body))
    assert (code, why) == (400, "push.webhookUrlNotHttps")
    ctl.strictness(push_requires_https=False)
    assert alice.events().watch(calendarId="primary", body=body).execute()["id"] == "c"


def test_a_channel_id_is_never_reused(alice: Any, ctl: SandboxControl) -> None:
    """Reusing an id is 400 channelIdNotUnique, also after that channel stopped."""
    address = "https://hooks.example.com/calendar"
    channel = _watch(alice, address)
    assert _refused(alice.events().watch(calendarId="primary", body={
        "id": "chan-1", "type": "web_hook", "address": address,
    })) == (400, "channelIdNotUnique")  # fmt: skip
    alice.channels().stop(body={"id": "chan-1", "resourceId": channel["resourceId"]}).execute()
    assert _refused(alice.events().watch(calendarId="primary", body={
        "id": "chan-1", "type": "web_hook", "address": address,
    })) == (400, "channelIdNotUnique")  # fmt: skip


def test_watching_a_calendar_one_cannot_read_is_404(
    alice: Any, calendar_for: Callable[..., Any]
) -> None:
    """Someone else's calendar is not found, as for events.list."""
    calendar_for("bob@acme.com")
    body = {"id": "c", "type": "web_hook", "address": "https://hooks.example.com/"}
    assert _refused(alice.events().watch(calendarId="bob@acme.com", body=body)) == (
        404,
        "notFound",
    )


def test_one_resource_id_per_calendar(alice: Any) -> None:
    """Two channels on one calendar share its resourceId."""
    first = _watch(alice, "https://hooks.example.com/a", "a")
    second = _watch(alice, "https://hooks.example.com/b", "b")
    assert first["resourceId"] == second["resourceId"]


def test_stop_ends_notifications(
    alice: Any, ctl: SandboxControl, push_receiver: PushReceiver
) -> None:
    """channels.stop answers empty; nothing is POSTed afterwards; stopping again is 404."""
    channel = _watch(alice, push_receiver.url)
    ctl.drain_push()
    stop = {"id": "chan-1", "resourceId": channel["resourceId"]}
    assert alice.channels().stop(body=stop).execute() == ""
    alice.events().insert(calendarId="primary", body=timed_event()).execute()
    ctl.drain_push()
    assert push_receiver.states() == ["sync"]
    assert _refused(alice.channels().stop(body=stop)) == (404, "notFound")


def test_stop_needs_the_id_and_the_right_resource_id(alice: Any) -> None:
    """Both fields are required; a wrong resourceId is 404 and the channel lives on."""
    channel = _watch(alice, "https://hooks.example.com/a")
    assert _refused(alice.channels().stop(body={"id": "chan-1"})) == (400, "required")
    wrong = {"id": "chan-1", "resourceId": "nope"}
    assert _refused(alice.channels().stop(body=wrong)) == (404, "notFound")
    right = {"id": "chan-1", "resourceId": channel["resourceId"]}
    assert alice.channels().stop(body=right).execute() == ""


def test_only_the_creating_user_and_client_may_stop_a_channel(
    alice: Any,
    calendar_for: Callable[..., Any],
    base_url: str,
    ctl: SandboxControl,
) -> None:
    """Another user, or the same user through another OAuth client, gets 404 and the channel
    keeps notifying; the creator's credentials stop it."""
    import google.oauth2.credentials
    from sandbox_helpers import build_calendar

    channel = _watch(alice, "https://hooks.example.com/a")
    stop = {"id": "chan-1", "resourceId": channel["resourceId"]}
    bob = calendar_for("bob@acme.com")
    assert _refused(bob.channels().stop(body=stop)) == (404, "notFound")
    other = ctl.create_oauth_client()
    refresh = ctl.create_grant("alice@acme.com", other["client_id"], [CALENDAR_SCOPE])
    alice_elsewhere = build_calendar(
        base_url,
        google.oauth2.credentials.Credentials(
            None,
            refresh_token=refresh,
            token_uri=base_url + "/token",
            client_id=other["client_id"],
            client_secret=other["client_secret"],
        ),
    )
    assert _refused(alice_elsewhere.channels().stop(body=stop)) == (404, "notFound")
    assert ctl.push_channels()[0]["stopped"] is False
    assert alice.channels().stop(body=stop).execute() == ""
    assert ctl.push_channels()[0]["stopped"] is True


def test_a_reset_forgets_channels(alice: Any, ctl: SandboxControl) -> None:
    """After a reset no channel is left."""
    _watch(alice, "https://hooks.example.com/a")
    ctl.reset()
    assert ctl.push_channels() == []
    assert ctl.push_deliveries() == []


def test_drain_times_out_with_504(
    alice: Any, ctl: SandboxControl, push_receiver: PushReceiver
) -> None:
    """A webhook that keeps answering 503 keeps its message pending past a short drain."""
    push_receiver.statuses = [503] * 10
    _watch(alice, push_receiver.url)
    with pytest.raises(SandboxControlError) as caught:
        ctl.drain_push(timeout=0.01)
    assert caught.value.status == 504
    log = ctl.drain_push(timeout=10)
    assert log[0]["status"] == "dropped"
    assert len(log[0]["attempts"]) == 5
