"""The themes as data: typed needs in five languages, and a theme added in YAML only."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from bot.catalogue.gazetteer import Gazetteer
from bot.catalogue.load import load_catalogue
from bot.catalogue.themes import LANGUAGES, Lexicon
from bot.cli import main
from bot.dialogue.flow import load_flow
from bot.matching import Matcher, Profile
from bot.paths import CATALOGUE_DIR, FLOWS_DIR
from bot.yamlsrc import DataError
from tests.conftest import offer, write_catalogue

FIXTURES = Path(__file__).parent / "fixtures"

# (typed text, the theme that must come first)
NEEDS = [
    # French, with typos and SMS spelling
    ("apprendre à lire", "savoirs_de_base"),
    ("apprendre a lire", "savoirs_de_base"),
    ("écrire", "savoirs_de_base"),
    ("les maths", "savoirs_de_base"),
    ("parler français", "fle"),
    ("je veux aprendre le fransai", "fle"),
    ("cours de francais svp", "fle"),
    ("ordinateur", "numerique"),
    ("ordinater", "numerique"),
    ("l'ordi", "numerique"),
    ("internet", "numerique"),
    ("trouver un métier", "projet_pro"),
    ("je cherche un boulot", "projet_pro"),
    ("cuisine", "pre_qualification"),
    ("batiment", "pre_qualification"),
    ("chantier d'insertion", "iae"),
    ("chantier insertion", "iae"),
    ("jardins du coeur", "iae"),
    ("j'ai jamais été à l'école", "alphabetisation"),
    ("je ne sais pas lire", "alphabetisation"),
    ("fle", "fle"),
    ("numerique", "numerique"),
    ("aprendre a lir", "savoirs_de_base"),
    ("informatik", "numerique"),
    ("fransé", "fle"),
    ("garde d'enfants", "pre_qualification"),  # not "garden"
    ("aide soignante", "pre_qualification"),  # not "aide" (I don't know)
    # the specific word wins over the generic one
    ("travailler dans un jardin", "iae"),
    ("je veux travailler en cuisine", "pre_qualification"),
    ("un travail sur ordinateur", "numerique"),
    ("travailler", "projet_pro"),
    # English
    ("computer", "numerique"),
    ("I want to learn French", "fle"),
    ("garden", "iae"),
    ("gardening job", "iae"),
    ("learn to read", "savoirs_de_base"),
    ("find a job", "projet_pro"),
    ("cooking", "pre_qualification"),
    # Arabic, with its letter variants and diacritics
    ("كمبيوتر", "numerique"),
    ("كـمـبـيـوتـر", "numerique"),  # tatweel
    ("كُمْبْيُوتَر", "numerique"),  # diacritics
    ("أريد تعلم اللغة الفرنسية", "fle"),
    ("اريد تعلم اللغه الفرنسيه", "fle"),
    ("القراءة والكتابة", "savoirs_de_base"),
    ("حديقة", "iae"),
    ("عمل", "projet_pro"),
    ("تعلم الكمبيوتر", "numerique"),
    ("أريد أن أتعلم القراءة", "savoirs_de_base"),
    # Ukrainian, with every apostrophe
    ("робота", "projet_pro"),
    ("комп'ютер", "numerique"),
    ("комп’ютер", "numerique"),
    ("компʼютер", "numerique"),
    ("французька мова", "fle"),
    ("читати", "savoirs_de_base"),
    ("сад", "iae"),
    ("робота в саду", "iae"),  # the garden over the work
    ("я хочу вивчити французьку", "fle"),
    # Persian (Dari), Arabic or Persian letters
    ("زبان فرانسه", "fle"),
    ("زبان فرانسوي", "fle"),
    ("کامپیوتر", "numerique"),
    ("كامپيوتر", "numerique"),
    ("خواندن و نوشتن", "savoirs_de_base"),
    ("باغبانی", "iae"),
    ("کار", "projet_pro"),
    ("کار در باغ", "iae"),
    ("میخواهم فرانسه یاد بگیرم", "fle"),
    ("آموزش کامپیوتر", "numerique"),
]


@pytest.mark.parametrize(("text", "theme"), NEEDS)
def test_everyday_words_reach_their_theme(lexicon: Lexicon, text: str, theme: str) -> None:
    match = lexicon.match(text)
    assert match.themes and match.themes[0] == theme, (text, match)
    assert not match.unsure


@pytest.mark.parametrize(
    "text",
    [
        *("je sais pas", "je ne sais pas", "jsp", "chais pas", "aucune idée"),
        *("idk", "I don't know", "не знаю", "نمی دانم", "نمی‌دانم", "نميدانم", "لا أعرف"),
    ],
)
def test_i_dont_know_is_unsure(lexicon: Lexicon, text: str) -> None:
    match = lexicon.match(text)
    assert match.unsure, (text, match)
    assert match.themes  # still something to propose


@pytest.mark.parametrize(
    "text",
    [
        *("bla bla", "qwerty", "", "capable", "🙂", "bonjour", "Creuse", "19"),
        # needs no theme answers: nothing, rather than a wrong guess
        *("permis de conduire", "apprendre à conduire", "conduire", "driving licence"),
        *("رخصة القيادة", "водіння", "رانندگی"),
    ],
)
def test_nonsense_and_unknown_needs_match_nothing(lexicon: Lexicon, text: str) -> None:
    assert not lexicon.match(text).found, text


def test_every_theme_has_a_label_in_five_languages(lexicon: Lexicon) -> None:
    for theme in lexicon.names:
        for lang in LANGUAGES:
            assert lexicon.label(theme, lang)


def test_formacode_prefixes_and_objectives(lexicon: Lexicon) -> None:
    codes = lexicon.formacodes
    assert codes.theme("15235") == "fle"
    assert codes.theme("70812") == "numerique"  # the prefix 7081 names a whole family
    assert codes.theme("99999") is None
    assert codes.objective("9") == "projet_pro"


# -- a theme added in YAML only --------------------------------------------------------------

NEW_THEME = {
    "label": {
        "fr": "Conduire",
        "en": "Driving",
        "ar": "القيادة",
        "uk": "Водіння",
        "fa": "رانندگی",
    },
    "formacode": ["999"],
    "words": {"fr": ["conduire", "apprendre a conduire", "permis de conduire"], "en": ["driving"]},
}


def with_new_theme(directory: Path) -> Path:
    data = yaml.safe_load((CATALOGUE_DIR / "themes.yaml").read_text(encoding="utf-8"))
    data["themes"]["conduite"] = NEW_THEME
    path = directory / "themes.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_a_theme_added_in_yaml_is_loaded_matched_and_imported(
    tmp_path: Path, gazetteer: Gazetteer, capsys: pytest.CaptureFixture[str]
) -> None:
    lexicon = Lexicon.load(with_new_theme(tmp_path))
    assert lexicon.match("apprendre à conduire").themes[0] == "conduite"  # beats "unknown"
    write_catalogue(tmp_path, [offer(id="driving-1", themes=["conduite"])])
    catalogue = load_catalogue(tmp_path, gazetteer, cache_dir=tmp_path / "cache")
    place = gazetteer.resolve("Guéret").place
    assert place is not None
    found = Matcher(catalogue).suggest(Profile(place, ("conduite",)), date(2026, 11, 26))
    assert [s.offer.id for s in found.suggestions] == ["driving-1"]
    lheo = str(FIXTURES / "lheo-2.3.xml")
    code = main(["catalogue", "import-lheo", lheo, "--out", str(tmp_path), "--today", "2026-11-26"])
    assert code == 0
    imported = yaml.safe_load((tmp_path / "offers" / "lheo-23.yaml").read_text())["offers"]
    assert any(o["themes"] == ["conduite"] for o in imported)  # FORMACODE 99999, prefix 999
    capsys.readouterr()
    assert main(["catalogue", "check", str(tmp_path), "--today", "2026-11-26"]) == 0


def test_the_bundled_catalogue_refuses_the_new_theme(tmp_path: Path, gazetteer: Gazetteer) -> None:
    write_catalogue(tmp_path, [offer(id="driving-1", themes=["conduite"])])
    with pytest.raises(DataError) as info:
        load_catalogue(tmp_path, gazetteer, use_cache=False)
    assert "t.yaml:" in str(info.value) and "unknown theme 'conduite'" in str(info.value)


def test_a_flow_naming_an_unknown_theme_is_an_error_at_its_line(tmp_path: Path) -> None:
    text = (FLOWS_DIR / "beneficiary.yaml").read_text(encoding="utf-8")
    text = text.replace("data: {themes: [numerique]}", "data: {themes: [cuisine]}")
    path = tmp_path / "beneficiary.yaml"
    path.write_text(text, encoding="utf-8")
    line = next(i for i, s in enumerate(text.splitlines(), 1) if "[cuisine]" in s)
    with pytest.raises(DataError) as info:
        load_flow(path)
    assert f"beneficiary.yaml:{line}: unknown theme 'cuisine'" in str(info.value)
