"""The model-based system test: random steps through the whole stack, then three invariants.

CI plays a few fixed seeds with a bounded number of steps (about three minutes in all). A long
exploration with fresh seeds is a separate command (see docs/testing.md):

    CALSYNC_MODEL_SEEDS=random:20 CALSYNC_MODEL_STEPS=100 ./run python -m pytest tests/system -x

A failure prints the seed, the steps played and the command that replays them.
"""

from __future__ import annotations

import os
import random
from typing import Any

import pytest

from calsync_dev.stack import LocalStack
from tests.system.model import Exploration


def _seeds() -> list[int]:
    spec = os.environ.get("CALSYNC_MODEL_SEEDS") or os.environ.get("CALSYNC_MODEL_SEED") or "1,2,3"
    if spec.startswith("random:"):
        return [random.SystemRandom().randrange(1, 2**31) for _ in range(int(spec[7:]))]
    return [int(s) for s in spec.split(",") if s.strip()]


STEPS = int(os.environ.get("CALSYNC_MODEL_STEPS", "24"))


@pytest.mark.timeout(600)
@pytest.mark.parametrize("seed", _seeds())
def test_model_every_sequence_settles_into_the_platforms_state(
    seed: int, clean: LocalStack, sandbox: Any
) -> None:
    """Whatever the order of messages, settings, connections and Google's faults: one entry per
    person per live part, no unmapped event, and a final result for every part."""
    Exploration(clean, sandbox, seed).play(STEPS)
