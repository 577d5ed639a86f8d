"""Who receives a suspended person's one Data Transfer (pure; issue 11 k)."""

from __future__ import annotations

from calsync.sweeper.successors import choose_receiver


def test_receiver_is_the_successor_of_most_parts() -> None:
    """The person who looks after most of the suspended person's parts receives them all."""
    assert choose_receiver({"dan@acme.com": 2, "erin@acme.com": 1}, "ops@acme.com") == (
        "dan@acme.com"
    )


def test_receiver_tie_goes_to_the_fallback_then_alphabetically() -> None:
    """Equal counts: the tenant's fallback organizer if among them, else the first address."""
    tie = {"erin@acme.com": 1, "ops@acme.com": 1, "dan@acme.com": 1}
    assert choose_receiver(tie, "ops@acme.com") == "ops@acme.com"
    assert choose_receiver(tie, None) == "dan@acme.com"


def test_no_receiver_when_every_part_goes_to_the_platform() -> None:
    """Data Transfer moves events only between users: no person successor, no transfer."""
    assert choose_receiver({"platform": 3}, None) is None
    assert choose_receiver({"platform": 3, "dan@acme.com": 1}, None) == "dan@acme.com"
