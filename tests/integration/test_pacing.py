"""Per-identity pacing through Firestore: every process calling Google as one identity takes its
slots from one shared schedule, so together they keep that identity's rate (issue 16 item 2).

The pacers run on a shared fake clock (their sleep moves it), so the schedule they book in the
Firestore emulator is exact; the sandbox checks the gateway's side."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from calsync.entrypoints.services import Services
from calsync.errors import Paced
from calsync.google.api_gateway import install_pacer
from calsync.state.pacing import FirestorePacer
from calsync.state.store import firestore_client

PLATFORM = "platform@acme.com"


class FakeClock:
    """Seconds that move only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    """The clock every pacer of a test shares."""
    return FakeClock()


def _pacer(svc: Services, clock: FakeClock, **options: Any) -> FirestorePacer:
    """A pacer as one more function process would have it."""
    settings: dict[str, Any] = {"calls_per_minute": 60.0, "block": 3, "max_wait": 30.0}
    settings.update(options)
    rate = settings.pop("calls_per_minute")
    return FirestorePacer(
        lambda: firestore_client(svc.settings.project),
        rate,
        clock=clock.time,
        sleep=clock.sleep,
        **settings,
    )


def test_two_processes_calling_as_one_identity_keep_its_pace(
    svc: Services, clock: FakeClock
) -> None:
    """60 calls a minute, no burst: 20 calls from two processes are a second apart or more."""
    first, second = _pacer(svc, clock), _pacer(svc, clock)
    times = []
    for n in range(20):
        (first if n % 2 else second).admit(PLATFORM)
        times.append(clock.now)
    times.sort()
    assert times[-1] - times[0] >= 18.0
    for start in times:
        assert sum(1 for t in times if start <= t < start + 10) <= 12  # pace + 1 late slot + 1


def test_a_burst_goes_at_once_then_the_pace_holds(svc: Services, clock: FakeClock) -> None:
    """A burst of 5: six calls without waiting, the seventh a second after the first."""
    pacer = _pacer(svc, clock, burst=5, block=1)
    start = clock.now
    for _ in range(6):
        pacer.admit(PLATFORM)
    assert clock.now == start
    pacer.admit(PLATFORM)
    assert clock.now == pytest.approx(start + 1.0)


def test_a_slot_further_off_than_the_wait_hands_the_work_back(
    svc: Services, clock: FakeClock
) -> None:
    """Another process booked the next 10 s: a call that may wait 2 s raises Paced (transient,
    with the wait), and books nothing, so the schedule is no further out for others."""
    busy = _pacer(svc, clock, block=10)
    busy.admit(PLATFORM)
    hurried = _pacer(svc, clock, block=1, max_wait=2.0)
    with pytest.raises(Paced) as caught:
        hurried.admit(PLATFORM)
    assert caught.value.retry_after == pytest.approx(10.0)
    clock.sleep(10.0)
    hurried.admit(PLATFORM)
    assert clock.now == pytest.approx(1_000_010.0)


def test_identities_are_paced_apart(svc: Services, clock: FakeClock) -> None:
    """Alice's booked calls do not delay Bob's: each identity has its own quota."""
    pacer = _pacer(svc, clock, block=10)
    pacer.admit("alice@acme.com")
    start = clock.now
    _pacer(svc, clock).admit("bob@acme.com")
    assert clock.now == start


def test_slots_left_unused_are_dropped_not_spent_late(svc: Services, clock: FakeClock) -> None:
    """A process that booked 3 slots, used one and idled: its old slots are not spent in a
    bunch later; it books afresh."""
    pacer = _pacer(svc, clock, block=3)
    pacer.admit(PLATFORM)
    clock.sleep(60.0)
    times = []
    for _ in range(3):
        pacer.admit(PLATFORM)
        times.append(clock.now)
    assert times[1] - times[0] >= 1.0
    assert times[2] - times[1] >= 1.0


@pytest.fixture
def install(svc: Services) -> Iterator[Callable[[FirestorePacer], None]]:
    """Installs a pacer into every gateway of this process, as ``services()`` does."""
    yield install_pacer
    install_pacer(None)


def test_every_attempt_of_a_google_call_takes_a_slot(
    acme: str,
    svc: Services,
    sandbox: Any,
    clock: FakeClock,
    install: Callable[[FirestorePacer], None],
) -> None:
    """A call retried after a 503 takes two slots, one a second after the other at 60 a minute
    with no burst: retries count against the quota too."""
    install(_pacer(svc, clock, block=1))
    gateway = svc.platform_gateway()
    sandbox.inject_fault("calendar.events.get", status=503, count=1)
    start = clock.now
    gateway.get_event(gateway.identity, "nosuchevent00000")
    assert len(sandbox.requests(method_id="calendar.events.get")) == 2
    assert clock.now == pytest.approx(start + 1.0)


def test_a_paced_call_is_handed_back_not_retried_in_place(
    acme: str,
    svc: Services,
    sandbox: Any,
    clock: FakeClock,
    install: Callable[[FirestorePacer], None],
) -> None:
    """Paced is a TransientError the gateway lets through at once: the message or task comes
    back later instead of the call looping on its pacer (which would end in a plain
    TransientError after the retry deadline), and Google is not called."""
    gateway = svc.platform_gateway()
    _pacer(svc, clock, block=10).admit(gateway.identity)  # another process booked 10 s
    install(_pacer(svc, clock, block=1, max_wait=2.0))
    with pytest.raises(Paced):
        gateway.get_event(gateway.identity, "nosuchevent00000")
    assert not sandbox.requests(method_id="calendar.events.get")
