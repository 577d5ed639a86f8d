"""POSTs the queued push notifications to their channels' addresses, in the background.

    deliverer = PushDeliverer(world)
    deliverer.start()        # one thread: API requests only queue (World.put_event), never wait
    world.push.wait_drained(timeout=5.0)     # control ``push/drain``: tests wait, never sleep
    deliverer.stop()

Google's side of the exchange (guide "Push notifications", facts §8.2): a ``POST`` with no body
and the ``X-Goog-*`` headers (built in :mod:`calsync_sandbox.state.push_channels`). An answer of
200, 201, 202, 204 or 102 is a success; 500, 502, 503 or 504 (and, here, no answer at all) is
retried with exponential backoff; any other answer is a failed delivery that is not retried and
does not stop the channel. Google does not say how often it retries: the sandbox tries
``max_attempts`` times (default 5, backoff 0.05 s doubling up to 1 s, real time) and then
drops the message. Messages go one at a time in queue order, so a channel's ``sync`` message
goes before its ``exists`` messages. A channel stopped or expired (sandbox clock) before its
message went drops it. While ``push_requires_https`` is on, https addresses must present a
certificate the machine trusts (Google: "a valid SSL certificate").
"""

from __future__ import annotations

import logging
import threading
import time

import requests

from ..state.push_channels import Delivery
from ..state.world import World

__all__ = ["RETRIED_STATUSES", "SUCCESS_STATUSES", "PushDeliverer"]

_LOGGER = logging.getLogger(__name__)

SUCCESS_STATUSES = (200, 201, 202, 204, 102)
RETRIED_STATUSES = (500, 502, 503, 504)


class PushDeliverer:
    """One background thread delivering ``world.push``'s queue."""

    def __init__(
        self,
        world: World,
        *,
        tick: float = 0.05,
        timeout: float = 10.0,
        max_attempts: int = 5,
        min_backoff: float = 0.05,
        max_backoff: float = 1.0,
    ) -> None:
        self.world = world
        self.tick = tick
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.min_backoff = min_backoff
        self.max_backoff = max_backoff
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._session = requests.Session()

    def start(self) -> None:
        """Start the background thread."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="sandbox-push", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread (an attempt in flight finishes first)."""
        self._stop.set()
        with self.world.push.condition:
            self.world.push.condition.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout + 5)
        self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            delivery = self._claim()
            if delivery is not None:
                self._deliver(delivery)

    def _claim(self) -> Delivery | None:
        """The next due delivery, marked ``delivering``; waits up to one tick for one."""
        push = self.world.push
        with push.condition:
            now = time.monotonic()
            for delivery in push.deliveries:
                if delivery.status in ("pending", "retrying") and delivery.next_attempt <= now:
                    channel = push.channels.get(delivery.channel_id)
                    if channel is None or not channel.live(self.world.clock.time()):
                        delivery.status = "dropped"
                        push.condition.notify_all()
                        continue
                    delivery.status = "delivering"
                    return delivery
            push.condition.wait(self.tick)
        return None

    def _deliver(self, delivery: Delivery) -> None:
        with self.world.lock:
            verify = self.world.strictness.push_requires_https
        status: int | None = None
        error: str | None = None
        try:
            response = self._session.post(
                delivery.address,
                headers={**delivery.headers, "Content-Length": "0"},
                data=b"",
                timeout=self.timeout,
                allow_redirects=False,
                verify=verify,
            )
            status = response.status_code
        except requests.RequestException as exc:
            error = type(exc).__name__
            _LOGGER.info("push %s to %s failed: %s", delivery.seq, delivery.address, exc)
        push = self.world.push
        with push.condition:
            delivery.attempts.append(
                {"time": self.world.clock.time(), "status": status, "error": error}
            )
            if delivery.status != "delivering":
                pass  # the world was reset or the channel stopped meanwhile
            elif status in SUCCESS_STATUSES:
                delivery.status = "delivered"
            elif status is not None and status not in RETRIED_STATUSES:
                delivery.status = "failed"
            elif len(delivery.attempts) >= self.max_attempts:
                delivery.status = "dropped"
            else:
                delivery.status = "retrying"
                backoff = self.min_backoff * 2 ** (len(delivery.attempts) - 1)
                delivery.next_attempt = time.monotonic() + min(backoff, self.max_backoff)
            push.condition.notify_all()
