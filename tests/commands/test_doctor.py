"""`repere doctor`: the sample set-up is refused with reasons in French; a real one passes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from tests.conftest import offer, write_catalogue

ENV = ("REPERE_PSEUDONYM_KEY", "TELEGRAM_BOT_TOKEN", "REPERE_ADMIN_IDS", "REPERE_BOT_USERNAME")
REGION = ("16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86", "87")


@pytest.fixture(autouse=True)
def bare_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*ENV, "REPERE_DB"):
        monkeypatch.delenv(name, raising=False)


def doctor(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["doctor", "--today", "2026-11-26", *args])
    return code, capsys.readouterr().out


def test_the_bundled_sample_is_not_ready_and_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = doctor(capsys, "--db", str(tmp_path / "repere.db"))
    assert code == 1
    assert "PAS PRÊT" in out
    for why in (
        "offres sont des exemples",
        "numéro de fiction",
        "adresse e-mail d'exemple",
        "centres sont des exemples",
        "Aucun groupe de bénévoles",
        "« À COMPLÉTER »",
        "repere@example.org",
        "Pas de clé des pseudonymes",
    ):
        assert why in out, why


def real_setup(root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A catalogue, centres, notices and settings with nothing left of the sample."""
    real = {
        "organisation": {"name": "Association Le Fil"},
        "contact": {"phone": "05 55 12 34 56", "email": "accueil@lefil.fr"},
    }
    write_catalogue(root, [offer(**real)])
    centres = {
        "groups": {dep: -1001234567000 - int(dep) for dep in REGION},
        "centres": {"gueret": {"name": "Centre de Guéret", "department": "23"}},
    }
    (root / "centres.yaml").write_text(yaml.safe_dump(centres), encoding="utf-8")
    notice = root / "PRIVACY.md"
    notice.write_text("# Repère\n\nContact : dpo@restosducoeur.org\n", encoding="utf-8")
    monkeypatch.setattr("bot.commands.doctor.FRENCH_NOTICE", notice)
    monkeypatch.setattr("bot.commands.doctor.NOTICES", root / "none")
    monkeypatch.setenv("REPERE_PSEUDONYM_KEY", "a" * 64)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    monkeypatch.setenv("REPERE_ADMIN_IDS", "1")
    monkeypatch.setenv("REPERE_BOT_USERNAME", "RepereBot")
    db = root / "repere.db"
    db.write_bytes(b"")
    db.chmod(0o600)
    return db


def test_a_real_setup_is_ready(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = real_setup(tmp_path, monkeypatch)
    code, out = doctor(capsys, "--db", str(db), "--catalogue", str(tmp_path))
    assert code == 0, out
    assert "Prêt pour la mise en service." in out and "✗" not in out


def test_each_blocking_fault_alone_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = real_setup(tmp_path, monkeypatch)
    args = ("--db", str(db), "--catalogue", str(tmp_path))
    db.chmod(0o644)
    code, out = doctor(capsys, *args)
    assert code == 1 and "lisible par d'autres comptes" in out and "chmod 600" in out
    db.chmod(0o600)
    monkeypatch.setenv("REPERE_PSEUDONYM_KEY", "short")
    code, out = doctor(capsys, *args)
    assert code == 1 and "trop courte" in out
    monkeypatch.delenv("REPERE_PSEUDONYM_KEY")
    key = db.with_name("repere.db.key")
    key.write_text("00" * 32)
    os.chmod(key, 0o600)
    code, out = doctor(capsys, *args)
    assert code == 1 and "créée automatiquement" in out


def test_a_department_without_a_group_is_named_but_does_not_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = real_setup(tmp_path, monkeypatch)
    centres = yaml.safe_load((tmp_path / "centres.yaml").read_text())
    del centres["groups"]["23"]
    (tmp_path / "centres.yaml").write_text(yaml.safe_dump(centres), encoding="utf-8")
    code, out = doctor(capsys, "--db", str(db), "--catalogue", str(tmp_path))
    assert code == 0
    assert "1 départements n'ont pas de groupe de bénévoles : Creuse (23)" in out
