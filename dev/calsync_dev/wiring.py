"""Pub/Sub topics and subscriptions, wired as in production (DESIGN §1).

Explicit push subscriptions with dead-letter topics point at the functions'
HTTP endpoints; a pull subscription on ``calsync-results`` lets the demo and the
tests read what calsync reported. Works against the emulator (set
``PUBSUB_EMULATOR_HOST`` first) and against real Pub/Sub alike.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

__all__ = [
    "RESULTS_PULL_SUBSCRIPTION",
    "TOPICS",
    "PushRoute",
    "drop_pending_pushes",
    "wire_pubsub",
]

TOPICS = ("platform-events", "platform-enrollments", "calsync-results")
RESULTS_PULL_SUBSCRIPTION = "calsync-results-local"
MAX_DELIVERY_ATTEMPTS = 5
"""Pub/Sub's minimum; after that many failed pushes a message is dead-lettered."""


@dataclass(frozen=True)
class PushRoute:
    """A topic whose messages are pushed to a function."""

    topic: str
    endpoint: str

    @property
    def subscription(self) -> str:
        """The push subscription's name."""
        return f"{self.topic}-push"

    @property
    def dead_letter_topic(self) -> str:
        """Where messages go after ``MAX_DELIVERY_ATTEMPTS`` failed pushes."""
        return f"{self.topic}-dead-letter"


def wire_pubsub(project: str, routes: list[PushRoute]) -> None:
    """Create topics, dead-letter topics and subscriptions (idempotent)."""
    from google.api_core import exceptions
    from google.cloud import pubsub_v1  # type: ignore[attr-defined]
    from google.protobuf import duration_pb2

    publisher = pubsub_v1.PublisherClient()
    subscriber = pubsub_v1.SubscriberClient()
    topics = list(TOPICS) + [route.dead_letter_topic for route in routes]
    for topic in topics:
        with contextlib.suppress(exceptions.AlreadyExists):
            publisher.create_topic(name=publisher.topic_path(project, topic))
    for route in routes:
        subscription = {
            "name": subscriber.subscription_path(project, route.subscription),
            "topic": publisher.topic_path(project, route.topic),
            "push_config": {"push_endpoint": route.endpoint},
            "ack_deadline_seconds": 60,
            "dead_letter_policy": {
                "dead_letter_topic": publisher.topic_path(project, route.dead_letter_topic),
                "max_delivery_attempts": MAX_DELIVERY_ATTEMPTS,
            },
            "retry_policy": {
                "minimum_backoff": duration_pb2.Duration(seconds=1),
                "maximum_backoff": duration_pb2.Duration(seconds=10),
            },
        }
        _create_subscription(subscriber, subscription)
        # keep dead letters readable: a pull subscription on each dead-letter topic, named as
        # terraform/pubsub.tf names it (`calsync dead-letters` finds the holds by that name)
        _create_subscription(
            subscriber,
            {
                "name": subscriber.subscription_path(project, f"{route.dead_letter_topic}-hold"),
                "topic": publisher.topic_path(project, route.dead_letter_topic),
            },
        )
    _create_subscription(
        subscriber,
        {
            "name": subscriber.subscription_path(project, RESULTS_PULL_SUBSCRIPTION),
            "topic": publisher.topic_path(project, "calsync-results"),
        },
    )


def drop_pending_pushes(project: str, routes: list[PushRoute]) -> None:
    """Forget every message the push subscriptions still hold (waiting in a retry backoff):
    delete and re-create them, so a test's late redeliveries cannot reach the next test."""
    from google.api_core import exceptions
    from google.cloud import pubsub_v1  # type: ignore[attr-defined]

    subscriber = pubsub_v1.SubscriberClient()
    for route in routes:
        with contextlib.suppress(exceptions.NotFound):
            subscriber.delete_subscription(
                request={"subscription": subscriber.subscription_path(project, route.subscription)}
            )
    wire_pubsub(project, routes)


def _create_subscription(subscriber: object, request: dict[str, object]) -> None:
    from google.api_core import exceptions

    with contextlib.suppress(exceptions.AlreadyExists):
        subscriber.create_subscription(request=request)  # type: ignore[attr-defined]
