"""Cloud Tasks queue rate limits: ``max_dispatches_per_second`` and ``max_concurrent_dispatches``
are kept, validated and honoured by the sandbox's dispatcher; ``RunTask`` ignores them."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from google.api_core import exceptions
from google.cloud import tasks_v2
from google.protobuf import field_mask_pb2
from sandbox_helpers import QuietHandler, Receiver
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from calsync_sandbox import SandboxControl

PARENT = "projects/demo/locations/us-central1"
QUEUE = f"{PARENT}/queues/paced"


def _paced_queue(
    client: tasks_v2.CloudTasksClient, per_second: float, concurrent: int = 1000
) -> tasks_v2.Queue:
    return client.create_queue(
        parent=PARENT,
        queue={
            "name": QUEUE,
            "rate_limits": {
                "max_dispatches_per_second": per_second,
                "max_concurrent_dispatches": concurrent,
            },
        },
    )


def _add_tasks(client: tasks_v2.CloudTasksClient, url: str, count: int) -> None:
    for n in range(count):
        client.create_task(
            parent=QUEUE, task={"name": f"{QUEUE}/tasks/t{n}", "http_request": {"url": url}}
        )


@dataclass
class SlowTarget:
    """A task target that takes ``seconds`` to answer and counts requests in flight."""

    url: str = ""
    seconds: float = 0.4
    in_flight: int = 0
    most_in_flight: int = 0
    done: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def slow_target() -> Iterator[SlowTarget]:
    """A target that answers after 0.4 s."""
    target = SlowTarget()

    @Request.application
    def app(request: Request) -> Response:
        with target.lock:
            target.in_flight += 1
            target.most_in_flight = max(target.most_in_flight, target.in_flight)
        time.sleep(target.seconds)
        with target.lock:
            target.in_flight -= 1
            target.done += 1
        return Response("ok")

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    target.url = f"http://127.0.0.1:{server.port}/work"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield target
    server.shutdown()
    server.server_close()


def test_a_queue_keeps_its_rate_limits(tasks_client: tasks_v2.CloudTasksClient) -> None:
    """The limits given at creation are read back; the burst is picked from the rate."""
    _paced_queue(tasks_client, per_second=2, concurrent=3)
    limits = tasks_client.get_queue(name=QUEUE).rate_limits
    assert limits.max_dispatches_per_second == 2
    assert limits.max_concurrent_dispatches == 3
    assert limits.max_burst_size == 1


def test_rate_limits_beyond_cloud_tasks_maxima_are_invalid(
    tasks_client: tasks_v2.CloudTasksClient,
) -> None:
    """More than 500 dispatches per second, or 5,000 concurrent ones, is 400 INVALID_ARGUMENT."""
    with pytest.raises(exceptions.BadRequest):
        _paced_queue(tasks_client, per_second=501)
    with pytest.raises(exceptions.BadRequest):
        _paced_queue(tasks_client, per_second=5, concurrent=5001)


def test_a_paced_queue_dispatches_no_faster_than_its_rate(
    tasks_client: tasks_v2.CloudTasksClient, receiver: Receiver
) -> None:
    """Ten tasks due at once on a 5-per-second queue (a burst of 1) take at least 1.8 s."""
    _paced_queue(tasks_client, per_second=5)
    started = time.monotonic()
    _add_tasks(tasks_client, receiver.url, 10)
    assert len(receiver.wait_for(10, timeout=15)) == 10
    assert time.monotonic() - started >= 1.6


def test_a_queue_never_has_more_attempts_in_flight_than_allowed(
    tasks_client: tasks_v2.CloudTasksClient, slow_target: SlowTarget
) -> None:
    """max_concurrent_dispatches=2: never a third attempt while two are running."""
    _paced_queue(tasks_client, per_second=500, concurrent=2)
    _add_tasks(tasks_client, slow_target.url, 6)
    deadline = time.monotonic() + 15
    while slow_target.done < 6 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert slow_target.done == 6
    assert slow_target.most_in_flight == 2


def test_patching_the_rate_limits_changes_the_pace(
    tasks_client: tasks_v2.CloudTasksClient, receiver: Receiver
) -> None:
    """queues.patch with an update mask on rateLimits takes effect for waiting tasks."""
    _paced_queue(tasks_client, per_second=0.2)
    queue = tasks_client.update_queue(
        queue={"name": QUEUE, "rate_limits": {"max_dispatches_per_second": 500}},
        update_mask=field_mask_pb2.FieldMask(paths=["rate_limits.max_dispatches_per_second"]),
    )
    assert queue.rate_limits.max_dispatches_per_second == 500
    _add_tasks(tasks_client, receiver.url, 5)
    assert len(receiver.wait_for(5, timeout=5)) == 5


def test_run_tasks_ignores_the_rate_limits_as_run_task_does(
    tasks_client: tasks_v2.CloudTasksClient, receiver: Receiver, ctl: SandboxControl
) -> None:
    """Google's RunTask dispatches even when the queue is at its rate limits."""
    _paced_queue(tasks_client, per_second=0.1)
    _add_tasks(tasks_client, receiver.url, 4)
    ctl.run_tasks(include_future=True)
    # the dispatcher's loop may have sent the first one (its burst of 1) just before
    assert len(receiver.wait_for(4, timeout=2)) == 4
