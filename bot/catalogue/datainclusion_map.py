"""The coordinators' mapping from data·inclusion's vocabulary to Repère's (data-inclusion.yaml).

Checked when loaded: every key must be a value of data·inclusion's own schema (the
`data-inclusion-schema` package), every theme a theme of themes.yaml; a mistake is reported as
`path:line: message`, before anything is imported.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Annotated

from data_inclusion.schema.v1 import Frais, Public, ReseauPorteur, Thematique
from pydantic import Field, StringConstraints

from bot.catalogue.model import Strict, Theme
from bot.paths import CATALOGUE_DIR
from bot.yamlsrc import DataError, Problem, Source, read_source, validate

MAPPING_FILE = "data-inclusion.yaml"
Text = Annotated[str, StringConstraints(min_length=1)]


class PublicRule(Strict):
    label: Text
    jobseeker_required: bool = False
    rsa_only: bool = False
    age_min: int | None = Field(default=None, ge=14, le=99)
    age_max: int | None = Field(default=None, ge=14, le=99)


class FraisRule(Strict):
    free: bool


class HoursWords(Strict):
    days: list[Text] = Field(min_length=7, max_length=7)
    day_range: Text
    time_range: Text
    time: Text
    closed_holidays: Text
    all_week: Text
    separator: Text
    and_: Text = Field(alias="and")


class RegisterWords(Strict):
    link: Text
    phone: Text
    email: Text
    visit: Text
    anytime: Text
    professionals: Text


class Mapping(Strict):
    thematiques: dict[str, list[Theme]]
    reseaux_porteurs: dict[ReseauPorteur, list[Theme]] = Field(default_factory=dict)
    insertion_networks: list[ReseauPorteur] = Field(default_factory=list)
    publics: dict[Public, PublicRule] = Field(default_factory=dict)
    frais: dict[Frais, FraisRule] = Field(default_factory=dict)
    hours: HoursWords
    registration: RegisterWords

    @cached_property
    def themes_by_thematique(self) -> dict[str, tuple[Theme, ...]]:
        """Every thématique of the schema -> its themes (families expanded), unmapped left out."""
        out: dict[str, tuple[Theme, ...]] = {}
        for value in (t.value for t in Thematique):
            themes: list[Theme] = []
            for key, mapped in self.thematiques.items():
                if key == value or (key.endswith("--*") and value.startswith(key[:-1])):
                    themes += [t for t in mapped if t not in themes]
            if themes:
                out[value] = tuple(themes)
        return out


def mapping_file(directory: Path) -> Path:
    """The mapping beside a catalogue's offers, else the bundled one."""
    path = directory / MAPPING_FILE
    return path if path.exists() else CATALOGUE_DIR / MAPPING_FILE


def load_mapping(path: Path, themes: frozenset[Theme]) -> Mapping:
    """The mapping file, checked against the schema's values and the themes; DataError if not."""
    source = read_source(path)
    mapping = validate(source, Mapping)
    known = {t.value for t in Thematique}
    problems: list[Problem] = []
    for key, mapped in mapping.thematiques.items():
        family = key[:-1] if key.endswith("--*") else None
        if key not in known and not (family and any(k.startswith(family) for k in known)):
            problems.append(
                source.problem(("thematiques", key), f"'{key}' is not a data·inclusion thématique")
            )
        problems += _unknown(source, ("thematiques", key), mapped, themes)
    for network, mapped in mapping.reseaux_porteurs.items():
        problems += _unknown(source, ("reseaux_porteurs", network.value), mapped, themes)
    if problems:
        raise DataError(problems)
    return mapping


def _unknown(
    source: Source, loc: tuple[str, ...], mapped: list[Theme], themes: frozenset[Theme]
) -> list[Problem]:
    return [
        source.problem((*loc, i), f"unknown theme '{t}' (known: {', '.join(sorted(themes))})")
        for i, t in enumerate(mapped)
        if t not in themes
    ]
