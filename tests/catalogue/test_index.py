"""The columns hold what the offer says: read back one offer at a time, they give its values."""

from __future__ import annotations

from pathlib import Path

from bot.catalogue.gazetteer import Gazetteer
from bot.catalogue.index import compact
from bot.catalogue.load import load_catalogue
from tests.conftest import offer, write_catalogue


def test_an_offer_read_from_the_columns_is_the_offer(tmp_path: Path, gazetteer: Gazetteer) -> None:
    write_catalogue(
        tmp_path,
        [
            offer(id="plain"),
            offer(
                id="rich",
                themes=["fle", "numerique"],
                eligibility={"age_min": 18, "age_max": 25, "jobseeker_required": True},
                sessions=[
                    {"start": "2027-01-10", "end": "2027-03-01"},
                    {"start": "2027-04-01", "registration": "closed"},
                ],
                cost={"free": False, "price_eur": 20, "trainee_pay": True},
            ),
        ],
    )
    catalogue = load_catalogue(tmp_path, gazetteer, use_cache=False)
    for n, model in enumerate(catalogue.offers()):
        assert catalogue.compact(n) == compact(n, model)
    rich = catalogue.compact(1)
    assert rich.themes == {"fle", "numerique"} and (rich.age_min, rich.age_max) == (18, 25)
    assert rich.jobseeker_required and not rich.free and rich.trainee_pay
    assert [s[2] for s in rich.sessions] == [True, False]
