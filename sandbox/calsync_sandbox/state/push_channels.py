"""Push notification channels (``events.watch``) and the notifications waiting to be POSTed.

Plain records and the outbox; :mod:`calsync_sandbox.calendar.watch` creates and stops channels,
:mod:`calsync_sandbox.calendar.push_delivery` POSTs the outbox in the background::

    push = PushState(world.lock)
    push.channels["chan-1"] = WatchChannel(...)
    push.queue(channel, "sync", now=world.clock.time())      # right after the channel opens
    push.changed({"alice@acme.com"}, now=world.clock.time())   # queues ``exists`` messages
    push.wait_drained(timeout=5.0)                           # True once nothing is left to POST

Message numbers (Google's ``X-Goog-Message-Number``): the ``sync`` message is always 1, later
ones increase but are not sequential (``PUSH``, facts §8.2); here they come from one counter
for the whole sandbox that steps by 7, so a client that expects ``n + 1`` finds out.
"""

from __future__ import annotations

import email.utils
import itertools
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Delivery", "PushState", "WatchChannel"]

FINAL_STATES = ("delivered", "failed", "dropped")
"""Deliveries in these states are done; the others are still to be POSTed (or retried)."""


@dataclass
class WatchChannel:
    """One notification channel on one calendar's events, tied to the user who opened it."""

    id: str
    resource_id: str
    resource_uri: str
    calendar_id: str
    address: str
    token: str | None
    expiration: float
    """Epoch seconds on the sandbox clock (Google answers milliseconds)."""
    owner: str
    """Email of the identity that created it (only it may stop it)."""
    client_id: str | None
    """OAuth client (or service account's client id) of the creating token; None for tokens
    minted by the control API."""
    service_account: bool
    """Created through a service account's credentials (any user of that client may stop it)."""
    created: float
    stopped: bool = False
    last_number: int = 0

    def live(self, now: float) -> bool:
        """Not stopped and not expired at ``now`` (sandbox clock)."""
        return not self.stopped and now < self.expiration

    def as_dict(self, now: float) -> dict[str, Any]:
        """JSON-ready description (control API)."""
        return {
            "id": self.id,
            "resource_id": self.resource_id,
            "resource_uri": self.resource_uri,
            "calendar_id": self.calendar_id,
            "address": self.address,
            "token": self.token,
            "expiration": int(self.expiration * 1000),
            "owner": self.owner,
            "stopped": self.stopped,
            "expired": now >= self.expiration,
        }


@dataclass
class Delivery:
    """One notification message for one channel, and what became of it."""

    seq: int
    channel_id: str
    calendar_id: str
    address: str
    state: str
    """``sync`` or ``exists`` (``X-Goog-Resource-State``)."""
    message_number: int
    headers: dict[str, str]
    """What the POST carries (``X-Goog-*``, ``User-Agent: APIs-Google``...)."""
    queued_at: float
    """Sandbox clock."""
    status: str = "pending"
    """``pending``, ``delivering``, ``retrying``, ``delivered``, ``failed`` (an answer that is
    neither a success nor retried) or ``dropped`` (channel stopped or expired before it went,
    or attempts exhausted)."""
    attempts: list[dict[str, Any]] = field(default_factory=list)
    next_attempt: float = 0.0
    """Real monotonic time of the next attempt (retries back off on real time)."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready description (control API)."""
        return {
            "seq": self.seq,
            "channel_id": self.channel_id,
            "calendar_id": self.calendar_id,
            "address": self.address,
            "state": self.state,
            "message_number": self.message_number,
            "headers": dict(self.headers),
            "queued_at": self.queued_at,
            "status": self.status,
            "attempts": list(self.attempts),
        }


class PushState:
    """Every channel ever opened (ids stay taken) and every notification queued."""

    def __init__(self, lock: threading.RLock) -> None:
        self.condition = threading.Condition(lock)
        """Notified whenever a delivery is queued or finishes (waits need ``world.lock``)."""
        self._numbers = itertools.count(start=8, step=7)
        self.channels: dict[str, WatchChannel] = {}
        self.deliveries: list[Delivery] = []

    def clear(self) -> None:
        """Forget every channel and delivery (world reset)."""
        with self.condition:
            self.channels.clear()
            self.deliveries.clear()
            self.condition.notify_all()

    def queue(self, channel: WatchChannel, state: str, now: float) -> None:
        """Queue one ``sync`` or ``exists`` message for ``channel`` (call with the world's lock)."""
        number = 1 if state == "sync" else max(channel.last_number + 1, next(self._numbers))
        channel.last_number = number
        delivery = Delivery(
            seq=len(self.deliveries) + 1,
            channel_id=channel.id,
            calendar_id=channel.calendar_id,
            address=channel.address,
            state=state,
            message_number=number,
            headers=_headers(channel, state, number),
            queued_at=now,
        )
        self.deliveries.append(delivery)
        self.condition.notify_all()

    def changed(self, calendar_ids: Iterable[str], now: float) -> None:
        """The events of these calendars changed: one ``exists`` message per live channel
        watching them (Google sends ``exists`` for creations, changes and deletions, PUSH)."""
        for channel in self.watching(calendar_ids, now):
            self.queue(channel, "exists", now)

    def watching(self, calendar_ids: Iterable[str], now: float) -> list[WatchChannel]:
        """Live channels on any of ``calendar_ids``, in creation order."""
        wanted = set(calendar_ids)
        return [c for c in self.channels.values() if c.calendar_id in wanted and c.live(now)]

    def unfinished(self) -> list[Delivery]:
        """Deliveries not yet delivered, failed or dropped."""
        return [d for d in self.deliveries if d.status not in FINAL_STATES]

    def wait_drained(self, timeout: float) -> bool:
        """Block until every queued delivery is done; False on timeout (takes the lock)."""
        with self.condition:
            return self.condition.wait_for(lambda: not self.unfinished(), timeout)


def _headers(channel: WatchChannel, state: str, number: int) -> dict[str, str]:
    """The headers of a Calendar notification (PUSH, facts §8.2): no body, ``Content-Length:
    0``; channel token and expiration only when defined, the expiration as an RFC 1123 date."""
    headers = {
        "User-Agent": "APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)",
        "Content-Type": "application/json; utf-8",
        "X-Goog-Channel-ID": channel.id,
        "X-Goog-Channel-Expiration": email.utils.formatdate(channel.expiration, usegmt=True),
        "X-Goog-Message-Number": str(number),
        "X-Goog-Resource-ID": channel.resource_id,
        "X-Goog-Resource-State": state,
        "X-Goog-Resource-URI": channel.resource_uri,
    }
    if channel.token is not None:
        headers["X-Goog-Channel-Token"] = channel.token
    return headers
