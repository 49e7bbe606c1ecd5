from __future__ import annotations

import pytest

from bot.catalogue.gazetteer import Gazetteer, Outcome

# (typed text, INSEE code of the commune it must resolve to)
FOUND = [
    ("87000", "87085"),
    ("33 000", "33063"),
    ("33000", "33063"),
    ("Guéret", "23096"),
    ("gueret", "23096"),
    ("GUERET", "23096"),
    ("  Guéret  ", "23096"),
    ("bordo", "33063"),
    ("bordeau", "33063"),
    ("Bordeaux", "33063"),
    ("perigeux", "24322"),
    ("Périgueux", "24322"),
    ("mont de marsan", "40192"),
    ("Mont-de-Marsan", "40192"),
    ("montdemarsan", "40192"),
    ("st junien", "87154"),
    ("saint-junien", "87154"),
    ("larochelle", "17300"),
    ("La Rochelle", "17300"),
    ("rochelle", "17300"),
    ("chatelerault", "86066"),
    ("Châtellerault", "86066"),
    ("limoge", "87085"),
    ("Poitier", "86194"),
    ("poitiers", "86194"),
    ("angouleme", "16015"),
    ("Angoulème", "16015"),
    ("brive", "19031"),
    ("brive la gaillarde", "19031"),
    ("ste foy la grande", "33402"),
    ("st emilion", "33394"),
    ("la teste", "33529"),
    ("sarlat", "24520"),
    ("oloron", "64422"),
    ("bayonne", "64102"),
    ("niort", "79191"),
    ("agen", "47001"),
    ("villeneuve sur lot", "47323"),
    ("aubusson", "23008"),
    ("la souterraine", "23176"),
    ("Felletin", "23079"),
    ("tulle", "19272"),
    ("bergerac", "24037"),
    ("dax", "40088"),
    ("pau", "64445"),
    ("saintes", "17415"),
    ("l'isle d'espagnac", "16166"),
    ("isle d espagnac", "16166"),
]


@pytest.mark.parametrize(("text", "insee"), FOUND)
def test_resolves_real_spellings(gazetteer: Gazetteer, text: str, insee: str) -> None:
    result = gazetteer.resolve(text)
    assert result.outcome is Outcome.FOUND, (text, result)
    assert result.place is not None and result.place.insee == insee


def test_typo_is_flagged_as_corrected(gazetteer: Gazetteer) -> None:
    assert gazetteer.resolve("bordo").corrected
    assert not gazetteer.resolve("Bordeaux").corrected


def test_homonyms_give_ranked_candidates_with_departments(gazetteer: Gazetteer) -> None:
    result = gazetteer.resolve("saint paul")
    assert result.outcome is Outcome.AMBIGUOUS
    assert {c.department for c in result.candidates} == {"19", "33", "87"}
    populations = [c.population for c in result.candidates]
    assert populations == sorted(populations, reverse=True)


def test_shared_postal_code_is_ambiguous(gazetteer: Gazetteer) -> None:
    result = gazetteer.resolve("19150")
    assert result.outcome is Outcome.AMBIGUOUS
    assert len(result.candidates) > 2
    assert all(c.department == "19" and "19150" in c.postal_codes for c in result.candidates)


def test_shared_postal_code_ranks_the_largest_commune_first(gazetteer: Gazetteer) -> None:
    result = gazetteer.resolve("23000")
    assert result.outcome is Outcome.AMBIGUOUS
    assert result.candidates[0].name == "Guéret"


def test_word_start_shared_by_similar_communes_is_ambiguous(gazetteer: Gazetteer) -> None:
    result = gazetteer.resolve("st yrieix")
    assert result.outcome is Outcome.AMBIGUOUS
    assert "Saint-Yrieix-la-Perche" in {c.name for c in result.candidates}


@pytest.mark.parametrize(
    ("text", "name", "department"),
    [
        ("Toulouse", "Toulouse", "Haute-Garonne"),
        ("31000", "Toulouse", "Haute-Garonne"),
        ("paris", "Paris", "Paris"),
        ("Nantes", "Nantes", "Loire-Atlantique"),
    ],
)
def test_place_outside_region_is_named(
    gazetteer: Gazetteer, text: str, name: str, department: str
) -> None:
    result = gazetteer.resolve(text)
    assert result.outcome is Outcome.OUTSIDE
    assert result.outside is not None
    assert (result.outside.name, result.outside.department_name) == (name, department)


@pytest.mark.parametrize("text", ["45.83,1.26", "geo:45.83,1.26", "45.83, 1.26", "45.83;1.26"])
def test_coordinates_pass_through(gazetteer: Gazetteer, text: str) -> None:
    result = gazetteer.resolve(text)
    assert result.outcome is Outcome.FOUND and result.place is not None
    assert (result.place.lat, result.place.lon) == (45.83, 1.26)
    assert result.place.name == "Limoges"  # named after the nearest town hall


def test_coordinates_outside_region(gazetteer: Gazetteer) -> None:
    assert gazetteer.resolve("48.85,2.35").outcome is Outcome.OUTSIDE


@pytest.mark.parametrize("text", ["xyzzy", "", "   ", "!!!", "12"])
def test_nonsense_is_unknown(gazetteer: Gazetteer, text: str) -> None:
    assert gazetteer.resolve(text).outcome is Outcome.UNKNOWN


def test_unknown_close_names_are_offered(gazetteer: Gazetteer) -> None:
    result = gazetteer.resolve("Guérettttt-sur-mer")
    assert result.outcome is Outcome.UNKNOWN
    assert [c.name for c in result.candidates] == ["La Couarde-sur-Mer"]


def test_typo_with_extra_letters_still_found(gazetteer: Gazetteer) -> None:
    result = gazetteer.resolve("limogesxyz")
    assert result.found and result.corrected
    assert result.place is not None and result.place.name == "Limoges"


def test_gazetteer_holds_every_commune_of_the_region(gazetteer: Gazetteer) -> None:
    assert len(gazetteer.communes) == 4293
    assert {c.department for c in gazetteer.communes} == {
        "16",
        "17",
        "19",
        "23",
        "24",
        "33",
        "40",
        "47",
        "64",
        "79",
        "86",
        "87",
    }
    for c in gazetteer.communes:  # every town hall lies inside the region's box
        assert 42.7 < c.lat < 47.2 and -1.9 < c.lon < 2.7, c


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Creuse", "23"),
        ("creuse", "23"),
        ("Creuze", "23"),
        ("Haute-Vienne", "87"),
        ("haute vienne", "87"),
        ("Hte Vienne", "87"),
        ("la Gironde", "33"),
        ("Dordogne", "24"),
        ("Pyrénées-Atlantiques", "64"),
        ("pyrenees atlantique", "64"),
        ("Deux-Sèvres", "79"),
        ("Lot-et-Garonne", "47"),
        ("64", "64"),
        ("23", "23"),
    ],
)
def test_departments_are_departments_not_communes(
    gazetteer: Gazetteer, text: str, code: str
) -> None:
    result = gazetteer.resolve(text)  # never "La Creuse (Haute-Saône)" nor "Hautesvignes"
    assert result.outcome is Outcome.DEPARTMENT and result.department == code, result


@pytest.mark.parametrize("text", ["Gironde-sur-Dropt", "Guéret", "Limoges", "Pau", "Bordo"])
def test_communes_near_a_department_name_stay_communes(gazetteer: Gazetteer, text: str) -> None:
    assert gazetteer.resolve(text).outcome is Outcome.FOUND


def test_largest_communes_of_a_department(gazetteer: Gazetteer) -> None:
    assert [c.name for c in gazetteer.largest("23", 2)] == ["Guéret", "La Souterraine"]
