from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from bot.catalogue.gazetteer import Gazetteer
from bot.catalogue.load import load_catalogue
from bot.cli import main
from bot.paths import CATALOGUE_DIR
from bot.yamlsrc import DataError
from tests.conftest import offer, write_catalogue


def check(directory: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = main(["catalogue", "check", str(directory), "--today", "2026-11-26"])
    return code, capsys.readouterr().out.splitlines()


def test_bundled_catalogue_is_clean(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = check(CATALOGUE_DIR, capsys)
    assert code == 0
    # no error; the only warnings name the sample offers whose registration is closed on
    # purpose (they show that a closed session is never suggested)
    *warnings, summary = lines
    assert all("is never shown: no session one can still join" in w for w in warnings), warnings
    assert f"0 errors · {len(warnings)} warnings" in summary
    for dep in ("16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86", "87"):
        assert f"{dep}: " in summary
    for theme in (
        "savoirs_de_base",
        "alphabetisation",
        "fle",
        "numerique",
        "projet_pro",
        "pre_qualification",
        "iae",
    ):
        assert theme in summary


def test_bundled_catalogue_is_rich_and_honest(gazetteer: Gazetteer) -> None:
    catalogue = load_catalogue(CATALOGUE_DIR, gazetteer, use_cache=False)
    offers = catalogue.offers()
    assert len(offers) >= 120
    schemes = {o.scheme for o in offers}
    for strand in ("ECLA", "FLE", "Numérique", "Passerelle"):
        assert f"HSP Socle de compétences — {strand}" in schemes
    assert "HSP 1er niveau de qualification" in schemes
    assert any(o.mode.value == "remote" for o in offers)
    jardins = {o.places[0].insee for o in offers if "Jardins du Cœur" in o.title}
    assert jardins == {"33056", "79311", "24294"}  # Blanquefort, Secondigny, Montpon-Ménestérol
    for o in offers:  # sample data honesty: marked, fictitious contacts
        assert o.source == "example"
        assert "(exemple" in o.organisation.name
        if o.contact.phone:
            assert o.contact.phone.startswith(("05 36 49", "01 99 00")), o.contact.phone
        if o.contact.email:
            assert o.contact.email.endswith("example.org")


@pytest.mark.parametrize(
    ("change", "marker", "expected"),
    [
        ({"titel": "x"}, "titel:", "unknown key 'titel' (did you mean 'title'?)"),
        (
            {"weekly_hours": "lots"},
            "weekly_hours:",
            "'weekly_hours': input should be a valid number",
        ),
        ({"sessions": [{"start": "2027-13-01"}]}, "start:", "'sessions.0.start': input should be"),
        (
            {"contact": {"phone": "12"}},
            "phone:",
            "'contact.phone': '12' is not a phone number like 05 36 49 00 00",
        ),
        ({"contact": {}}, "contact:", "'contact': a contact needs a phone"),
        (
            {"places": [{"adress": "x", "insee": "23096"}]},
            "adress:",
            "unknown key 'adress' (did you mean 'address'?)",
        ),
        (
            {"sessions": [{"start": "2027-02-01", "end": "2027-01-01"}]},
            "start:",
            "'sessions.0': the session ends before it starts",
        ),
        (
            {"eligibility": {"age_min": 30, "age_max": 20}},
            "eligibility:",
            "'eligibility': age_max is below age_min",
        ),
        ({"themes": "fle"}, "themes:", "'themes': input should be a valid list"),
        ({"themes": ["fle", "cooking"]}, "- cooking", "unknown theme 'cooking' (known: alpha"),
        ({"title": None}, "title:", "'title': input should be a valid string"),
    ],
)
def test_planted_error_yields_one_precise_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    change: dict[str, object],
    marker: str,
    expected: str,
) -> None:
    write_catalogue(tmp_path, [offer(id="good-one"), offer(id="bad-one", **change)])
    text = (tmp_path / "offers" / "t.yaml").read_text().splitlines()
    bad_start = next(i for i, line in enumerate(text) if "id: bad-one" in line)
    line = next(i for i in range(bad_start, len(text)) if marker in text[i]) + 1
    code, lines = check(tmp_path, capsys)
    assert code == 1
    problems = lines[:-1]
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{os.path.join(tmp_path.name, 'offers', 't.yaml')}:{line}: ")
    assert expected in problems[0]


def test_yaml_syntax_error_names_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "offers").mkdir()
    (tmp_path / "offers" / "bad.yaml").write_text("offers:\n  - id: a\n    title: [unclosed\n")
    code, lines = check(tmp_path, capsys)
    assert code == 1
    assert lines[0].startswith(os.path.join(tmp_path.name, "offers", "bad.yaml:"))
    assert "YAML syntax" in lines[0]


@pytest.mark.parametrize(
    ("offers", "expected"),
    [
        ([offer(id="a-1"), offer(id="a-1")], "warning: duplicate id 'a-1' (first at"),
        (
            [offer(places=[{"address": "x", "insee": "31555"}])],
            "warning: commune 31555 (Toulouse, Haute-Garonne) is not in Nouvelle-Aquitaine",
        ),
        (
            [offer(sessions=[{"start": "2025-01-01", "end": "2025-03-01"}])],
            "warning: 't-offer': every session has ended",
        ),
        ([offer(last_updated="2025-06-01")], "more than 12 months ago"),
    ],
)
def test_warnings_do_not_fail_the_check(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    offers: list[dict[str, object]],
    expected: str,
) -> None:
    write_catalogue(tmp_path, offers)
    code, lines = check(tmp_path, capsys)
    assert code == 0
    assert any(expected in line for line in lines), lines
    assert "0 errors · 1 warnings" in lines[-1]


def test_load_refuses_a_broken_catalogue(tmp_path: Path, gazetteer: Gazetteer) -> None:
    write_catalogue(tmp_path, [offer(title=None)])
    with pytest.raises(DataError) as info:
        load_catalogue(tmp_path, gazetteer, cache_dir=tmp_path / "cache")
    assert "'title'" in str(info.value)


def test_cache_is_used_then_invalidated_by_an_edit(tmp_path: Path, gazetteer: Gazetteer) -> None:
    cache = tmp_path / "cache"
    write_catalogue(tmp_path, [offer(title="Première version")])
    first = load_catalogue(tmp_path, gazetteer, cache_dir=cache)
    assert first.offer(0).title == "Première version"
    assert len(list(cache.glob("catalogue-*.pickle"))) == 1
    # a second load reads the compiled copy: the YAML is not parsed again
    (tmp_path / "offers" / "t.yaml").chmod(0o644)
    again = load_catalogue(tmp_path, gazetteer, cache_dir=cache)
    assert again.records == first.records
    write_catalogue(tmp_path, [offer(title="Seconde version")])
    edited = load_catalogue(tmp_path, gazetteer, cache_dir=cache)
    assert edited.offer(0).title == "Seconde version"


def test_a_corrupt_cache_is_rebuilt(tmp_path: Path, gazetteer: Gazetteer) -> None:
    cache = tmp_path / "cache"
    write_catalogue(tmp_path, [offer()])
    load_catalogue(tmp_path, gazetteer, cache_dir=cache)
    (pickle_file,) = cache.glob("catalogue-*.pickle")
    pickle_file.write_bytes(b"not a pickle")
    assert load_catalogue(tmp_path, gazetteer, cache_dir=cache).offer(0).id == "t-offer"


def test_place_coordinates_come_from_the_commune(tmp_path: Path, gazetteer: Gazetteer) -> None:
    write_catalogue(tmp_path, [offer()])
    catalogue = load_catalogue(tmp_path, gazetteer, use_cache=False)
    place = catalogue.offer(0).places[0]
    gueret = gazetteer.by_insee("23096")
    assert gueret is not None
    assert (place.lat, place.lon) == (gueret.lat, gueret.lon)


@pytest.mark.parametrize(
    "text", ["offers: []\n", "department: '23'\noffers:\n", "", "# all gone\n"]
)
def test_an_offers_file_that_lost_all_its_offers_is_an_error(
    text: str, tmp_path: Path, gazetteer: Gazetteer, capsys: pytest.CaptureFixture[str]
) -> None:
    write_catalogue(tmp_path, [offer()])
    (tmp_path / "offers" / "23-creuse.yaml").write_text(text)
    code, lines = check(tmp_path, capsys)
    assert code == 1
    assert re.search(r"offers/23-creuse\.yaml:[12]: no offers in this file", lines[0])
    with pytest.raises(DataError, match=r"23-creuse\.yaml:[12]: no offers"):
        load_catalogue(tmp_path, gazetteer, use_cache=False)


def test_a_department_declared_empty_loads(
    tmp_path: Path, gazetteer: Gazetteer, capsys: pytest.CaptureFixture[str]
) -> None:
    write_catalogue(tmp_path, [offer()])
    empty = "# no partner in Creuse until March\ndepartment: '23'\nempty: true\noffers: []\n"
    (tmp_path / "offers" / "23-creuse.yaml").write_text(empty)
    assert check(tmp_path, capsys)[0] == 0
    assert len(load_catalogue(tmp_path, gazetteer, use_cache=False)) == 1
    write_catalogue(tmp_path, [offer()], name="23-creuse.yaml")  # offers back: the flag is stale
    (tmp_path / "offers" / "23-creuse.yaml").write_text(
        "empty: true\n" + (tmp_path / "offers" / "23-creuse.yaml").read_text()
    )
    code, lines = check(tmp_path, capsys)
    assert code == 0 and "warning: 'empty: true' but the file has offers" in lines[0]
