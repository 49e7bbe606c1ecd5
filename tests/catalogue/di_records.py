"""data·inclusion records for the tests, made with the schema package's own models.

Valid records are `Service` / `Structure` instances dumped as the open data holds them; the
invalid ones are those records with one field broken, as a producer could send them.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from data_inclusion.schema.v1 import (
    Frais,
    ModeAccueil,
    ModeMobilisation,
    Public,
    ReseauPorteur,
    Service,
    Structure,
    Thematique,
)

UPDATED = date(2026, 10, 1)


def structure(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "source": "dora",
        "id": "dora--jardins-limoges",
        "nom": "Les Jardins du Limousin (exemple)",
        "date_maj": UPDATED,
        "code_insee": "87085",
        "telephone": "+33536490101",
        "horaires_accueil": "Mo-Fr 08:30-12:00,13:30-17:00",
        "reseaux_porteurs": [ReseauPorteur.ACI],
    }
    made = Structure.model_validate(base | fields)
    return dict(made.model_dump(mode="json", exclude_none=True))


def service(**fields: Any) -> dict[str, Any]:
    """A valid service, as data·inclusion's export holds it."""
    base: dict[str, Any] = {
        "source": "dora",
        "structure_id": "dora--jardins-limoges",
        "id": "dora--svc-1",
        "nom": "Chantier d'insertion maraîchage",
        "description": "Travailler au jardin, en équipe, avec un encadrant. Contrat de 26 h.",
        "date_maj": UPDATED,
        "thematiques": [Thematique.TROUVER_UN_EMPLOI__REPONDRE_A_DES_OFFRES_DEMPLOI],
        "frais": Frais.GRATUIT,
        "publics": [Public.TOUS_PUBLICS],
        "commune": "Limoges",
        "code_postal": "87000",
        "code_insee": "87085",
        "adresse": "12 rue des Jardins",
        "latitude": 45.8336,
        "longitude": 1.2611,
        "telephone": "+33536490102",
        "modes_accueil": [ModeAccueil.EN_PRESENTIEL],
        "modes_mobilisation": [ModeMobilisation.TELEPHONER],
        "horaires_accueil": "Mo-Fr 08:30-12:00; PH off",
        "volume_horaire_hebdomadaire": 26,
    }
    made = Service.model_validate(base | fields)
    return dict(made.model_dump(mode="json", exclude_none=True))


def fle_course() -> dict[str, Any]:
    """An FLE course without dates, in Bordeaux, registering through a link."""
    return service(
        structure_id="dora--asso-bordeaux",
        id="dora--fle-7",
        nom="Cours de français pour adultes",
        description="Apprendre le français à l'oral et à l'écrit, en petit groupe.",
        thematiques=[Thematique.LECTURE_ECRITURE_CALCUL__MAITRISER_LE_FRANCAIS],
        publics=[Public.PERSONNES_EXILEES],
        commune="Bordeaux",
        code_postal="33000",
        code_insee="33063",
        adresse="5 place de la Victoire",
        latitude=44.8309,
        longitude=-0.5728,
        telephone=None,
        lien_mobilisation="https://inscription.example.org/fle",
        modes_mobilisation=[ModeMobilisation.UTILISER_LIEN_MOBILISATION],
        horaires_accueil="Tu,Th 14:00-16:30",
        volume_horaire_hebdomadaire=None,
    )


def invalid_records() -> dict[str, dict[str, Any]]:
    """One broken record per case, by what is wrong with it."""
    missing = service(id="dora--missing")
    del missing["nom"]
    unknown = service(id="dora--unknown")
    unknown["thematiques"] = ["cuisine--faire-des-crepes"]
    future = service(id="dora--future")
    future["date_maj"] = "2099-01-01"
    return {"missing nom": missing, "unknown thématique": unknown, "future date_maj": future}


def comma_coordinates() -> dict[str, Any]:
    record = service(id="dora--comma", nom="Atelier numérique", adresse="1 rue Haute")
    record["latitude"], record["longitude"] = "45,8336", "1,2611"
    return record


def outside_region() -> dict[str, Any]:
    return service(
        id="dora--paris", commune="Paris", code_postal="75001", code_insee="75056", adresse="1 rue"
    )


def write_json(path: Path, records: list[dict[str, Any]], lines: bool = False) -> Path:
    if lines:
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    else:
        text = json.dumps(records, ensure_ascii=False, indent=1)
    path.write_text(text, encoding="utf-8")
    return path
