"""The compiled catalogue is kept per offers file: an edit compiles that file again, only it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.catalogue import load, pieces
from bot.catalogue.gazetteer import Gazetteer, place_of
from bot.catalogue.load import (
    Catalogue,
    compile_catalogue,
    load_catalogue,
    offer_files,
    read_offers,
)
from bot.matching import Matcher, Profile
from bot.yamlsrc import DataError
from tests.conftest import TODAY, offer, write_catalogue

LIMOGES = [{"address": "1 place de la Mairie", "insee": "87085"}]


def three_files(directory: Path) -> None:
    write_catalogue(directory, [offer(id="creuse-1"), offer(id="creuse-2")], "23.yaml")
    write_catalogue(directory, [offer(id="vienne-1", places=LIMOGES)], "87.yaml")
    write_catalogue(directory, [offer(id="remote-1", mode="remote", places=[])], "remote.yaml")


def names(labels: list[str]) -> list[str]:
    return [Path(label).name for label in labels]


def same(a: Catalogue, b: Catalogue) -> None:
    assert a.records == b.records
    assert a.problems == b.problems
    assert vars(a.index) == vars(b.index)


def test_an_edit_compiles_that_file_only(tmp_path: Path, gazetteer: Gazetteer) -> None:
    cache = tmp_path / "cache"
    three_files(tmp_path)
    first = load_catalogue(tmp_path, gazetteer, cache_dir=cache)
    assert names(first.compiled) == ["23.yaml", "87.yaml", "remote.yaml"]
    assert load_catalogue(tmp_path, gazetteer, cache_dir=cache).compiled == []

    write_catalogue(
        tmp_path, [offer(id="vienne-1", title="Autre titre", places=LIMOGES)], "87.yaml"
    )
    edited = load_catalogue(tmp_path, gazetteer, cache_dir=cache)
    assert names(edited.compiled) == ["87.yaml"]
    assert edited.by_id("vienne-1").title == "Autre titre"  # type: ignore[union-attr]
    same(edited, load_catalogue(tmp_path, gazetteer, use_cache=False))


def test_an_edit_of_the_themes_compiles_every_file(tmp_path: Path, gazetteer: Gazetteer) -> None:
    cache = tmp_path / "cache"
    three_files(tmp_path)
    themes = Path(__file__).parents[2] / "catalogue" / "themes.yaml"
    (tmp_path / "themes.yaml").write_bytes(themes.read_bytes())
    load_catalogue(tmp_path, gazetteer, cache_dir=cache)
    (tmp_path / "themes.yaml").write_bytes(themes.read_bytes() + b"\n# edited\n")
    assert len(load_catalogue(tmp_path, gazetteer, cache_dir=cache).compiled) == 3


def test_a_duplicate_across_files_is_left_out_as_before(
    tmp_path: Path, gazetteer: Gazetteer
) -> None:
    cache = tmp_path / "cache"
    write_catalogue(tmp_path, [offer(id="same-id")], "23.yaml")
    write_catalogue(tmp_path, [offer(id="same-id", places=LIMOGES), offer(id="other")], "87.yaml")
    catalogue = load_catalogue(tmp_path, gazetteer, cache_dir=cache)
    assert [o.id for o in catalogue.offers()] == ["same-id", "other"]
    assert catalogue.offer(0).places[0].insee == "23096"  # the first file's wins
    (warning,) = catalogue.problems
    assert warning.warning and warning.path.endswith("offers/87.yaml")
    assert "duplicate id 'same-id' (first at " in warning.message
    assert "offers/23.yaml:" in warning.message
    # the places of the offer left out are not in the index either
    assert len(catalogue.index.spot_offer) == 2
    same(catalogue, load_catalogue(tmp_path, gazetteer, use_cache=False))
    warm = load_catalogue(tmp_path, gazetteer, cache_dir=cache)  # from the merged copy
    assert len(list(cache.glob("catalogue-*"))) == 2 and warm.by_id("other") is not None
    same(catalogue, warm)


def test_a_large_file_is_compiled_in_pieces(
    tmp_path: Path, gazetteer: Gazetteer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An edit to one offer of a large file compiles its piece again, not the whole file;
    problems still name the file's own lines."""
    monkeypatch.setattr(pieces, "PIECE", 2)
    monkeypatch.setattr(pieces, "WHOLE_BELOW", 4)
    cache = tmp_path / "cache"
    many = [offer(id=f"creuse-{n}") for n in range(7)]
    write_catalogue(tmp_path, many, "23.yaml")
    first = load_catalogue(tmp_path, gazetteer, cache_dir=cache)
    assert len(first.compiled) == 5  # the head, then 4 pieces of 2, 2, 2 and 1 offers
    many[5]["title"] = "Titre corrigé"
    write_catalogue(tmp_path, many, "23.yaml")
    edited = load_catalogue(tmp_path, gazetteer, cache_dir=cache)
    assert names(edited.compiled) == ["23.yaml"]  # one piece
    assert edited.by_id("creuse-5").title == "Titre corrigé"  # type: ignore[union-attr]
    same(edited, load_catalogue(tmp_path, gazetteer, use_cache=False))

    many[6]["contact"] = {"phone": "12"}
    write_catalogue(tmp_path, many, "23.yaml")
    with pytest.raises(DataError) as info:
        load_catalogue(tmp_path, gazetteer, cache_dir=cache)
    text = (tmp_path / "offers" / "23.yaml").read_text().split("\n")
    (problem,) = info.value.problems
    assert text[problem.line - 1].strip() == "phone: '12'"


def test_offers_made_into_models_are_bounded(
    tmp_path: Path, gazetteer: Gazetteer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server showing offers for months does not end up holding every offer as a model."""
    monkeypatch.setattr(load, "MODELS_KEPT", 2)
    three_files(tmp_path)
    catalogue = load_catalogue(tmp_path, gazetteer, cache_dir=tmp_path / "cache")
    shown = [catalogue.offer(n).id for n in range(len(catalogue))]
    assert shown == ["creuse-1", "creuse-2", "vienne-1", "remote-1"]
    assert len(catalogue._models) == 2


def test_a_file_with_yaml_aliases_is_compiled_whole(
    tmp_path: Path, gazetteer: Gazetteer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An alias may point into another piece: such a file is never cut."""
    monkeypatch.setattr(pieces, "PIECE", 2)
    monkeypatch.setattr(pieces, "WHOLE_BELOW", 4)
    lines = ["offers:"]
    for n in range(6):
        first = n == 0
        lines += [
            f"- id: creuse-{n}",
            "  title: Atelier",
            "  summary: Lire et écrire.",
            "  themes: [savoirs_de_base]",
            "  organisation: &org {name: Asso (exemple)}" if first else "  organisation: *org",
            "  places: [{address: 1 rue, insee: '23096'}]",
            "  permanent_entry: true",
            "  contact: {phone: 05 36 49 00 00}",
            "  last_updated: '2026-11-01'",
        ]
    (tmp_path / "offers").mkdir()
    (tmp_path / "offers" / "23.yaml").write_text("\n".join(lines) + "\n")
    catalogue = load_catalogue(tmp_path, gazetteer, cache_dir=tmp_path / "cache")
    assert len(catalogue) == 6 and names(catalogue.compiled) == ["23.yaml"]


def test_a_start_after_an_edit_suggests_as_a_cold_compile(
    tmp_path: Path, gazetteer: Gazetteer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pieces compiled apart and joined (most read from the cache) give the index that one
    pass over every offer builds, and the same suggestions: ids shifted, themes renumbered,
    places of one point in several pieces and files grouped again, a duplicate left out."""
    monkeypatch.setattr(pieces, "PIECE", 2)
    monkeypatch.setattr(pieces, "WHOLE_BELOW", 4)
    cache = tmp_path / "cache"
    towns = ["23096", "23008", "23176", "87085"]
    themes = [["savoirs_de_base"], ["fle", "numerique"], ["numerique"], ["fle"]]
    many = [
        offer(id=f"c-{n}", themes=themes[n % 4], places=at_(towns[n % 3]), permanent_entry=n % 2)
        for n in range(9)
    ]
    write_catalogue(tmp_path, many, "23.yaml")
    write_catalogue(
        tmp_path,
        [
            offer(id="c-1", places=LIMOGES),
            offer(id="v-1", themes=["fle"], places=at_(towns[3])),
            offer(id="r-1", mode="remote", places=[], themes=["numerique"]),
        ],
        "87.yaml",
    )
    load_catalogue(tmp_path, gazetteer, cache_dir=cache)
    many[4]["title"] = "Titre corrigé"
    many[4]["themes"] = ["iae"]  # a theme no other piece has: masks renumbered
    write_catalogue(tmp_path, many, "23.yaml")
    edited = load_catalogue(tmp_path, gazetteer, cache_dir=cache)
    assert names(edited.compiled) == ["23.yaml"]

    offers, warnings = read_offers(offer_files(tmp_path), tmp_path, gazetteer)
    cold = compile_catalogue(offers, gazetteer, warnings)
    assert [p.message for p in edited.problems] == [p.message for p in cold.problems]
    assert vars(edited.index) == vars(cold.index)
    for insee in [*towns, "33063"]:
        for asked in [("fle",), ("numerique", "savoirs_de_base"), ("iae",)]:
            profile = Profile(place_of(gazetteer.by_insee(insee)), asked, radius_km=10)  # type: ignore[arg-type]
            got, want = (
                Matcher(edited).suggest(profile, TODAY),
                Matcher(cold).suggest(profile, TODAY),
            )
            assert got == want and got.suggestions


def at_(insee: str) -> list[dict[str, str]]:
    return [{"address": "1 place de la Mairie", "insee": insee}]
