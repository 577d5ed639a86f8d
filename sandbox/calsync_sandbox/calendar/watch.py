"""Calendar v3 push channels: ``events.watch`` and ``channels.stop``.

    POST calendars/{calendarId}/events/watch  {"id", "type": "web_hook", "address", "token",
                                               "expiration", "params": {"ttl": "3600"}}
      -> {"kind": "api#channel", "id", "resourceId", "resourceUri", "token", "expiration"}
    POST channels/stop  {"id", "resourceId"}  -> 204

What Google documents (guide "Push notifications", facts §8.1 and §8.3) and how the sandbox reads
it where Google is silent (stricter reading; ``docs/google-behaviour.md`` names each source):

- ``id`` required, at most 64 characters, unique within the project: a reused id is 400
  ``channelIdNotUnique`` (reported reason), **also once that channel stopped or expired**
  (choice). Characters: ``[A-Za-z0-9-_+/=]`` (choice, the set Google's push guides allow).
- ``type`` ``web_hook`` or ``webhook`` (discovery ``Channel.type``), else 400
  ``push.channelTypeNotSupported`` (choice of reason).
- ``address`` required; it must be an https URL (guide: "HTTPS with a valid SSL certificate"),
  else 400 ``push.webhookUrlNotHttps`` "WebHook callback must be HTTPS: <address>" (the answer
  reported in the field); without a host 400 ``push.webhookUrlNoHostOrAddress``. The strictness
  switch ``push_requires_https`` (on) lets the local stack's http addresses through.
- ``token`` at most 256 characters (guide), else 400 ``invalid``.
- Lifetime: ``params.ttl`` seconds (default 604800 = 7 days, reference pages) and/or
  ``expiration`` (Unix ms); the channel lives until the earliest of them and of
  ``watch_max_ttl_seconds`` (strictness switch, default also 7 days: Google only says its own
  limit wins, and does not document it). An ``expiration`` not in the future, or a ``ttl`` that is
  not a positive whole number, is 400 ``invalid`` (choice). Measured on the sandbox clock.
- The caller must be able to read the calendar (404 otherwise, as for events.list).
- ``resourceId`` is opaque and the same for every channel on one calendar; ``resourceUri`` is the
  events collection URI of the calendar as the request named it.
- A ``sync`` notification is queued as the channel opens (it may arrive before the answer,
  as Google warns).
- ``channels.stop`` needs ``id`` and ``resourceId``; only the identity that opened the channel,
  through the same OAuth client, may stop it (guide); for a channel opened through a service
  account's credentials any identity of that client may. Anything else (unknown id, wrong
  ``resourceId``, someone else, already stopped or expired) is 404 ``notFound`` "Channel '<id>'
  not found for project '<project>'" and the channel keeps running. Pending notifications of a
  stopped channel are dropped.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any
from urllib.parse import quote, urlsplit

from ..errors import ApiError
from ..gateway.calls import Call, Handler, Reply
from ..state.push_channels import WatchChannel
from ..state.world import World
from .calendars import resolve_calendar

__all__ = ["HANDLERS", "resource_id"]

DEFAULT_TTL_SECONDS = 604800
"""``params.ttl`` default ("Default is 604800 seconds", the watch reference pages)."""
MAX_ID_LENGTH = 64
MAX_TOKEN_LENGTH = 256
_CHANNEL_ID = re.compile(r"[A-Za-z0-9\-_+/=]+")
_TYPES = ("web_hook", "webhook")
_RESOURCE_URI = "https://www.googleapis.com/calendar/v3/calendars/{}/events"


def resource_id(calendar_id: str) -> str:
    """The opaque, stable id of a calendar's events collection (``X-Goog-Resource-ID``)."""
    digest = hashlib.sha256(f"events:{calendar_id}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()[:27]


def _invalid(message: str, reason: str = "invalid", location: str | None = None) -> ApiError:
    return ApiError(400, reason, message, location_type=None, location=location)


def _required(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if value is None or value == "":
        raise ApiError(400, "required", f"Required field missing: channel.{name}")
    return str(value)


def _check_id(channel_id: str) -> None:
    if len(channel_id) > MAX_ID_LENGTH:
        raise _invalid(f"Channel id must be at most {MAX_ID_LENGTH} characters.")
    if not _CHANNEL_ID.fullmatch(channel_id):
        raise _invalid(f"Invalid channel id: {channel_id}")


def _check_address(world: World, address: str) -> None:
    parts = urlsplit(address)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _invalid(f"Invalid WebHook address: {address}", "push.webhookUrlNoHostOrAddress")
    if parts.scheme != "https" and world.strictness.push_requires_https:
        raise _invalid(f"WebHook callback must be HTTPS: {address}", "push.webhookUrlNotHttps")


def _expiration(world: World, body: dict[str, Any], now: float) -> float:
    """When the channel stops, in sandbox-clock epoch seconds."""
    limit = now + world.strictness.watch_max_ttl_seconds
    wanted = now + DEFAULT_TTL_SECONDS
    params = body.get("params") or {}
    ttl = params.get("ttl")
    if ttl is not None:
        if not str(ttl).isdigit() or int(str(ttl)) <= 0:
            raise _invalid(f"Invalid value for params.ttl: {ttl}")
        wanted = now + int(str(ttl))
    raw = body.get("expiration")
    if raw is not None:
        if not str(raw).isdigit():
            raise _invalid(f"Invalid value for expiration: {raw}")
        at = int(str(raw)) / 1000
        if at <= now:
            raise _invalid(f"Channel expiration must be in the future: {raw}")
        wanted = at if ttl is None else min(wanted, at)
    return min(wanted, limit)


def _via_service_account(world: World, client_id: str | None) -> bool:
    return client_id is not None and any(
        a.client_id == client_id for a in world.service_accounts.values()
    )


def channel_resource(channel: WatchChannel) -> dict[str, Any]:
    """The ``api#channel`` answer of events.watch (int64 ``expiration`` as a string)."""
    body: dict[str, Any] = {
        "kind": "api#channel",
        "id": channel.id,
        "resourceId": channel.resource_id,
        "resourceUri": channel.resource_uri,
        "expiration": str(int(channel.expiration * 1000)),
    }
    if channel.token is not None:
        body["token"] = channel.token
    return body


def _watch(call: Call) -> Reply:
    world, caller = call.world, call.caller
    named = call.params.required("calendarId")
    calendar = resolve_calendar(world, caller, named, read_only=True)
    body = call.body
    channel_id = _required(body, "id")
    _check_id(channel_id)
    kind = _required(body, "type")
    if kind not in _TYPES:
        raise _invalid(f"Channel type '{kind}' is not supported.", "push.channelTypeNotSupported")
    address = _required(body, "address")
    _check_address(world, address)
    token = body.get("token")
    if token is not None and len(str(token)) > MAX_TOKEN_LENGTH:
        raise _invalid(f"Channel token must be at most {MAX_TOKEN_LENGTH} characters.")
    if channel_id in world.push.channels:
        raise _invalid("Channel id not unique", "channelIdNotUnique")
    now = world.clock.time()
    channel = WatchChannel(
        id=channel_id,
        resource_id=resource_id(calendar.id),
        resource_uri=_RESOURCE_URI.format(quote(named, safe="@")),
        calendar_id=calendar.id,
        address=address,
        token=None if token is None else str(token),
        expiration=_expiration(world, body, now),
        owner=caller.email,
        client_id=caller.client_id,
        service_account=caller.service_account or _via_service_account(world, caller.client_id),
        created=now,
    )
    world.push.channels[channel_id] = channel
    world.push.queue(channel, "sync", now)
    return Reply(200, channel_resource(channel))


def _may_stop(call: Call, channel: WatchChannel) -> bool:
    caller = call.caller
    same_client = caller.client_id == channel.client_id
    if channel.service_account:
        return channel.client_id is not None and same_client
    return caller.email == channel.owner and same_client


def _stop(call: Call) -> Reply:
    world = call.world
    channel_id = _required(call.body, "id")
    resource = _required(call.body, "resourceId")
    channel = world.push.channels.get(channel_id)
    if (
        channel is None
        or not channel.live(world.clock.time())
        or channel.resource_id != resource
        or not _may_stop(call, channel)
    ):
        project = call.caller.client_id or "sandbox"
        raise ApiError(404, "notFound", f"Channel '{channel_id}' not found for project '{project}'")
    channel.stopped = True
    for delivery in world.push.unfinished():
        if delivery.channel_id == channel.id and delivery.status != "delivering":
            delivery.status = "dropped"
    world.push.condition.notify_all()
    return Reply(204)


HANDLERS: dict[str, Handler] = {
    "calendar.events.watch": _watch,
    "calendar.channels.stop": _stop,
}
