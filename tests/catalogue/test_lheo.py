"""LHEO import: each mapping and edge case, on fixtures written for these tests."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.catalogue.gazetteer import Gazetteer
from bot.catalogue.lheo import ImportReport, Scope, lheo_date, read_lheo, read_lheo_document
from bot.catalogue.load import load_catalogue
from bot.catalogue.model import Offer
from bot.catalogue.themes import Lexicon
from bot.cli import main
from bot.yamlsrc import DataError

FIXTURES = Path(__file__).parent / "fixtures"
TODAY = date(2026, 11, 26)


def imported(
    gazetteer: Gazetteer, lexicon: Lexicon, name: str = "lheo-2.3.xml", **kwargs: Any
) -> tuple[dict[str, Offer], ImportReport]:
    report = ImportReport()
    offers = {
        o.id: o
        for o in read_lheo(
            FIXTURES / name, Scope(gazetteer, lexicon.formacodes, TODAY, **kwargs), report
        )
    }
    return offers, report


def run_import(
    capsys: pytest.CaptureFixture[str], out: Path, *extra: str, name: str = "lheo-2.3.xml"
) -> tuple[int, str, str]:
    code = main(
        [
            "catalogue",
            "import-lheo",
            str(FIXTURES / name),
            "--out",
            str(out),
            "--today",
            "2026-11-26",
            *extra,
        ]
    )
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("20270112", date(2027, 1, 12)),
        ("00000000", None),
        ("20270300", date(2027, 3, 1)),
        ("2027", None),
        ("20271345", None),
        (None, None),
    ],
)
def test_lheo_dates(value: str | None, expected: date | None) -> None:
    assert lheo_date(value) == expected


def test_mappings(gazetteer: Gazetteer, lexicon: Lexicon) -> None:
    offers, report = imported(gazetteer, lexicon)
    assert sorted(offers) == ["lheo-f1-a1", "lheo-f1-a2", "lheo-f4-a5"]
    fle = offers["lheo-f1-a1"]
    assert fle.themes == ["fle", "savoirs_de_base"]  # FORMACODE
    assert fle.places[0].insee == "24322"  # the place tagged "principal" wins
    assert (fle.places[0].lat, fle.places[0].lon) == (45.1846, 0.7214)  # geolocalisation
    assert [(s.start, s.end) for s in fle.sessions] == [(date(2027, 1, 12), date(2027, 6, 18))]
    assert fle.cost.funders == ["region"] and fle.cost.free  # code-financeur 2
    assert fle.mode.value == "on_site" and fle.pmr is True
    assert not fle.eligibility.jobseeker_required  # 80006 among other publics
    assert (
        fle.contact.phone == "05 36 49 00 10" and fle.organisation.name == "Organisme Exemple FLE"
    )
    remote = offers["lheo-f1-a2"]
    assert remote.mode.value == "remote" and remote.places == []  # modalites-enseignement 2
    assert remote.permanent_entry and remote.cost.funders == ["france_travail"]
    projet = offers["lheo-f4-a5"]
    assert projet.themes == ["projet_pro"]  # objectif-general 9
    assert projet.places[0].insee == "23096"  # postal code + city through the gazetteer
    assert projet.sessions[0].start == date(2027, 3, 1)  # AAAAMM00
    assert projet.sessions[0].registration == "closed"  # etat-recrutement 2
    assert projet.eligibility.rsa_only  # 80010 alone
    assert projet.cost.funders == ["europe", "region"]
    assert dict(report.skipped) == {
        "outside the region": 1,
        "no known theme": 1,
        "every session past": 1,
    }


def test_filters_and_other_regions(gazetteer: Gazetteer, lexicon: Lexicon) -> None:
    only_23, _ = imported(gazetteer, lexicon, departments={"23"})
    assert sorted(only_23) == ["lheo-f1-a2", "lheo-f4-a5"]  # remote offers stay
    everywhere, report = imported(gazetteer, lexicon, all_regions=True)
    assert report.skipped["outside the region"] == 0
    assert "lheo-f2-a3" not in everywhere  # kept from the skip, but no commune to place it


def test_lheo_2_2_namespace(gazetteer: Gazetteer, lexicon: Lexicon) -> None:
    offers, report = imported(gazetteer, lexicon, "lheo-2.2.xml")
    assert list(offers) == ["lheo-old1-oa1"]
    assert report.version == "2.2"


def test_import_writes_deterministic_yaml_and_reports_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], gazetteer: Gazetteer
) -> None:
    code, out, _ = run_import(capsys, tmp_path)
    assert code == 0
    assert out.splitlines()[0] == (
        "LHEO 2.3: 3 offers imported (3 added, 0 updated, 0 removed, 0 unchanged)"
    )
    assert "skipped: 1 (outside the region)" in out
    files = sorted(p.name for p in (tmp_path / "offers").iterdir())
    assert files == [".lheo-index.json", "lheo-23.yaml", "lheo-24.yaml", "lheo-remote.yaml"]
    first = {p.name: p.read_bytes() for p in (tmp_path / "offers").iterdir()}
    code, out, _ = run_import(capsys, tmp_path)
    assert "(0 added, 0 updated, 0 removed, 3 unchanged)" in out
    assert {p.name: p.read_bytes() for p in (tmp_path / "offers").iterdir()} == first
    # the imported catalogue loads and answers
    catalogue = load_catalogue(tmp_path, gazetteer, use_cache=False)
    assert {o.source for o in catalogue.offers()} == {"lheo"}
    assert main(["catalogue", "check", str(tmp_path), "--today", "2026-11-26"]) == 0


def test_re_import_updates_in_place_and_removes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_import(capsys, tmp_path)
    changed = (FIXTURES / "lheo-2.3.xml").read_text(encoding="utf-8")
    changed = changed.replace("Reprendre confiance", "Retrouver confiance")
    changed = changed.replace('<action numero="A2">', '<action numero="A2-new">')
    (tmp_path / "feed.xml").write_text(changed, encoding="utf-8")
    code = main(
        [
            "catalogue",
            "import-lheo",
            str(tmp_path / "feed.xml"),
            "--out",
            str(tmp_path),
            "--today",
            "2026-11-26",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "(1 added, 1 updated, 1 removed, 1 unchanged)" in out


def test_manual_files_are_left_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "offers").mkdir()
    manual = tmp_path / "offers" / "23-creuse.yaml"
    manual.write_text("offers: []\n")
    run_import(capsys, tmp_path)
    assert manual.read_text() == "offers: []\n"


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        (
            b'<?xml version="1.0"?>\n<lheo xmlns="http://lheo.gouv.fr/2.3">\n<offres>\n'
            b"<formation numero='x'>\n<intitule-formation>oops</intitule\n</lheo>",
            ":6: malformed XML: not well-formed (invalid token)",
        ),
        (
            b'<?xml version="1.0"?>\n<lheo xmlns="http://example.org/3.0"><offres/></lheo>',
            ":1: not an LHEO file: namespace 'http://example.org/3.0' (expected http://lheo",
        ),
        (b"<catalogue/>", ":1: not an LHEO file: namespace 'none'"),
        (
            b'<offres xmlns="http://lheo.gouv.fr/2.3"/>',
            ":1: not an LHEO file: the root is <offres>",
        ),
    ],
)
def test_broken_files_give_one_clear_line_and_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], xml: bytes, expected: str
) -> None:
    run_import(capsys, tmp_path)
    before = {p.name: p.read_bytes() for p in (tmp_path / "offers").iterdir()}
    bad = tmp_path / "bad.xml"
    bad.write_bytes(xml)
    code = main(["catalogue", "import-lheo", str(bad), "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.splitlines()[0].startswith(str(bad)) and expected in err.splitlines()[0]
    assert "nothing was written" in err
    assert {p.name: p.read_bytes() for p in (tmp_path / "offers").iterdir()} == before
    assert not list(tmp_path.glob(".lheo-*"))


def test_stream_reads_a_file_object(gazetteer: Gazetteer, lexicon: Lexicon) -> None:
    data = (FIXTURES / "lheo-2.2.xml").read_bytes()
    offers = list(read_lheo(io.BytesIO(data), Scope(gazetteer, lexicon.formacodes, TODAY)))
    assert [o.id for o in offers] == ["lheo-old1-oa1"]


def test_generated_yaml_reads_back_as_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], gazetteer: Gazetteer, lexicon: Lexicon
) -> None:
    run_import(capsys, tmp_path)
    data = yaml.safe_load((tmp_path / "offers" / "lheo-24.yaml").read_text(encoding="utf-8"))
    assert data["department"] == "24" and data["offers"][0]["source"] == "lheo"
    offers, _ = imported(gazetteer, lexicon)
    again = Offer.model_validate(data["offers"][0])
    assert again == offers["lheo-f1-a1"]  # every field survives the hand-written YAML


def test_hand_edited_imports_are_compared_from_the_yaml(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_import(capsys, tmp_path)
    (tmp_path / "offers" / ".lheo-index.json").unlink()
    _, out, _ = run_import(capsys, tmp_path)
    assert "(0 added, 0 updated, 0 removed, 3 unchanged)" in out


def test_errors_raise_data_error(gazetteer: Gazetteer, lexicon: Lexicon) -> None:
    with pytest.raises(DataError):
        list(read_lheo(io.BytesIO(b"<lheo"), Scope(gazetteer, lexicon.formacodes, TODAY)))


def one_formation(body: str, title: str = "Atelier numérique") -> bytes:
    """A small LHEO 2.3 document: one formation, one action placed in Guéret."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<lheo xmlns="http://lheo.gouv.fr/2.3"><offres>
<formation numero="F9"><intitule-formation>{title}</intitule-formation>
<domaine-formation><code-FORMACODE>15040</code-FORMACODE></domaine-formation>
<action numero="A9">
<lieu-de-formation><coordonnees><adresse><ligne>2 rue Exemple</ligne>
<code-INSEE-commune>23096</code-INSEE-commune><geolocalisation><latitude>46.1696</latitude>
<longitude>1.87145</longitude></geolocalisation></adresse></coordonnees></lieu-de-formation>
{body}
<organisme-financeur><code-financeur>2</code-financeur></organisme-financeur>
</action></formation></offres></lheo>
""".encode()


def both_readers(gazetteer: Gazetteer, lexicon: Lexicon, data: bytes) -> list[Offer]:
    """The streaming reader and the in-memory one (used on each core) give the same offers."""
    streamed = list(read_lheo(io.BytesIO(data), Scope(gazetteer, lexicon.formacodes, TODAY)))
    whole = list(read_lheo_document(data, Scope(gazetteer, lexicon.formacodes, TODAY)))
    assert whole == streamed
    return streamed


def test_a_path_is_searched_in_every_branch_not_only_the_first(
    gazetteer: Gazetteer, lexicon: Lexicon
) -> None:
    body = """
<contact-action><coordonnees>
<telfixe><poste>12</poste></telfixe><telfixe><numtel>05 55 00 00 99</numtel></telfixe>
</coordonnees></contact-action>
<session><periode><debut>20270105</debut><fin>20270301</fin></periode></session>
<session><periode><debut>20270405</debut><fin>20270601</fin></periode>
<adresse-inscription><adresse><ligne>Mairie, 1 place Bonnyaud</ligne><ville>Guéret</ville>
</adresse></adresse-inscription></session>"""
    [offer] = both_readers(gazetteer, lexicon, one_formation(body))
    assert offer.contact.phone == "05 55 00 00 99"  # the second <telfixe> holds the number
    assert offer.contact.how_to_register == "Inscription : Mairie, 1 place Bonnyaud, Guéret"
    assert [s.start for s in offer.sessions] == [date(2027, 1, 5), date(2027, 4, 5)]


@pytest.mark.parametrize(
    "title",
    [
        'Lire &amp; écrire : "les bases" \\ C:\\dossier',
        "Ligne 1\u2028ligne 2, \u0085 fin",  # YAML 1.1 would fold these into spaces
        "Emoji 📚, tabulation\tet 'apostrophe'",
        "null",  # a word YAML would read as nothing, were it not quoted
    ],
)
def test_awkward_text_survives_the_written_yaml(
    tmp_path: Path, gazetteer: Gazetteer, lexicon: Lexicon, title: str
) -> None:
    body = "<session><periode><debut>20270105</debut><fin>20270301</fin></periode></session>"
    feed = tmp_path / "feed.xml"
    feed.write_bytes(one_formation(body, title))
    [read] = both_readers(gazetteer, lexicon, feed.read_bytes())
    command = ["catalogue", "import-lheo", str(feed), "--out", str(tmp_path)]
    assert main([*command, "--today", TODAY.isoformat()]) == 0
    catalogue = load_catalogue(tmp_path, gazetteer, use_cache=False)  # libyaml's reader
    [written] = catalogue.offers()
    assert written == read and written.title == title.replace("&amp;", "&")


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        (b"<lheo xmlns='http://lheo.gouv.fr/2.3'>\n<offres>\n</lheo>", ":3: malformed XML"),
        (b"<lheo xmlns='http://example.org/3.0'/>", ":1: not an LHEO file: namespace"),
        (b"<offres xmlns='http://lheo.gouv.fr/2.3'/>", ":1: not an LHEO file: the root"),
    ],
)
def test_the_in_memory_reader_refuses_what_the_stream_refuses(
    gazetteer: Gazetteer, lexicon: Lexicon, xml: bytes, expected: str
) -> None:
    for read in (
        lambda: list(read_lheo(io.BytesIO(xml), Scope(gazetteer, lexicon.formacodes, TODAY))),
        lambda: list(read_lheo_document(xml, Scope(gazetteer, lexicon.formacodes, TODAY))),
    ):
        with pytest.raises(DataError) as caught:
            read()
        assert expected in str(caught.value.problems[0])
