"""Offers that can never be shown, and department × theme holes, as `catalogue check` warnings."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.catalogue.gazetteer import Gazetteer
from bot.catalogue.load import offer_files, read_offers
from bot.catalogue.reach import holes, never_shown
from bot.cli import main
from tests.conftest import TODAY, offer, write_catalogue


def test_offers_no_one_can_ever_be_shown(tmp_path: Path, gazetteer: Gazetteer) -> None:
    offers = [
        offer(id="t-fine"),
        offer(id="t-closed", sessions=[{"start": "2027-01-10", "registration": "closed"}]),
        offer(id="t-started", sessions=[{"start": "2026-10-01", "end": "2027-03-10"}]),
        offer(id="t-young", eligibility={"age_min": 14, "age_max": 15}),
        offer(id="t-running", sessions=[{"start": "2026-10-01"}], permanent_entry=True),
    ]
    root = write_catalogue(tmp_path, offers)
    read, _ = read_offers(offer_files(root), root, gazetteer)
    found = never_shown(read, TODAY)
    named = sorted(p.message.split("'")[1] for p in found)
    assert named == ["t-closed", "t-started", "t-young"]
    assert all(p.warning and "never shown" in p.message for p in found)


def test_department_theme_holes(tmp_path: Path, gazetteer: Gazetteer) -> None:
    offers = [
        offer(id="t-base"),  # Guéret (23): savoirs de base
        offer(id="t-remote", themes=["fle"], mode="remote", places=[]),
    ]
    root = write_catalogue(tmp_path, offers)
    (root / "offers" / "33.yaml").write_text("department: '33'\nempty: true\n")
    path = root / "offers" / "t.yaml"
    path.write_text("department: '23'\n" + path.read_text())
    read, _ = read_offers(offer_files(root), root, gazetteer)
    found = {
        p.message.split(":")[0]: p.message
        for p in holes(read, gazetteer, frozenset({"savoirs_de_base", "fle", "iae"}))
    }
    creuse = found["Creuse (23)"]
    assert "no offer at all for iae" in creuse and "only remote offers for fle" in creuse
    assert "savoirs_de_base" not in creuse
    assert len(found) == 1  # only the departments a file declares (Gironde's has no offer)


def test_catalogue_check_prints_them_as_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_catalogue(
        tmp_path, [offer(sessions=[{"start": "2027-01-10", "registration": "closed"}])]
    )
    path = root / "offers" / "t.yaml"
    path.write_text("department: '23'\n" + path.read_text())
    assert main(["catalogue", "check", str(root), "--today", TODAY.isoformat()]) == 0
    out = capsys.readouterr().out
    assert "warning: 't-offer' is never shown" in out
    assert "Creuse (23): no offer at all for" in out
