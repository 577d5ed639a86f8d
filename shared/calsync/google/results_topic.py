"""Publish what happened to the platform on the ``calsync-results`` topic.

Each ``Result`` is one message with attributes ``tenant_id``, ``status`` and
``item`` so the platform can filter subscriptions. The publisher client is
created on first use (honours ``PUBSUB_EMULATOR_HOST``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from calsync.contracts import Result
from calsync.errors import TransientError
from calsync.logs import get_logger

if TYPE_CHECKING:
    from google.cloud import pubsub_v1  # type: ignore[attr-defined]

__all__ = ["PubSubResults", "ResultSink"]

_LOG = get_logger(__name__)
_PUBLISH_TIMEOUT_SECONDS = 30


class ResultSink(Protocol):
    """Where results go."""

    def publish(self, results: Sequence[Result]) -> None:
        """Deliver every result or raise ``TransientError``."""


class PubSubResults:
    """Results to a Pub/Sub topic."""

    def __init__(self, project: str, topic: str) -> None:
        self._topic_path = f"projects/{project}/topics/{topic}"
        self._client: pubsub_v1.PublisherClient | None = None

    def _publisher(self) -> pubsub_v1.PublisherClient:
        if self._client is None:
            from google.cloud import pubsub_v1  # type: ignore[attr-defined]

            self._client = pubsub_v1.PublisherClient()
        return self._client

    def publish(self, results: Sequence[Result]) -> None:
        """Publish and wait: a result not confirmed by Pub/Sub is a transient failure."""
        if not results:
            return
        publisher = self._publisher()
        futures = [
            publisher.publish(
                self._topic_path,
                result.to_json(),
                tenant_id=result.tenant_id,
                status=result.status.value,
                item=result.item.key if result.item else "",
            )
            for result in results
        ]
        try:
            for future in futures:
                future.result(timeout=_PUBLISH_TIMEOUT_SECONDS)
        except Exception as exc:
            raise TransientError(f"publishing results to {self._topic_path} failed: {exc}") from exc
        for result in results:
            _LOG.info(
                "result published",
                extra={"fields": result.model_dump(mode="json", exclude_none=True)},
            )
