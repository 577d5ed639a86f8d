"""Dead letters for ``calsync dead-letters list|replay``.

A message that failed ``max_delivery_attempts`` pushes lands on ``<topic>-dead-letter`` and waits
on its pull subscription ``<topic>-dead-letter-hold`` (``terraform/pubsub.tf``; the local stack
wires the same names). Listing pulls every held message and hands the leases back at once
(ack deadline 0), so nothing is consumed. Replaying publishes each message's data with its
original attributes (Pub/Sub's ``CloudPubSubDeadLetter*`` ones dropped) to the source topic,
waits until Pub/Sub has it, and only then acknowledges it on the hold: a failure in between
replays it twice, which calsync's version checks make harmless, and never loses it::

    letters = dead_letters(project, progress=print)              # look, consume nothing
    replayed = replay_dead_letters(project, topic="platform-events")
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["HOLD_SUFFIX", "DeadLetter", "dead_letters", "replay_dead_letters"]

HOLD_SUFFIX = "-dead-letter-hold"
_PAGE = 100
_DEAD_LETTER_ATTRIBUTE = "CloudPubSubDeadLetter"


@dataclass(frozen=True)
class DeadLetter:
    """One held message."""

    source_topic: str
    subscription: str
    message_id: str
    published_at: str
    delivery_attempts: int | None
    attributes: dict[str, str]
    data: str
    """The payload as text (base64 when it is not UTF-8: ``binary``)."""
    binary: bool = False

    @property
    def summary(self) -> str:
        """type, tenant, item and version of a platform message, when the data says them."""
        try:
            body = json.loads(self.data)
        except ValueError:
            return f"{len(self.data)} characters"
        if not isinstance(body, dict):
            return type(body).__name__
        item = body.get("item") if isinstance(body.get("item"), dict) else {}
        key = f"{item.get('kind')}:{item.get('id')}" if item else body.get("item_key", "")
        parts = [body.get("type"), body.get("tenant_id"), key, body.get("version")]
        return " ".join(str(part) for part in parts if part not in (None, ""))

    def as_json(self) -> dict[str, Any]:
        """JSON-able, with the summary."""
        return {**asdict(self), "summary": self.summary}


def dead_letters(
    project: str,
    topic: str | None = None,
    limit: int = 1000,
    progress: Callable[[str], None] = lambda line: None,
) -> list[DeadLetter]:
    """Up to ``limit`` held messages (of ``topic``'s hold only, if given), consuming none."""
    from google.cloud import pubsub_v1  # type: ignore[attr-defined]

    subscriber = pubsub_v1.SubscriberClient()
    found: list[DeadLetter] = []
    try:
        for path, source in _holds(project, topic):
            held, ack_ids = _pull(subscriber, path, source, limit - len(found), progress)
            found += held
            _release(subscriber, path, ack_ids)
    finally:
        subscriber.close()
    return found


def replay_dead_letters(
    project: str,
    topic: str | None = None,
    limit: int = 1000,
    progress: Callable[[str], None] = lambda line: None,
) -> list[DeadLetter]:
    """Republish up to ``limit`` held messages to their source topics, acknowledging each
    on its hold once Pub/Sub has accepted the copy; returns what was replayed."""
    from google.cloud import pubsub_v1  # type: ignore[attr-defined]

    subscriber = pubsub_v1.SubscriberClient()
    publisher = pubsub_v1.PublisherClient()
    replayed: list[DeadLetter] = []
    try:
        for path, source in _holds(project, topic):
            held, ack_ids = _pull(subscriber, path, source, limit - len(replayed), progress)
            target = publisher.topic_path(project, source)
            for letter, ack_id in zip(held, ack_ids, strict=True):
                attributes = {
                    k: v
                    for k, v in letter.attributes.items()
                    if not k.startswith(_DEAD_LETTER_ATTRIBUTE)
                }
                publisher.publish(target, _payload(letter), **attributes).result(timeout=60)
                subscriber.acknowledge(request={"subscription": path, "ack_ids": [ack_id]})
                replayed.append(letter)
                if len(replayed) % _PAGE == 0:
                    progress(f"replayed {len(replayed)} messages")
    finally:
        subscriber.close()
    return replayed


def _holds(project: str, topic: str | None) -> list[tuple[str, str]]:
    """(subscription path, source topic) of every dead-letter hold in the project."""
    from google.cloud import pubsub_v1  # type: ignore[attr-defined]

    subscriber = pubsub_v1.SubscriberClient()
    try:
        holds = []
        request = {"project": f"projects/{project}"}
        for subscription in subscriber.list_subscriptions(request=request):
            name = subscription.name.rsplit("/", 1)[-1]
            if not name.endswith(HOLD_SUFFIX):
                continue
            source = name.removesuffix(HOLD_SUFFIX)
            if topic is None or source == topic:
                holds.append((subscription.name, source))
    finally:
        subscriber.close()
    return sorted(holds)


def _pull(
    subscriber: Any, path: str, source: str, limit: int, progress: Callable[[str], None]
) -> tuple[list[DeadLetter], list[str]]:
    """Pull up to ``limit`` messages, keeping their leases (so no message comes twice)."""
    from google.api_core import exceptions

    held: list[DeadLetter] = []
    ack_ids: list[str] = []
    name = path.rsplit("/", 1)[-1]
    while len(held) < limit:
        try:
            response = subscriber.pull(
                request={"subscription": path, "max_messages": min(_PAGE, limit - len(held))},
                timeout=2.0,
            )
        except exceptions.DeadlineExceeded:
            break
        if not response.received_messages:
            break
        for received in response.received_messages:
            held.append(_letter(source, name, received))
            ack_ids.append(received.ack_id)
        progress(f"{name}: {len(held)} messages read")
    return held, ack_ids


def _release(subscriber: Any, path: str, ack_ids: list[str]) -> None:
    for start in range(0, len(ack_ids), _PAGE):
        subscriber.modify_ack_deadline(
            request={
                "subscription": path,
                "ack_ids": ack_ids[start : start + _PAGE],
                "ack_deadline_seconds": 0,
            }
        )


def _letter(source: str, subscription: str, received: Any) -> DeadLetter:
    message = received.message
    raw = bytes(message.data)
    binary = False
    try:
        data = raw.decode("utf-8")
    except UnicodeDecodeError:
        data, binary = base64.b64encode(raw).decode("ascii"), True
    attempts = received.delivery_attempt or None
    attributes = dict(message.attributes)
    count = attributes.get(f"{_DEAD_LETTER_ATTRIBUTE}SourceDeliveryCount")
    return DeadLetter(
        source_topic=source,
        subscription=subscription,
        message_id=message.message_id,
        published_at=message.publish_time.isoformat() if message.publish_time else "",
        delivery_attempts=int(count) if count and count.isdigit() else attempts,
        attributes=attributes,
        data=data,
        binary=binary,
    )


def _payload(letter: DeadLetter) -> bytes:
    return base64.b64decode(letter.data) if letter.binary else letter.data.encode("utf-8")
