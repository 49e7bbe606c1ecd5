"""data·inclusion's CSV export (pandas' to_csv: lists written as `['a', 'b']`) reads as its JSON."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from tests.catalogue.di_records import (
    comma_coordinates,
    fle_course,
    outside_region,
    service,
    structure,
    write_json,
)

TODAY = "2026-12-01"
FIXTURE = Path(__file__).parent / "fixtures" / "di-services.csv"


def imported(out: Path, services: Path, structures: Path) -> dict[str, bytes]:
    args = ["catalogue", "import-data-inclusion", str(services), "--structures", str(structures)]
    assert main([*args, "--out", str(out), "--today", TODAY]) == 0
    return {p.name: p.read_bytes() for p in (out / "offers").iterdir()}


def test_csv_export_imports_as_the_json_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    structures = write_json(
        tmp_path / "structures.json",
        [
            structure(),
            structure(id="dora--asso-bordeaux", nom="Lire Ensemble", reseaux_porteurs=[]),
        ],
    )
    same = [service(), fle_course(), comma_coordinates(), outside_region()]
    json_file = write_json(tmp_path / "services.json", same)
    from_json = imported(tmp_path / "json", json_file, structures)
    capsys.readouterr()
    from_csv = imported(tmp_path / "csv", FIXTURE, structures)
    report = capsys.readouterr().out
    assert from_csv == from_json  # the same offers, byte for byte
    assert "6 services read, 3 offers written" in report
    assert "skipped: 1 (outside the region)" in report
    assert "skipped: 1 (invalid thematiques)" in report  # a list cut short: the schema says no
    assert "skipped: 1 (malformed CSV)" in report and "warning: line 7: malformed CSV" in report
    import bot.catalogue.datainclusion_parallel as parallel
    import bot.commands.data_inclusion as command

    monkeypatch.setattr(command, "PARALLEL_MIN", 1)  # a large file: on every core
    monkeypatch.setattr(parallel.os, "sched_getaffinity", lambda _pid: {0, 1})
    assert imported(tmp_path / "parallel", FIXTURE, structures) == from_json
    assert capsys.readouterr().out == report


def test_csv_structures_and_a_broken_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    structures = tmp_path / "structures.csv"
    structures.write_text(
        "id,source,nom,date_maj,reseaux_porteurs,telephone\n"
        "dora--jardins-limoges,dora,Les Jardins (exemple),2026-10-01,['aci'],+33536490101\n",
        encoding="utf-8",
    )
    files = imported(tmp_path / "cat", FIXTURE, structures)
    assert b'"kind":"aci"' in files["data-inclusion-87.yaml"]  # the network, read as a list
    capsys.readouterr()
    broken = tmp_path / "broken.csv"
    broken.write_text('id,nom\n"dora--x,Atelier\n', encoding="utf-8")  # a quote never closed
    args = ["catalogue", "import-data-inclusion", str(broken), "--out", str(tmp_path / "cat")]
    assert main([*args, "--today", TODAY]) == 1
    err = capsys.readouterr().err
    assert "broken.csv:" in err and "malformed CSV" in err and "nothing was written" in err


@pytest.mark.parametrize("name", ["services.json", "services.csv"])
def test_a_file_not_in_utf8_is_named_and_nothing_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    services = tmp_path / name
    services.write_bytes(
        '[{"id": "dora--é"}]'.encode("latin-1")
        if name.endswith("json")
        else "id,nom\ndora--é,Atelier\n".encode("latin-1")
    )
    args = ["catalogue", "import-data-inclusion", str(services), "--out", str(tmp_path / "cat")]
    assert main([*args, "--today", TODAY]) == 1
    err = capsys.readouterr().err
    assert f"{name}:1: not UTF-8 text" in err and "nothing was written" in err
    assert not (tmp_path / "cat" / "offers").exists()
