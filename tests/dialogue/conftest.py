from __future__ import annotations

from datetime import date

import pytest

from bot.dialogue.engine import Engine
from bot.dialogue.replies import Turn
from bot.dialogue.state import Input
from bot.resources import Resources

TODAY = date(2026, 11, 26)


@pytest.fixture(scope="session")
def engine(resources: Resources) -> Engine:
    return Engine(resources.flows, resources)


def play(engine: Engine, turn: Turn, *inputs: Input) -> Turn:
    """Several turns in a row, from `turn`."""
    for inp in inputs:
        turn = engine.handle(turn.state, inp, TODAY)
    return turn
