"""Publish what happened to the platform on the ``calsync-results`` topic.

Each ``Result`` is one message with attributes ``tenant_id``, ``status`` and
``item`` so the platform can filter subscriptions.

Published with Pub/Sub's REST API (``projects.topics.publish``) through google-auth's
``AuthorizedSession``, with google-api-core's typed errors (``from_http_response``) and
``Retry``: the pieces google-cloud-pubsub's own REST transport is made of, all of them already
loaded by the Firestore client. Not google-cloud-pubsub's ``PublisherClient``: importing it
and waiting for its batching thread cost a cold start more than the rest of a first
reconcile's publishing (bench/README.md, ``cold_start``; docs/decisions.md). One call carries
all of a reconcile's results; transient failures (429, 5xx, network) are retried with backoff
for up to 30 s, and any failure is a ``TransientError`` (the message is redelivered). The
session is created on first use, one per thread, with application default credentials, or
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
from calsync.logs import get_logger

__all__ = ["PubSubResults", "ResultSink"]

_LOG = get_logger(__name__)
_PUBLISH_TIMEOUT_SECONDS = 30
"""How long a publish is retried (as long as the old ``PublisherClient`` future was awaited)."""
_HTTP_TIMEOUT_SECONDS = 30
_MESSAGES_PER_CALL = 1000
"""Pub/Sub's limit on the messages of one publish request (results are far below its 10 MB)."""
PUBSUB_SCOPE = "https://www.googleapis.com/auth/pubsub"
PUBSUB_ENDPOINT = "https://pubsub.googleapis.com"


class ResultSink(Protocol):
    """Where results go."""

    def publish(self, results: Sequence[Result]) -> None:
        """Deliver every result or raise ``TransientError``."""


class PubSubResults:
    """Results to a Pub/Sub topic."""

    def __init__(self, project: str, topic: str, session: Any = None) -> None:
        """``session``: a ``requests.Session``-like object to post with (tests); by default
        one per thread, authorized as described in the module."""
        self._topic_path = f"projects/{project}/topics/{topic}"
        emulator = os.environ.get("PUBSUB_EMULATOR_HOST")
        self._url = f"{f'http://{emulator}' if emulator else PUBSUB_ENDPOINT}/v1/{self._topic_path}"
        self._emulated = bool(emulator)
        self._session = session
        self._local = threading.local()

    def _authorized(self) -> Any:
        session = self._session or getattr(self._local, "session", None)
        if session is None:
            from google.auth.transport.requests import AuthorizedSession

            credentials: Any
            if self._emulated:
                from google.auth.credentials import AnonymousCredentials

                credentials = AnonymousCredentials()
            else:
                import google.auth

                credentials, _ = google.auth.default(scopes=[PUBSUB_SCOPE])
            session = self._local.session = AuthorizedSession(credentials)
        return session

    def _post(self, messages: list[dict[str, Any]]) -> None:
        """One ``topics.publish`` call, retried while it fails transiently."""
        import requests
        from google.api_core import exceptions, retry
        from google.auth.exceptions import TransportError

        session = self._authorized()

        def attempt() -> None:
            response = session.post(
                f"{self._url}:publish", json={"messages": messages}, timeout=_HTTP_TIMEOUT_SECONDS
            )
            if response.status_code >= 400:
                raise exceptions.from_http_response(response)

        transient = retry.if_exception_type(
            exceptions.TooManyRequests,
            exceptions.InternalServerError,
            exceptions.BadGateway,
            exceptions.ServiceUnavailable,
            exceptions.GatewayTimeout,
            requests.ConnectionError,
            requests.Timeout,
            requests.exceptions.ChunkedEncodingError,
            TransportError,
        )
        retry.Retry(
            predicate=transient,
            initial=0.2,
            maximum=8.0,
            multiplier=2.0,
            timeout=_PUBLISH_TIMEOUT_SECONDS,
            on_error=lambda exc: _LOG.warning(
                "retrying a results publish after a transient failure",
                extra={"fields": {"topic": self._topic_path, "error": repr(exc)}},
            ),
        )(attempt)()

    def publish(self, results: Sequence[Result]) -> None:
        """Publish and wait: a result not confirmed by Pub/Sub is a transient failure."""
        if not results:
            return
        messages = [_message(result) for result in results]
        try:
            for start in range(0, len(messages), _MESSAGES_PER_CALL):
                self._post(messages[start : start + _MESSAGES_PER_CALL])
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
