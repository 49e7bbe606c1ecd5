"""Whole conversations through `repere chat`, as another program would drive it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.channels.chat_helpers import asks, chat, last_ask, suggestions

# A beneficiary in Guéret who wants to read and write, went to school in France.
BENEFICIARY = [
    "Français",
    "D'accord",
    "Guéret",
    "Lire, écrire, compter",
    "Oui, en France",
    "26 à 49 ans",
    "Oui",
    "En voiture",
]
BENEFICIARY_STEPS = [
    "language",
    "consent",
    "where",
    "need",
    "school",
    "age",
    "jobseeker",
    "mobility",
    "results",
]


def test_whole_beneficiary_conversation() -> None:
    replies = chat([*BENEFICIARY, "Continuer", "Voir le résumé", "C'est bon", "Non merci"])
    steps = [a["step"] for a in asks(replies)]
    assert steps == [*BENEFICIARY_STEPS, "what_next", "summary", "followup_offer"]
    shown = suggestions(replies)
    assert 1 <= len(shown) <= 3
    assert all("savoirs_de_base" in s["themes"] for s in shown)
    assert shown[0]["distance_km"] is not None and shown[0]["distance_km"] < 2
    summary = next(r["text"] for r in replies if r["text"].startswith("📋"))
    assert "Commune : Guéret" in summary and "Besoin : Lire, écrire, compter" in summary
    assert replies[-1]["expects"] is None and replies[-1]["text"].startswith("Merci")


def test_json_lines_contract() -> None:
    replies = chat(BENEFICIARY[:3])
    for r in replies:
        assert set(r) >= {"step", "text", "choices", "expects"}
        assert r["expects"] in (None, "choice", "choices", "text", "number", "place", "phone")
    assert replies[0] == {
        "step": "language",
        "text": "Bonjour ! Je suis Repère. Choisissez votre langue.",
        "choices": ["💬 Français", "💬 English", "💬 العربية", "💬 Українська", "💬 فارسی"],
        "expects": "choice",
    }
    assert last_ask(replies)["expects"] == "choice"  # "need" after the place
    results = [r for r in chat(BENEFICIARY) if "suggestions" in r]
    assert results and results[0]["expects"] is None
    assert set(results[0]["suggestions"][0]) == {"id", "title", "themes", "distance_km"}


def test_numbers_labels_and_place_forms() -> None:
    replies = chat(["1", "1", "23000"])
    # 23000 is shared by several communes: the bot asks which one, Guéret first
    place_ask = asks(replies)[2]
    assert place_ask["step"] == "where" and place_ask["expects"] == "place"
    which = last_ask(replies)
    assert which["step"] == "where" and which["choices"][0].endswith("Guéret (Creuse)")
    assert last_ask(chat(["1", "1", "23000", "1"]))["step"] == "need"
    assert last_ask(chat(["1", "1", "33 000"]))["step"] == "need"
    assert last_ask(chat(["1", "1", "geo:46.17,1.87"]))["step"] == "need"


@pytest.mark.parametrize("k", range(1, len(BENEFICIARY) + 1))
def test_retour_at_every_step(k: int) -> None:
    """After k answers, /retour goes back one step and offers the earlier answer again."""
    replies = chat([*BENEFICIARY[:k], "/retour"])
    back = last_ask(replies)
    assert back["step"] == BENEFICIARY_STEPS[k - 1]
    if BENEFICIARY_STEPS[k - 1] not in ("language", "where"):  # choices: the old one is marked
        assert any(c.startswith("✅") for c in back["choices"]), back
    if k > 1:
        assert any(r["text"].startswith("Avant, vous avez répondu") for r in replies[-3:])
    # answering again goes on as before
    again = chat([*BENEFICIARY[:k], "/retour", BENEFICIARY[k - 1]])
    assert last_ask(again)["step"] == BENEFICIARY_STEPS[k]


def test_retour_at_the_start_says_so() -> None:
    replies = chat(["/retour"])
    assert replies[-2]["text"] == "Vous êtes au début."
    assert last_ask(replies)["step"] == "language"


def test_recommencer_keeps_the_language_and_forgets_answers() -> None:
    replies = chat([*BENEFICIARY[:5], "/recommencer"])
    assert any(r["text"] == "On recommence depuis le début." for r in replies)
    assert last_ask(replies)["step"] == "where"  # the consent given is remembered
    replies = chat([*BENEFICIARY[:5], "/recommencer", "Limoges", "/retour"])
    assert last_ask(replies)["step"] == "where"


def test_typo_on_a_choice_asks_did_you_mean() -> None:
    replies = chat(["1", "1", "Guéret", "parlé fransai"])
    confirm = last_ask(replies)
    assert confirm["text"] == "Vouliez-vous dire : 🗣️ Parler français ?"
    assert confirm["choices"] == ["👍 Oui", "👎 Non"]
    assert last_ask(chat(["1", "1", "Guéret", "parlé fransai", "oui"]))["step"] == "age"
    assert last_ask(chat(["1", "1", "Guéret", "parlé fransai", "non"]))["step"] == "need"


def test_everyday_words_on_the_need_step() -> None:
    confirm = last_ask(chat(["1", "1", "Guéret", "je veux un ordi"]))
    assert confirm["text"] == "Vouliez-vous dire : 💻 Ordinateur et téléphone ?"


def test_unknown_text_re_asks_with_the_choices() -> None:
    replies = chat(["1", "1", "Guéret", "blablabla zzz"])
    assert replies[-2]["text"] == "Je n'ai pas compris. Choisissez un bouton."
    assert last_ask(replies)["step"] == "need" and len(last_ask(replies)["choices"]) == 7


def test_unknown_and_outside_places() -> None:
    replies = chat(["1", "1", "Toulouse"])
    assert "Toulouse (Haute-Garonne) n'est pas en Nouvelle-Aquitaine" in replies[-2]["text"]
    assert last_ask(replies)["step"] == "where"
    replies = chat(["1", "1", "qsdfghjkl"])
    assert "Je ne connais pas cette commune" in replies[-2]["text"]
    assert last_ask(replies)["expects"] == "place"


# The three reading / French branches, and "je ne sais pas"
@pytest.mark.parametrize(
    ("branch", "theme"),
    [
        (["Lire, écrire, compter", "Oui, en France"], "savoirs_de_base"),
        (["Lire, écrire, compter", "Non, presque pas", "Pas encore"], "alphabetisation"),
        (["Lire, écrire, compter", "Oui, dans un autre pays", "Un peu"], "fle"),
        (["Je ne sais pas", "Oui, dans un autre pays", "Pas encore"], "fle"),
        (["Parler français"], "fle"),
    ],
)
def test_reading_branches_reach_the_right_theme(branch: list[str], theme: str) -> None:
    lines = ["1", "1", "Bordeaux", *branch, "26 à 49 ans", "Oui", "En bus ou en train"]
    shown = suggestions(chat(lines))
    assert shown and theme in shown[0]["themes"], shown


def test_voir_plus_shows_other_offers() -> None:
    lines = ["1", "1", "Bordeaux", "Parler français", "26 à 49 ans", "Oui", "En voiture"]
    replies = chat([*lines, "Voir plus"])
    pages = [r["suggestions"] for r in replies if "suggestions" in r]
    assert len(pages) == 2
    first, second = {s["id"] for s in pages[0]}, {s["id"] for s in pages[1]}
    assert second and not first & second


def test_summary_modifier_changes_an_answer() -> None:
    lines = [*BENEFICIARY, "Continuer", "Voir le résumé", "Modifier : Commune", "Limoges"]
    replies = chat(lines)
    summaries = [r["text"] for r in replies if r["text"].startswith("📋")]
    assert "Commune : Guéret" in summaries[0] and "Commune : Limoges" in summaries[-1]
    assert last_ask(replies)["step"] == "summary"


def test_consent_refused_ends_kindly() -> None:
    replies = chat(["1", "Non merci"])
    assert replies[-1]["expects"] is None and "Je ne garde rien" in replies[-1]["text"]


def test_whole_volunteer_checklist() -> None:
    lines = [
        "oui",
        "Limoges",
        "arabe",
        "Un peu",
        "Inscrite à France Travail",
        "Touche le RSA",
        "Valider",
        "34",
        "1",
        "4",
        "Valider",
        "Parler français",
        "Valider",
        "2",
        "Le matin",
        "Valider",
        "Continuer",
        "Appeler l'organisme ensemble",
        "Valider",
        "C'est bon",
    ]
    replies = chat(lines, "--flow", "volunteer")
    steps = [a["step"] for a in asks(replies)]
    assert steps[0] == "consent" and steps[-1] == "summary"
    assert asks(replies)[0]["text"].startswith("Étape 1 sur 13\n")
    assert any(a["text"].startswith("Étape 3 sur 13\n") for a in asks(replies))
    shown = suggestions(replies)
    assert shown and all("fle" in s["themes"] for s in shown)
    summary = next(r["text"] for r in replies if r["text"].startswith("📋"))
    for expected in (
        "Commune : Limoges",
        "Langue de la personne : arabe",
        "Français : Un peu",
        "Âge : 34",
        "Documents : Pièce d'identité, CV",
        "Besoins : Parler français",
        "Prochaines étapes : Appeler l'organisme",
    ):
        assert expected in summary, summary
    assert replies[-1]["text"].startswith("C'est fini")


def test_volunteer_number_validation() -> None:
    replies = chat(
        ["oui", "Limoges", "arabe", "Un peu", "1", "Valider", "douze"], "--flow", "volunteer"
    )
    assert replies[-2]["text"] == "Écrivez un nombre en chiffres, par exemple 35."
    replies = chat(
        ["oui", "Limoges", "arabe", "Un peu", "1", "Valider", "12"], "--flow", "volunteer"
    )
    assert replies[-2]["text"] == "Écrivez un nombre entre 16 et 99."
    assert last_ask(replies)["step"] == "age"


def test_multiple_choice_needs_one_answer_before_valider() -> None:
    replies = chat(["oui", "Limoges", "arabe", "Un peu", "Valider"], "--flow", "volunteer")
    assert replies[-2]["text"] == "Choisissez au moins 1 réponse."


def test_lang_flag_skips_the_language_question() -> None:
    replies = chat([], "--lang", "en")
    assert replies[0]["step"] == "consent" and replies[0]["text"].startswith("I keep your")


def test_langue_command_switches_and_keeps_answers() -> None:
    replies = chat(["1", "1", "Guéret", "/langue", "English"])
    assert last_ask(replies)["text"] == "What do you want to learn or do?"
    replies = chat(["1", "1", "Guéret", "/langue", "English", "/retour"])
    assert replies[-2]["text"] == "Before, you answered: Guéret"


def test_end_of_input_exits_cleanly_and_empty_lines_are_ignored() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--json", "--today", "2026-11-26"],
        input="\n1\n\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["step"] for r in lines] == ["language", "consent"]
