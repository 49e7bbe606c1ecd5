"""data·inclusion import: validation, region, mapping, hours, registration, guarantees, merge."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from data_inclusion.schema.v1 import Service

from bot.catalogue.datainclusion import di_id
from bot.catalogue.datainclusion_merge import Merger, item_of
from bot.catalogue.load import load_catalogue, read_offers, stale_warnings
from bot.catalogue.model import Offer
from bot.cli import main
from bot.resources import load_base
from tests.catalogue.di_records import (
    comma_coordinates,
    fle_course,
    invalid_records,
    outside_region,
    service,
    structure,
    write_json,
)

TODAY = "2026-12-01"


def run_import(
    capsys: pytest.CaptureFixture[str], out: Path, services: Path | None, *extra: str
) -> tuple[int, str, str]:
    args = ["catalogue", "import-data-inclusion"]
    args += [str(services)] if services else []
    code = main([*args, "--out", str(out), "--today", TODAY, *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    records = [service(), fle_course(), comma_coordinates(), outside_region()]
    records += invalid_records().values()
    services = write_json(tmp_path / "services.json", records)
    structures = write_json(
        tmp_path / "structures.jsonl",
        [
            structure(),
            structure(id="dora--asso-bordeaux", nom="Lire Ensemble (exemple)", reseaux_porteurs=[]),
        ],
        lines=True,
    )
    return services, structures


def offers_of(out: Path) -> dict[str, Offer]:
    gazetteer, _ = load_base(out)
    return {o.id: o for o in load_catalogue(out, gazetteer, use_cache=False).offers()}


def test_import_maps_validates_and_reports(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, files: tuple[Path, Path]
) -> None:
    services, structures = files
    out = tmp_path / "cat"
    code, stdout, _ = run_import(capsys, out, services, "--structures", str(structures))
    assert code == 0
    assert "7 services read, 3 offers written (3 added, 0 updated, 0 removed" in stdout
    for reason in ("missing nom", "invalid thematiques", "invalid date_maj", "outside the region"):
        assert f"skipped: 1 ({reason})" in stdout
    offers = offers_of(out)
    aci = offers["di-dora-svc-1"]
    assert aci.kind == "aci" and "iae" in aci.themes  # from the structure's network `aci`
    assert aci.organisation.name == "Les Jardins du Limousin (exemple)"
    assert aci.opening_hours == "lun. au ven. 8h30-12h ; fermé les jours fériés"
    assert aci.contact.phone == "05 36 49 01 02"
    assert (
        aci.contact.how_to_register and "Appelez le 05 36 49 01 02" in aci.contact.how_to_register
    )
    assert aci.weekly_hours == 26
    fle = offers["di-dora-fle-7"]
    assert fle.themes[0] == "fle" and fle.sessions == [] and fle.permanent_entry
    assert fle.contact.how_to_register and "https://inscription.example.org/fle" in (
        fle.contact.how_to_register
    )
    assert "Entrée à tout moment" in fle.contact.how_to_register
    assert fle.opening_hours == "mar. 14h-16h30 ; jeu. 14h-16h30"
    assert (fle.source, fle.provider, fle.last_updated) == (
        "data-inclusion",
        "dora",
        date(2026, 10, 1),
    )
    assert fle.eligibility.publics == ["Personnes exilées, réfugiées"]
    comma = offers["di-dora-comma"]
    assert (comma.places[0].lat, comma.places[0].lon) == (45.8336, 1.2611)


def test_output_is_deterministic_and_reimport_reports_changes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, files: tuple[Path, Path]
) -> None:
    services, structures = files
    out = tmp_path / "cat"
    run_import(capsys, out, services, "--structures", str(structures))
    first = {p.name: p.read_bytes() for p in (out / "offers").iterdir()}
    code, stdout, _ = run_import(capsys, out, services, "--structures", str(structures))
    assert code == 0 and "0 added, 0 updated, 0 removed, 3 unchanged" in stdout
    assert {p.name: p.read_bytes() for p in (out / "offers").iterdir()} == first
    write_json(services, [fle_course() | {"nom": "Cours de français du soir"}], lines=True)
    code, stdout, _ = run_import(capsys, out, services, "--structures", str(structures))
    assert "0 added, 1 updated, 2 removed, 0 unchanged" in stdout
    assert [p.name for p in sorted((out / "offers").glob("*.yaml"))] == ["data-inclusion-33.yaml"]


def test_broken_array_writes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, files: tuple[Path, Path]
) -> None:
    services, _ = files
    out = tmp_path / "cat"
    run_import(capsys, out, services)
    before = {p.name: p.read_bytes() for p in (out / "offers").iterdir()}
    services.write_text(services.read_text(encoding="utf-8")[:-40], encoding="utf-8")
    code, _, err = run_import(capsys, out, services)
    assert code == 1 and "malformed JSON" in err and "nothing was written" in err
    assert {p.name: p.read_bytes() for p in (out / "offers").iterdir()} == before


def test_broken_json_line_is_skipped(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "services.jsonl"
    path.write_text(json.dumps(fle_course()) + "\n{not json\n", encoding="utf-8")
    code, stdout, _ = run_import(capsys, tmp_path / "cat", path)
    assert code == 0 and "skipped: 1 (malformed JSON)" in stdout and "1 offers written" in stdout


def test_without_structures_and_department_filter(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, files: tuple[Path, Path]
) -> None:
    services, _ = files
    out = tmp_path / "cat"
    code, stdout, _ = run_import(capsys, out, services, "--department", "33")
    assert code == 0 and "skipped: 5 (other department)" in stdout
    offers = offers_of(out)
    assert list(offers) == ["di-dora-fle-7"]
    assert offers["di-dora-fle-7"].organisation.name == "dora--asso-bordeaux"


def test_stale_record_warned_by_catalogue_check(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write_json(tmp_path / "s.json", [fle_course() | {"date_maj": "2025-06-01"}])
    out = tmp_path / "cat"
    run_import(capsys, out, path)
    gazetteer, _ = load_base(out)
    offers, _ = read_offers(sorted((out / "offers").glob("*.yaml")), out, gazetteer)
    warnings = stale_warnings(offers, date(2026, 12, 1))
    assert len(warnings) == 1 and "more than 12 months ago" in warnings[0].message


def test_mapping_mistake_names_its_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, files: tuple[Path, Path]
) -> None:
    services, _ = files
    out = tmp_path / "cat"
    out.mkdir()
    text = (Path("catalogue") / "data-inclusion.yaml").read_text(encoding="utf-8")
    text = text.replace("maitriser-le-calcul: [savoirs_de_base]", "maitriser-le-calcul: [maths]")
    (out / "data-inclusion.yaml").write_text(text, encoding="utf-8")
    code, _, err = run_import(capsys, out, services)
    assert code == 1 and "data-inclusion.yaml:" in err and "unknown theme 'maths'" in err
    assert not (out / "offers").exists()


@pytest.mark.parametrize(
    ("source", "raw", "expected"),
    [
        ("dora", "dora--svc-1", "di-dora-svc-1"),
        ("france-travail", "abc_12", "di-france-travail-abc_12"),
    ],
)
def test_ids_keep_the_source_id(source: str, raw: str, expected: str) -> None:
    assert di_id(source, raw) == expected


def test_unsafe_ids_stay_distinct() -> None:
    a, b = di_id("dora", "dora--AB:12"), di_id("dora", "dora--ab-12")
    assert a != b and a.startswith("di-dora-ab-12-")
    assert len(di_id("dora", "x" * 200)) <= 80


# -- one offer, one card ----------------------------------------------------------------------


def _offer(**fields: Any) -> Offer:
    base: dict[str, Any] = {
        "id": "di-dora-a",
        "title": "Cours de Français",
        "summary": "Apprendre.",
        "themes": ["fle"],
        "organisation": {"name": "Lire Ensemble"},
        "places": [{"address": "1 rue", "insee": "33063"}],
        "permanent_entry": True,
        "contact": {"phone": "05 36 49 00 01"},
        "last_updated": date(2026, 9, 1),
        "source": "data-inclusion",
        "provider": "dora",
    }
    return Offer.model_validate(base | fields)


def _rows(merger: Merger) -> dict[str, Offer]:
    return {row.id: Offer.model_validate_json(row.text[2:]) for row in merger.rows()}


class _Merger(Merger):
    gazetteer = load_base()[0]

    def add_offer(self, offer: Offer) -> None:
        self.add(item_of(offer, self.gazetteer))


def _merger(lheo: list[Offer] | None = None) -> _Merger:
    return _Merger(lheo or [])


def test_same_id_keeps_the_newer() -> None:
    merger = _merger()
    merger.add_offer(_offer(last_updated=date(2026, 10, 1), contact={"phone": "05 36 49 00 02"}))
    merger.add_offer(_offer())
    kept = _rows(merger)
    assert list(kept) == ["di-dora-a"] and kept["di-dora-a"].contact.phone == "05 36 49 00 02"
    assert merger.merged["same id"] == 1


def test_same_title_commune_organisation_is_one_card() -> None:
    merger = _merger()
    merger.add_offer(_offer(id="di-dora-a"))
    merger.add_offer(
        _offer(id="di-mes-aides-z", title="cours de francais", last_updated=date(2026, 11, 1))
    )
    merger.add_offer(
        _offer(id="di-dora-other-town", places=[{"address": "1 rue", "insee": "87085"}])
    )
    assert sorted(_rows(merger)) == ["di-dora-other-town", "di-mes-aides-z"]


def test_lheo_copy_is_dropped_and_a_newer_one_noted() -> None:
    lheo = _offer(
        id="lheo-f1-a77",
        source="lheo",
        provider=None,
        permanent_entry=False,
        sessions=[{"start": "2027-01-11", "end": "2027-03-01"}],
        last_updated=date(2026, 6, 1),
    )
    newer = _offer(
        id="di-carif-oref-a77",
        provider="carif-oref",
        title="Autre intitulé",
        contact={"phone": "05 36 49 00 09"},
        last_updated=date(2026, 11, 1),
    )
    merger = _merger([lheo])
    merger.add_offer(newer)  # matched by the action number (source id)
    merger.add_offer(_offer(id="di-dora-b", last_updated=date(2026, 1, 1)))  # same title...: older
    assert _rows(merger) == {}  # the LHEO offer, in its own file, is the card
    assert merger.merged["same offer as an LHEO one: the LHEO card kept"] == 2
    assert merger.notes == [
        "lheo-f1-a77: its data·inclusion copy di-carif-oref-a77 is newer (2026-11-01): "
        "check its contacts at the Carif-Oref"
    ]


# -- the API ----------------------------------------------------------------------------------


class _FakeApi(BaseHTTPRequestHandler):
    pages: ClassVar[dict[str, list[dict[str, Any]]]] = {}
    seen: ClassVar[list[tuple[str, str | None]]] = []

    def do_GET(self) -> None:
        self.seen.append((self.path, self.headers.get("Authorization")))
        if self.headers.get("Authorization") != "Bearer secret":
            self.send_response(401)
            self.end_headers()
            return
        endpoint, _, query = self.path.partition("?")
        params = dict(p.split("=") for p in query.split("&"))
        items = self.pages.get(endpoint, [])
        size, page = int(params["size"]), int(params["page"])
        chunk = items[(page - 1) * size : page * size]
        body = {"items": chunk, "page": page, "size": size, "pages": -(-len(items) // size)}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/v1/services"
    server.shutdown()
    server.server_close()


def test_api_fetch_is_paginated(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    api: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import bot.catalogue.datainclusion_fetch as fetch

    monkeypatch.setattr(fetch, "PAGE_SIZE", 2)
    many = [fle_course() | {"id": f"dora--fle-{n}", "nom": f"Français {n}"} for n in range(5)]
    _FakeApi.pages = {
        "/api/v1/services": [{"service": s} for s in many],
        "/api/v1/structures": [structure(id="dora--asso-bordeaux", reseaux_porteurs=[])],
    }
    _FakeApi.seen = []
    monkeypatch.setenv("DATA_INCLUSION_TOKEN", "secret")
    code, stdout, _ = run_import(capsys, tmp_path / "cat", None, "--api-url", api)
    assert code == 0 and "5 services read, 5 offers written" in stdout
    pages = [path for path, _ in _FakeApi.seen if path.startswith("/api/v1/services")]
    assert len(pages) == 3 and all(auth == "Bearer secret" for _, auth in _FakeApi.seen)
    monkeypatch.setenv("DATA_INCLUSION_TOKEN", "wrong")
    code, _, err = run_import(capsys, tmp_path / "cat", None, "--api-url", api)
    assert code == 1 and "HTTP 401" in err and "wrong" not in err
    monkeypatch.delenv("DATA_INCLUSION_TOKEN")
    code, _, err = run_import(capsys, tmp_path / "cat", None, "--api-url", api)
    assert code == 1 and "DATA_INCLUSION_TOKEN" in err


def test_suggest_shows_hours_register_and_provenance(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, files: tuple[Path, Path]
) -> None:
    services, structures = files
    out = tmp_path / "cat"
    run_import(capsys, out, services, "--structures", str(structures))
    argv = ["suggest", "--where", "Limoges", "--need", "chantier d'insertion"]
    assert main([*argv, "--catalogue", str(out), "--today", TODAY]) == 0
    text = capsys.readouterr().out
    assert "Chantier d'insertion maraîchage" in text
    assert "Horaires : lun. au ven. 8h30-12h" in text
    assert "Pour s'inscrire : Appelez le 05 36 49 01 02." in text
    assert "Mis à jour : le 1er octobre 2026 (source : dora)" in text


@pytest.mark.parametrize(
    "address",
    [
        "Jean.Dupont@Exemple.ORG",
        "a..b@exemple.org",
        "a@exemple",
        "a@-exemple.org",
        "élodie@exemple.org",
        "a@exemple.org.",
        "x" * 65 + "@exemple.org",
        "contact+fle@mairie-limoges.fr",
    ],
)
def test_email_shortcut_agrees_with_the_schema(address: str) -> None:
    from pydantic import ValidationError

    from bot.catalogue.datainclusion import _validated

    record = service(id="dora--mail")
    try:
        expected = Service.model_validate(record | {"courriel": address}).courriel
    except ValidationError:
        expected = None
    try:
        got = _validated(record | {"courriel": address}).courriel
    except ValidationError:
        got = None
    assert got == expected


@pytest.mark.parametrize("lines", [False, True])
def test_parallel_import_writes_the_same_bytes(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    files: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    lines: bool,
) -> None:
    import bot.catalogue.datainclusion_parallel as parallel
    import bot.commands.data_inclusion as command

    services, structures = files
    many = [fle_course() | {"id": f"dora--fle-{n}", "nom": f"Français {n}"} for n in range(30)]
    records = [*many, *invalid_records().values(), outside_region(), comma_coordinates()]
    services = write_json(tmp_path / "services.json", [*records, service()], lines=lines)
    if lines:  # a broken line among them
        text = services.read_text(encoding="utf-8").splitlines(keepends=True)
        services.write_text("".join([*text[:5], '{"id": \n', *text[5:]]), encoding="utf-8")
    _, one, _ = run_import(capsys, tmp_path / "one", services, "--structures", str(structures))
    monkeypatch.setattr(command, "PARALLEL_MIN", 1)
    monkeypatch.setattr(parallel, "BATCH", 4)
    monkeypatch.setattr(parallel.os, "sched_getaffinity", lambda _pid: {0, 1})
    code, two, _ = run_import(capsys, tmp_path / "two", services, "--structures", str(structures))
    assert code == 0 and f"{36 + lines} services read, 32 offers written" in two
    assert "skipped: 1 (missing nom)" in two and "skipped: 1 (outside the region)" in two
    assert two == one  # the same report, warnings in the same order

    def written(folder: Path) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in (folder / "offers").iterdir()}

    assert written(tmp_path / "one") == written(tmp_path / "two")


def test_carif_oref_copy_of_an_imported_lheo_offer_is_one_card(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "cat"
    lheo = Path(__file__).parent / "fixtures" / "lheo-2.3.xml"
    assert main(["catalogue", "import-lheo", str(lheo), "--out", str(out), "--today", TODAY]) == 0
    copy = fle_course() | {
        "source": "carif-oref",
        "id": "carif-oref--a1",
        "structure_id": "carif-oref--of1",
        "code_insee": "24322",
        "code_postal": "24000",
        "commune": "Périgueux",
        "telephone": "+33536490777",
        "date_maj": "2026-11-20",
    }
    services = write_json(tmp_path / "s.json", [copy])
    code, stdout, _ = run_import(capsys, out, services)
    assert code == 0 and "merged: 1 (same offer as an LHEO one: the LHEO card kept)" in stdout
    assert "warning: lheo-f1-a1: its data·inclusion copy di-carif-oref-a1 is newer" in stdout
    assert main(["catalogue", "check", str(out), "--today", TODAY]) == 0
    assert "duplicate id" not in capsys.readouterr().out  # one offer, one id
    moved = tmp_path / "lheo-moved.xml"  # the next LHEO import moves the session
    moved.write_text(lheo.read_text(encoding="utf-8").replace("20270112", "20270301"))
    assert main(["catalogue", "import-lheo", str(moved), "--out", str(out), "--today", TODAY]) == 0
    offers = offers_of(out)
    assert "di-carif-oref-a1" not in offers
    card = offers["lheo-f1-a1"]
    assert card.sessions and card.sessions[0].start == date(2027, 3, 1)  # never the old date
    assert card.source == "lheo"
