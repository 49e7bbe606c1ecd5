from __future__ import annotations

from datetime import date

import pytest

from bot.dialogue.engine import Engine
from bot.resources import Resources

TODAY = date(2026, 11, 26)


@pytest.fixture(scope="session")
def engine(resources: Resources) -> Engine:
    return Engine(resources.flows, resources)
