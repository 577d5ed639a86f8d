"""The ``on_calendar_change`` function: Google's push notifications of watched calendars.

Google POSTs an empty body with ``X-Goog-*`` headers (facts §8.2) and retries only 5xx, so
every notification is answered at once and nothing here waits for Google:

- the channel is looked up by ``X-Goog-Channel-ID`` and its token (``X-Goog-Channel-Token``)
  compared, in constant time, with the stored hash: a wrong or missing token is 403 (a
  failed delivery that Google does not retry; only a caller who knows the secret gets in);
- a channel calsync never opened, or one that was replaced, stopped or has expired, is
  answered 200 and stopped by a named ``stop_channel`` task (never retried forever);
- ``sync`` (sent as a channel opens, possibly before Google answered the watch) is only
  acknowledged;
- any other state schedules ONE named task per calendar and window
  (``CALSYNC_CALENDAR_CHANGE_SECONDS``): every notification of a burst names the same task
  (Cloud Tasks answers the rest ``ALREADY_EXISTS``), which reads the calendar's changes once.

The window is read from Firestore's clock (the time of the channel read), as for enrollments
(``calsync.entrypoints.enrollment_events``), and the task runs after its window has ended: a
notification is never answered by a read that happened before it.
"""

from __future__ import annotations

import hmac
import json
import math
import re
import time
from typing import Any

from calsync.entrypoints.push import Response, trace_id
from calsync.entrypoints.services import Services
from calsync.errors import ConfigurationError, TransientError
from calsync.google.cloud_tasks import task_name
from calsync.logs import configure, get_logger, log_context
from calsync.sync.channel_calls import token_digest

__all__ = ["WINDOW_MARGIN_SECONDS", "handle"]

_LOG = get_logger(__name__)
_JSON = {"Content-Type": "application/json"}
_CHANNEL_ID = re.compile(r"[A-Za-z0-9\-_+=]{1,64}")
WINDOW_MARGIN_SECONDS = 1.0
"""Extra delay after a window ends (skew between Firestore's and Cloud Tasks' clocks)."""


def _answer(status: int, outcome: str) -> Response:
    return json.dumps({"outcome": outcome}), status, _JSON


def handle(request: Any, services: Services) -> Response:
    """Answer one push notification (see module)."""
    configure(services.settings.project)
    if request.method != "POST":
        return _answer(405, "method_not_allowed")
    headers = request.headers
    channel_id = str(headers.get("X-Goog-Channel-ID", ""))
    state = str(headers.get("X-Goog-Resource-State", ""))
    resource_id = str(headers.get("X-Goog-Resource-ID", ""))
    with log_context(channel_id=channel_id[:64], trace=trace_id(headers)):
        try:
            return _handle(services, channel_id, state, resource_id, headers)
        except (TransientError, ConfigurationError) as exc:
            # Google retries a 503 with backoff: the notification is not lost.
            _LOG.warning(
                "notification not handled; Google retries", extra={"fields": {"error": str(exc)}}
            )
            return _answer(503, "retry")


def _handle(
    services: Services, channel_id: str, state: str, resource_id: str, headers: Any
) -> Response:
    channel, as_of = services.store.channel_as_of(channel_id)
    if channel is None:
        _LOG.warning(
            "notification for an unknown channel; stopping it",
            extra={"fields": {"resource_state": state}},
        )
        _stop_later(services, "", channel_id, resource_id)
        return _answer(200, "unknown_channel")
    token = str(headers.get("X-Goog-Channel-Token", ""))
    if not hmac.compare_digest(token_digest(token), channel.token_sha256):
        _LOG.warning("notification with a wrong channel token refused")
        return _answer(403, "bad_token")
    with log_context(tenant_id=channel.tenant_id):
        if state == "sync":  # may come before the channel is its calendar's current one
            return _answer(200, "sync")
        if not services.channels.current(channel):
            _LOG.info(
                "notification for a channel no longer in use; stopping it",
                extra={"fields": {"channel_state": channel.state}},
            )
            _stop_later(services, channel.tenant_id, channel.id, channel.resource_id)
            return _answer(200, "stale_channel")
        window = services.settings.calendar_change_seconds
        index = math.floor(as_of.timestamp() / window) if window > 0 else 0
        run_at = (index + 1) * window + WINDOW_MARGIN_SECONDS if window > 0 else time.time()
        services.tasks.schedule(
            task_name("calendar_changed", channel.tenant_id, channel.calendar_id, str(index)),
            {
                "action": "calendar_changed",
                "tenant_id": channel.tenant_id,
                "calendar": channel.calendar_id,
            },
            max(0.0, run_at - time.time()),
        )
        return _answer(200, "scheduled")


def _stop_later(services: Services, tenant_id: str, channel_id: str, resource_id: str) -> None:
    """One named task per channel stops it (``ChannelKeeper.stop_stale``)."""
    if not _CHANNEL_ID.fullmatch(channel_id) or len(resource_id) > 256:
        return  # not an id calsync could have given a channel: nothing to stop
    services.tasks.schedule(
        task_name("stop_channel", channel_id),
        {
            "action": "stop_channel",
            "tenant_id": tenant_id or "unknown",  # any valid id: the task finds the channel itself
            "channel": channel_id,
            "resource_id": resource_id,
        },
        0,
    )
