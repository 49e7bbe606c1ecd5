from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import offer, write_catalogue


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["suggest", "--today", "2026-11-26", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--where", "Guéret", "--need", "apprendre à lire", "--json")
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"place", "widened", "suggestions"}
    assert data["place"] == {"insee": "23096", "name": "Guéret", "lat": 46.1696, "lon": 1.87145}
    assert data["widened"] is False
    assert 1 <= len(data["suggestions"]) <= 3
    for s in data["suggestions"]:
        assert set(s) == {
            "id",
            "title",
            "themes",
            "distance_km",
            "beyond_reach",
            "commune",
            "reason",
        }
        assert "savoirs_de_base" in s["themes"]
        assert "gratuit" in s["reason"]
    first = data["suggestions"][0]
    assert first["commune"] == "Guéret" and first["distance_km"] < 2
    assert first["reason"].startswith("Pour lire, écrire et compter · À Guéret · gratuit · ")


def test_json_widened_and_limit(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "--where",
        "Felletin",
        "--need",
        "ordinateur",
        "--json",
        "--radius",
        "10",
        "--limit",
        "5",
    )
    assert code == 0
    data = json.loads(out)
    assert data["widened"] is True
    assert 1 <= len(data["suggestions"]) <= 5


def test_text_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--where", "87000", "--need", "fle")
    assert code == 0
    assert out.startswith("Limoges · Parler français\n1. ")


def test_ambiguous_place_exits_2_with_candidates(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--where", "saint paul", "--need", "fle", "--json")
    assert code == 2 and out == ""
    assert "Saint-Paul (Corrèze) INSEE 19235" in err
    assert "Saint-Paul (Gironde) INSEE 33458" in err
    assert "Saint-Paul (Haute-Vienne) INSEE 87174" in err


def test_unknown_place_exits_1_with_closest_names(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--where", "Guérettttt-sur-mer", "--need", "fle")
    assert code == 1
    assert "unknown place" in err and "closest names:" in err


def test_a_department_asks_for_a_commune(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--where", "Haute-Vienne", "--need", "fle")
    assert code == 2 and out == ""
    assert "department Haute-Vienne; give a commune: Limoges" in err


def test_place_outside_region(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--where", "Toulouse", "--need", "fle")
    assert code == 1
    assert "Toulouse (Haute-Garonne) is outside Nouvelle-Aquitaine" in err


def test_need_not_understood(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--where", "Guéret", "--need", "zzzz")
    assert code == 1 and "need not understood" in err


def test_age_excludes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_catalogue(
        tmp_path, [offer(id="young-only", eligibility={"age_max": 25}), offer(id="for-all")]
    )
    code, out, _ = run(
        capsys,
        "--where",
        "Guéret",
        "--need",
        "lire",
        "--age",
        "40",
        "--json",
        "--catalogue",
        str(tmp_path),
    )
    assert code == 0
    assert [s["id"] for s in json.loads(out)["suggestions"]] == ["for-all"]


def test_broken_catalogue_reports_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_catalogue(tmp_path, [offer(titel="x")])
    code, _, err = run(capsys, "--where", "Guéret", "--need", "lire", "--catalogue", str(tmp_path))
    assert code == 1
    assert "unknown key 'titel'" in err


@pytest.mark.parametrize("command", [[sys.executable, "-m", "bot"], ["repere"]])
def test_entry_points(command: list[str]) -> None:
    exe = Path(sys.executable).parent / "repere"
    if command == ["repere"]:
        command = [str(exe)] if exe.exists() else ["repere"]
    done = subprocess.run(
        [
            *command,
            "suggest",
            "--where",
            "33 000",
            "--need",
            "parler francais",
            "--json",
            "--today",
            "2026-11-26",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["place"]["name"] == "Bordeaux"


def test_travel_sets_the_reach(capsys: pytest.CaptureFixture[str]) -> None:
    need = ["--where", "Pau", "--need", "trouver mon métier", "--json"]
    code, out, _ = run(capsys, *need, "--travel", "home")
    assert code == 0
    home = json.loads(out)["suggestions"]
    assert home and all(s["distance_km"] is None for s in home)  # remote only
    code, out, _ = run(capsys, *need, "--travel", "walk")
    walking = json.loads(out)["suggestions"]
    far = [s for s in walking if s["distance_km"] is not None and s["distance_km"] > 3]
    assert far and all(s["beyond_reach"] and "loin à pied" in s["reason"] for s in far)
