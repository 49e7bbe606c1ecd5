"""The offer line built without the model is, byte for byte, the one the `Offer` model writes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import bot.catalogue.datainclusion_offer as offer_module
from bot.catalogue.lheo_write import offer_yaml
from bot.catalogue.model import Offer
from bot.cli import main
from tests.catalogue.di_records import (
    comma_coordinates,
    fle_course,
    service,
    structure,
    write_json,
)

TODAY = "2026-12-01"


def odd_services() -> list[dict[str, Any]]:
    """Records whose offer the model would trim or refuse, beside plain ones."""
    long_text = "Un atelier pour apprendre. " * 22 + "Venez " + "x" * 20  # cut after a space
    assert long_text[599] == " "
    return [
        service(),
        fle_course(),
        comma_coordinates(),
        service(id="dora--long", description=long_text, nom="  Atelier lecture  "),
        service(
            id="dora--young",
            nom="Atelier jeunes",
            publics=["jeunes"],
            mobilisable_par=["professionnels"],
        ),
        service(
            id="dora--caps",
            nom="Atelier courriel",
            courriel="Accueil@Exemple.ORG",
            modes_mobilisation=None,
        ),
        service(id="dora--idn", courriel="accueil@exemple.xn--p1ai"),  # the model's pattern: no
        service(
            id="dora--nostructure",
            nom="Atelier payant",
            structure_id="dora--unknown",
            frais="payant",
        ),
        service(
            id="dora--remote",
            nom="Atelier à distance",
            code_insee=None,
            code_postal=None,
            commune=None,
            modes_accueil=["a-distance"],
            zone_eligibilite=["33"],
            latitude=None,
            longitude=None,
        ),
    ]


def import_to(out: Path, services: Path, structures: Path) -> str:
    args = ["catalogue", "import-data-inclusion", str(services), "--structures", str(structures)]
    assert main([*args, "--out", str(out), "--today", TODAY]) == 0
    return "".join(sorted(p.read_text(encoding="utf-8") for p in (out / "offers").iterdir()))


def test_direct_lines_are_the_models_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    services = write_json(tmp_path / "services.json", odd_services())
    structures = write_json(
        tmp_path / "structures.json",
        [
            structure(),
            structure(id="dora--asso-bordeaux", nom="Lire Ensemble", reseaux_porteurs=[]),
        ],
    )
    direct = import_to(tmp_path / "direct", services, structures)
    report = capsys.readouterr().out
    monkeypatch.setattr(offer_module, "_as_the_model_keeps_it", lambda _data: False)
    through_model = import_to(tmp_path / "model", services, structures)
    assert capsys.readouterr().out == report
    assert direct == through_model
    assert "9 services read, 8 offers written" in report  # the IDN e-mail: refused, as before
    assert "skipped: 1 (invalid data)" in report
    lines = [line for line in direct.splitlines() if line.startswith("- {")]
    assert len(lines) == 8
    for line in lines:  # each as the model reads and writes it again
        again = offer_yaml(Offer.model_validate_json(line[2:]))
        assert again.decode() == line + "\n"
    assert (
        '"summary":"Un atelier pour apprendre.' in direct and '"title":"Atelier lecture"' in direct
    )
