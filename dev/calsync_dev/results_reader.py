"""Read what calsync published on ``calsync-results`` (demo and tests).

Each reader has its own pull subscription, created when the reader is, so it
sees exactly the results published after that moment.
"""

from __future__ import annotations

import json
import time
from typing import Any

__all__ = ["ResultsReader"]


class ResultsReader:
    """A private pull subscription on ``calsync-results``."""

    def __init__(self, project: str, name: str) -> None:
        from google.cloud import pubsub_v1  # type: ignore[attr-defined]

        self._subscriber = pubsub_v1.SubscriberClient()
        self._path = self._subscriber.subscription_path(project, name)
        self._subscriber.create_subscription(
            request={"name": self._path, "topic": f"projects/{project}/topics/calsync-results"}
        )
        self.seen: list[dict[str, Any]] = []

    def drain(self) -> list[dict[str, Any]]:
        """Everything published so far (and not yet returned), acknowledged."""
        from google.api_core import exceptions

        while True:
            try:
                response = self._subscriber.pull(
                    request={"subscription": self._path, "max_messages": 100}, timeout=0.5
                )
            except exceptions.DeadlineExceeded:
                return self.seen
            if not response.received_messages:
                return self.seen
            for received in response.received_messages:
                self.seen.append(json.loads(received.message.data))
            self._subscriber.acknowledge(
                request={
                    "subscription": self._path,
                    "ack_ids": [m.ack_id for m in response.received_messages],
                }
            )

    def wait_for(self, count: int, timeout: float = 20.0, **match: Any) -> list[dict[str, Any]]:
        """Wait until at least ``count`` results match every ``field=value`` in ``match``."""
        deadline = time.monotonic() + timeout
        while True:
            found = [r for r in self.drain() if all(r.get(k) == v for k, v in match.items())]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.2)

    def close(self) -> None:
        """Delete the subscription."""
        self._subscriber.delete_subscription(request={"subscription": self._path})
        self._subscriber.close()
