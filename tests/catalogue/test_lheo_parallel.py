"""The parallel LHEO reader gives exactly what the sequential one gives, or hands over to it."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.catalogue import lheo_parallel
from bot.catalogue.gazetteer import Gazetteer
from bot.catalogue.lheo import ImportReport, Scope
from bot.catalogue.lheo_parallel import import_rows
from bot.catalogue.themes import Lexicon
from bot.yamlsrc import DataError

FIXTURES = Path(__file__).parent / "fixtures"
TODAY = date(2026, 11, 26)


def big_file(
    tmp_path: Path, copies: int = 40, broken_at: int | None = None, style: str = "plain"
) -> Path:
    """The 2.3 fixture's formations repeated with fresh numbers: many pieces to cut.

    style "xsi": the root declares a second namespace, used by an attribute of each formation;
    "prefixed": every LHEO element is written `l:name`, the root declaring `xmlns:l`.
    """
    text = (FIXTURES / "lheo-2.3.xml").read_text(encoding="utf-8")
    if style == "xsi":
        text = text.replace(
            '<lheo xmlns="http://lheo.gouv.fr/2.3">',
            '<lheo xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xmlns="http://lheo.gouv.fr/2.3">',
        ).replace("<formation ", '<formation xsi:type="formation" ')
    if style == "prefixed":
        text = re.sub(r"<(/?)([a-zA-Z])", r"<\1l:\2", text).replace("xmlns=", "xmlns:l=")
    start = text.index("<l:formation" if style == "prefixed" else "<formation")
    end = text.rindex("formation>") + len("formation>")
    body = text[start:end]
    parts = [
        body.replace('numero="', f'numero="c{n}-')
        if n != broken_at
        else body.replace("</intitule-formation>", "</intitule>")
        for n in range(copies)
    ]
    path = tmp_path / "big.xml"
    path.write_text(text[:start] + "\n".join(parts) + text[end:], encoding="utf-8")
    return path


def both(path: Path, gazetteer: Gazetteer, lexicon: Lexicon) -> tuple[Any, Any]:
    results = []
    for workers in (1, 2):
        report = ImportReport()
        rows = import_rows(
            path, Scope(gazetteer, lexicon.formacodes, TODAY), report, workers=workers
        )
        results.append((rows, report))
    return results[0], results[1]


@pytest.fixture
def small_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lheo_parallel, "PARALLEL_MIN", 0)
    monkeypatch.setattr(lheo_parallel, "BLOCK", 4096)  # a few formations a piece


@pytest.mark.parametrize("style", ["plain", "xsi", "prefixed"])
def test_parallel_equals_sequential(
    tmp_path: Path,
    gazetteer: Gazetteer,
    lexicon: Lexicon,
    small_pieces: None,
    monkeypatch: pytest.MonkeyPatch,
    style: str,
) -> None:
    path = big_file(tmp_path, style=style)
    assert len(list(lheo_parallel._pieces(path))) > 5
    finished: list[int] = []
    parallel = lheo_parallel._parallel

    def spy(*args: Any) -> Any:
        rows = parallel(*args)
        finished.append(len(rows))  # reached only when the fast path did not hand over
        return rows

    monkeypatch.setattr(lheo_parallel, "_parallel", spy)
    (rows1, report1), (rows2, report2) = both(path, gazetteer, lexicon)
    assert finished == [len(rows2)]
    assert len(rows1) == 40 * 3 and rows2 == rows1
    assert report2.imported == report1.imported and report2.skipped == report1.skipped
    assert report2.version == "2.3" and report2.warnings == report1.warnings


def test_a_broken_piece_is_reported_by_the_sequential_reader_with_its_line(
    tmp_path: Path, gazetteer: Gazetteer, lexicon: Lexicon, small_pieces: None
) -> None:
    path = big_file(tmp_path, broken_at=25)
    report = ImportReport()
    with pytest.raises(DataError) as caught:
        import_rows(path, Scope(gazetteer, lexicon.formacodes, TODAY), report, workers=2)
    problem = caught.value.problems[0]
    broken_line = next(
        n
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if "</intitule>" in line
    )
    assert problem.line == broken_line and "malformed XML" in problem.message


def test_a_truncated_file_is_refused(
    tmp_path: Path, gazetteer: Gazetteer, lexicon: Lexicon, small_pieces: None
) -> None:
    path = big_file(tmp_path)
    path.write_bytes(path.read_bytes()[:-30])  # the closing tags are gone
    with pytest.raises(DataError):
        import_rows(path, Scope(gazetteer, lexicon.formacodes, TODAY), ImportReport(), workers=2)
