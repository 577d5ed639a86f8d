"""Publish what happened to the platform on the ``calsync-results`` topic.

Each ``Result`` is one message with attributes ``tenant_id``, ``status`` and
``item`` so the platform can filter subscriptions.

Published through Pub/Sub's REST API with google-api-python-client and its bundled discovery
document, the client the Calendar gateway already uses (``api_gateway.ApiGateway``: transient
failures retried with backoff until the deadline). Not google-cloud-pubsub's
``PublisherClient``: importing it and its batching thread cost a cold start more than the rest
of a first reconcile's publishing (bench/README.md, ``cold_start``; docs/decisions.md). One
``topics.publish`` call carries all of a reconcile's results. The client is built on first use,
one per thread (httplib2 is not thread-safe), with application default credentials, or
anonymously against ``PUBSUB_EMULATOR_HOST`` when that is set (as Google's libraries do).
"""

from __future__ import annotations

import base64
import os
import threading
from collections.abc import Sequence
from typing import Any, Protocol

from calsync.contracts import Result
from calsync.errors import TransientError
from calsync.google.api_gateway import ApiGateway
from calsync.logs import get_logger

__all__ = ["PubSubResults", "ResultSink"]

_LOG = get_logger(__name__)
_PUBLISH_TIMEOUT_SECONDS = 30
_MESSAGES_PER_CALL = 1000
"""Pub/Sub's limit on the messages of one publish request (results are far below its 10 MB)."""
PUBSUB_SCOPE = "https://www.googleapis.com/auth/pubsub"


class ResultSink(Protocol):
    """Where results go."""

    def publish(self, results: Sequence[Result]) -> None:
        """Deliver every result or raise ``TransientError``."""


class PubSubResults:
    """Results to a Pub/Sub topic."""

    def __init__(self, project: str, topic: str, http: Any = None) -> None:
        """``http``: an httplib2-style transport to send through (tests); by default one per
        thread, authorized as described in the module."""
        self._topic_path = f"projects/{project}/topics/{topic}"
        self._http = http
        self._local = threading.local()

    def _publisher(self) -> _Publisher:
        publisher: _Publisher | None = getattr(self._local, "publisher", None)
        if publisher is None:
            publisher = self._local.publisher = build_publisher(self._http)
        return publisher

    def publish(self, results: Sequence[Result]) -> None:
        """Publish and wait: a result not confirmed by Pub/Sub is a transient failure."""
        if not results:
            return
        messages = [_message(result) for result in results]
        try:
            publisher = self._publisher()
            for start in range(0, len(messages), _MESSAGES_PER_CALL):
                publisher.publish(self._topic_path, messages[start : start + _MESSAGES_PER_CALL])
        except Exception as exc:
            raise TransientError(f"publishing results to {self._topic_path} failed: {exc}") from exc
        for result in results:
            _LOG.info(
                "result published",
                extra={"fields": result.model_dump(mode="json", exclude_none=True)},
            )


def _message(result: Result) -> dict[str, Any]:
    """A Pub/Sub ``PubsubMessage`` of the REST API: the data base64-encoded, the attributes."""
    return {
        "data": base64.b64encode(result.to_json()).decode("ascii"),
        "attributes": {
            "tenant_id": result.tenant_id,
            "status": result.status.value,
            "item": result.item.key if result.item else "",
        },
    }


class _Publisher(ApiGateway):
    """Pub/Sub's ``projects.topics.publish``, retried as every Google call of calsync."""

    def publish(self, topic: str, messages: list[dict[str, Any]]) -> list[str]:
        """Publish ``messages`` to ``topic``; the ids Pub/Sub gave them."""
        answer: dict[str, Any] = self._call(
            "topics.publish",
            lambda: (
                self._service.projects().topics().publish(topic=topic, body={"messages": messages})
            ),
        )
        return [str(message_id) for message_id in answer.get("messageIds", [])]


def build_publisher(http: Any = None) -> _Publisher:
    """A Pub/Sub client from the bundled discovery document: anonymous against
    ``PUBSUB_EMULATOR_HOST`` when set, else with application default credentials."""
    from googleapiclient.discovery import build

    emulator = os.environ.get("PUBSUB_EMULATOR_HOST")
    if http is None:
        import google_auth_httplib2
        import httplib2

        credentials: Any
        if emulator:
            from google.auth.credentials import AnonymousCredentials

            credentials = AnonymousCredentials()
        else:
            import google.auth

            credentials, _ = google.auth.default(scopes=[PUBSUB_SCOPE])
        http = google_auth_httplib2.AuthorizedHttp(
            credentials, http=httplib2.Http(timeout=_PUBLISH_TIMEOUT_SECONDS)
        )
    service = build(
        "pubsub",
        "v1",
        http=http,
        client_options={"api_endpoint": f"http://{emulator}/"} if emulator else None,
        static_discovery=True,
        cache_discovery=False,
    )
    return _Publisher(service, "", _PUBLISH_TIMEOUT_SECONDS)
