"""Catalogue text is checked for easy-read like the flows: warnings with path:line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.catalogue.plain import PlainWords, load_plain_words
from tests.conftest import offer, write_catalogue

ROOT = Path(__file__).resolve().parents[2]


def test_catalogue_check_warns_on_hard_text_and_still_passes(tmp_path: Path) -> None:
    long = (
        "Vous venez ici avec nous tous les jours de la semaine pour apprendre beaucoup de choses."
    )
    directory = write_catalogue(
        tmp_path,
        [offer(id="hard-1", title="Atelier HSP", summary=long), offer(id="easy-1")],
    )
    done = subprocess.run(
        [sys.executable, "-m", "bot", "catalogue", "check", str(directory)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr  # warnings do not fail the check
    warnings = [line for line in done.stdout.splitlines() if ": warning: hard-1: FALC" in line]
    assert any("offers/t.yaml:" in line and "'HSP'" in line for line in warnings)
    assert any("sentence of 16 words" in line for line in warnings)
    assert not any("easy-1" in line for line in done.stdout.splitlines())
    lines = {int(line.split(":")[1]) for line in warnings}
    assert len(lines) == 2  # the title's line and the summary's line


def test_plain_words_hide_or_explain_jargon() -> None:
    plain = load_plain_words()
    assert plain("Lire, écrire, compter : HSP Socle de compétences ECLA") == (
        "Lire, écrire, compter"
    )
    assert "pass IAE" not in plain("Demandez un pass IAE à votre conseiller.")
    once = plain("Un RIB")
    assert once == plain(once) == "Un relevé d'identité bancaire (RIB)"
    assert plain("ACIER") == "ACIER"  # whole words only


def test_plain_words_longest_term_first() -> None:
    plain = PlainWords({"pass IAE": "accord", "IAE": "insertion"})
    assert plain("un pass IAE et une IAE") == "un accord et une insertion"
