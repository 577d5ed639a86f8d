"""The pacing schedule's arithmetic (a generic cell rate algorithm), without Firestore."""

from __future__ import annotations

from calsync.state.pacing import reserve


def test_an_idle_schedule_gives_the_first_slot_now() -> None:
    """Nothing booked: the first slot is now, the next a whole interval later."""
    booked = reserve(tat=0.0, now=100.0, count=3, interval=0.5)
    assert booked.slots == (100.0, 100.5, 101.0)
    assert booked.tat == 101.5


def test_a_busy_schedule_gives_slots_after_those_already_booked() -> None:
    """Slots booked by others up to 105: the next caller's slots start there."""
    booked = reserve(tat=105.0, now=100.0, count=2, interval=1.0)
    assert booked.slots == (105.0, 106.0)


def test_a_burst_goes_ahead_of_the_pace_then_the_pace_holds() -> None:
    """A burst of 3 lets four calls go at once; the fifth waits for the pace."""
    booked = reserve(tat=0.0, now=10.0, count=5, interval=1.0, burst=3)
    assert booked.slots == (10.0, 10.0, 10.0, 10.0, 11.0)


def test_no_window_holds_more_than_burst_and_pace_allow() -> None:
    """Booked one at a time over two minutes at 60 a minute with a burst of 10: no 60 s window
    holds more than 10 + 1 + 60 calls."""
    tat, slots = 0.0, []
    for n in range(400):
        booked = reserve(tat, now=n * 0.3, count=1, interval=1.0, burst=10)
        tat = booked.tat
        slots += booked.slots
    for start in slots:
        assert sum(1 for s in slots if start <= s < start + 60) <= 71
