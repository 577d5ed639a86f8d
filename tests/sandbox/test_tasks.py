"""Cloud Tasks over REST: queues, name de-duplication, delayed dispatch and retries."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from google.api_core import exceptions
from google.cloud import tasks_v2
from google.protobuf import timestamp_pb2
from sandbox_helpers import Receiver

from calsync_sandbox import SandboxControl

PARENT = "projects/demo/locations/us-central1"
QUEUE = f"{PARENT}/queues/reconcile"


@pytest.fixture
def client(tasks_client: tasks_v2.CloudTasksClient) -> tasks_v2.CloudTasksClient:
    """A Cloud Tasks client with the reconcile queue created."""
    tasks_client.create_queue(parent=PARENT, queue={"name": QUEUE})
    return tasks_client


def _task(name: str, url: str, delay: float = 0.0) -> dict[str, object]:
    when = timestamp_pb2.Timestamp()
    when.FromDatetime(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=delay))
    return {
        "name": f"{QUEUE}/tasks/{name}",
        "schedule_time": when,
        "http_request": {
            "http_method": tasks_v2.HttpMethod.POST,
            "url": url,
            "headers": {"Content-Type": "application/json"},
            "body": b'{"item": "evt_123"}',
        },
    }


def test_queue_create_and_get(client: tasks_v2.CloudTasksClient) -> None:
    """A created queue can be read back."""
    queue = client.get_queue(name=QUEUE)
    assert queue.name == QUEUE
    assert queue.state == tasks_v2.Queue.State.RUNNING


def test_task_on_missing_queue_is_404_not_found(tasks_client: tasks_v2.CloudTasksClient) -> None:
    """Creating a task on a queue that does not exist raises NotFound."""
    with pytest.raises(exceptions.NotFound):
        tasks_client.create_task(
            parent=f"{PARENT}/queues/nope", task={"http_request": {"url": "http://x/"}}
        )


def test_duplicate_task_name_is_409_already_exists(
    client: tasks_v2.CloudTasksClient, receiver: Receiver
) -> None:
    """A reused name is 409 ALREADY_EXISTS; over REST api_core raises Conflict."""
    client.create_task(parent=QUEUE, task=_task("t1", receiver.url, delay=60))
    with pytest.raises(exceptions.Conflict) as caught:
        client.create_task(parent=QUEUE, task=_task("t1", receiver.url, delay=60))
    assert caught.value.code == 409
    assert "already exists" in caught.value.message


def test_name_of_a_delivered_task_stays_taken(
    client: tasks_v2.CloudTasksClient, receiver: Receiver
) -> None:
    """After delivery the name is still de-duplicated."""
    client.create_task(parent=QUEUE, task=_task("t1", receiver.url))
    receiver.wait_for(1)
    with pytest.raises(exceptions.Conflict):
        client.create_task(parent=QUEUE, task=_task("t1", receiver.url))


def test_name_of_a_deleted_task_is_free_again_after_the_retention(
    client: tasks_v2.CloudTasksClient, receiver: Receiver, ctl: SandboxControl
) -> None:
    """Cloud Tasks forgets a name about an hour (task_name_retention_seconds, sandbox clock)
    after the task was deleted: before that it is taken, after it a new task may use it."""
    client.create_task(parent=QUEUE, task=_task("t1", receiver.url, delay=600))
    client.delete_task(name=f"{QUEUE}/tasks/t1")
    ctl.advance_clock(3599)
    with pytest.raises(exceptions.Conflict):
        client.create_task(parent=QUEUE, task=_task("t1", receiver.url, delay=600))
    ctl.advance_clock(2)
    created = client.create_task(parent=QUEUE, task=_task("t1", receiver.url, delay=600))
    assert created.name == f"{QUEUE}/tasks/t1"


def test_name_of_a_delivered_task_is_free_again_after_the_retention(
    client: tasks_v2.CloudTasksClient, receiver: Receiver, ctl: SandboxControl
) -> None:
    """The same holds after the task ran: the name is free once the retention has passed."""
    ctl.strictness(task_name_retention_seconds=60)
    client.create_task(parent=QUEUE, task=_task("t1", receiver.url))
    receiver.wait_for(1)
    _wait_until_ended(ctl, "t1")
    ctl.advance_clock(61)
    client.create_task(parent=QUEUE, task=_task("t1", receiver.url))
    receiver.wait_for(2)


def _wait_until_ended(ctl: SandboxControl, name: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if any(t["name"].endswith(f"/{name}") and t["state"] == "succeeded" for t in ctl.tasks()):
            return
        time.sleep(0.02)
    raise AssertionError(f"task {name} did not succeed")


def test_every_nth_delivery_is_duplicated_when_asked(
    client: tasks_v2.CloudTasksClient, receiver: Receiver, ctl: SandboxControl
) -> None:
    """Delivery is at least once: task_duplicate_every=2 delivers every second task twice."""
    ctl.strictness(task_duplicate_every=2)
    client.create_task(parent=QUEUE, task=_task("t1", receiver.url))
    receiver.wait_for(1)
    _wait_until_ended(ctl, "t1")
    client.create_task(parent=QUEUE, task=_task("t2", receiver.url))
    receiver.wait_for(3)
    names = [r["headers"]["X-Cloudtasks-Taskname"] for r in receiver.received]
    assert names == ["t1", "t2", "t2"]


def test_a_task_over_100_kb_is_rejected(
    client: tasks_v2.CloudTasksClient, receiver: Receiver
) -> None:
    """The task size limit (100 KB, the stricter of Google's two figures) is enforced."""
    task = _task("big", receiver.url)
    task["http_request"]["body"] = b"x" * (100 * 1024)  # type: ignore[index]
    with pytest.raises(exceptions.BadRequest, match="size"):
        client.create_task(parent=QUEUE, task=task)


def test_task_is_delivered_at_schedule_time_with_cloud_tasks_headers(
    client: tasks_v2.CloudTasksClient, receiver: Receiver
) -> None:
    """Delivery waits for scheduleTime and carries the X-CloudTasks-* headers and body."""
    client.create_task(parent=QUEUE, task=_task("t1", receiver.url, delay=0.3))
    time.sleep(0.1)
    assert receiver.received == []
    delivered = receiver.wait_for(1)[0]
    headers = delivered["headers"]
    assert delivered["body"] == b'{"item": "evt_123"}'
    assert headers["X-Cloudtasks-Queuename"] == "reconcile"
    assert headers["X-Cloudtasks-Taskname"] == "t1"
    assert headers["X-Cloudtasks-Taskretrycount"] == "0"
    assert headers["X-Cloudtasks-Taskexecutioncount"] == "0"
    assert float(headers["X-Cloudtasks-Tasketa"]) > 0
    assert headers["Content-Type"] == "application/json"


def test_failed_delivery_is_retried_with_backoff(
    client: tasks_v2.CloudTasksClient, receiver: Receiver, ctl: SandboxControl
) -> None:
    """Non-2xx answers are retried; attempts and the last status are recorded."""
    ctl.set_retry_config(min_backoff=0.05, max_backoff=0.1)
    receiver.statuses = [500, 503]
    client.create_task(parent=QUEUE, task=_task("t1", receiver.url))
    deliveries = receiver.wait_for(3)
    assert [d["headers"]["X-Cloudtasks-Taskretrycount"] for d in deliveries] == ["0", "1", "2"]
    time.sleep(0.05)
    record = ctl.tasks()[0]
    assert (record["state"], record["attempts"], record["last_status"]) == ("succeeded", 3, 200)


def test_retries_stop_at_max_attempts(
    client: tasks_v2.CloudTasksClient, receiver: Receiver, ctl: SandboxControl
) -> None:
    """A task that keeps failing gives up after max_attempts."""
    ctl.set_retry_config(max_attempts=2, min_backoff=0.02, max_backoff=0.02)
    receiver.statuses = [500] * 10
    client.create_task(parent=QUEUE, task=_task("t1", receiver.url))
    receiver.wait_for(2)
    time.sleep(0.2)
    assert len(receiver.received) == 2
    assert ctl.tasks()[0]["state"] == "exhausted"


def test_run_tasks_delivers_future_tasks_now(
    client: tasks_v2.CloudTasksClient, receiver: Receiver, ctl: SandboxControl
) -> None:
    """run_tasks(include_future=True) delivers without waiting for scheduleTime."""
    client.create_task(parent=QUEUE, task=_task("t1", receiver.url, delay=3600))
    assert ctl.run_tasks(include_future=True) == [f"{QUEUE}/tasks/t1"]
    assert len(receiver.received) == 1


def test_get_list_and_delete_task(client: tasks_v2.CloudTasksClient, receiver: Receiver) -> None:
    """A scheduled task can be read, listed and deleted (then it is gone)."""
    created = client.create_task(parent=QUEUE, task=_task("t1", receiver.url, delay=3600))
    assert client.get_task(name=created.name).name == created.name
    assert [t.name for t in client.list_tasks(parent=QUEUE)] == [created.name]
    client.delete_task(name=created.name)
    with pytest.raises(exceptions.NotFound):
        client.get_task(name=created.name)


def test_full_view_returns_the_body(client: tasks_v2.CloudTasksClient, receiver: Receiver) -> None:
    """responseView FULL includes the body; BASIC leaves it out."""
    created = client.create_task(parent=QUEUE, task=_task("t1", receiver.url, delay=3600))
    assert created.http_request.body == b""
    full = client.get_task(request={"name": created.name, "response_view": tasks_v2.Task.View.FULL})
    assert full.http_request.body == b'{"item": "evt_123"}'


def test_fault_on_task_create(client: tasks_v2.CloudTasksClient, ctl: SandboxControl) -> None:
    """Faults can target cloudtasks.projects.locations.queues.tasks.create."""
    ctl.inject_fault(
        "cloudtasks.projects.locations.queues.tasks.create",
        status=503,
        reason="backendError",
        count=1,
    )
    with pytest.raises(exceptions.ServiceUnavailable):
        client.create_task(
            parent=QUEUE, task={"http_request": {"url": "http://127.0.0.1:9/"}}, retry=None
        )
