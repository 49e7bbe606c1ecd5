"""The offer model: a training or an insertion structure (ACI), validated at load time."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

# A theme's name: the themes are data (catalogue/themes.yaml, see bot/catalogue/themes.py), so
# a name is a plain string, checked against that file when offers and flows are loaded.
Theme = str


class Kind(StrEnum):
    TRAINING = "training"
    ACI = "aci"


class Mode(StrEnum):
    ON_SITE = "on_site"
    MIXED = "mixed"
    REMOTE = "remote"


class Funder(StrEnum):
    REGION = "region"
    FRANCE_TRAVAIL = "france_travail"
    STATE = "state"
    DEPARTMENT = "department"
    EUROPE = "europe"
    OTHER = "other"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


InseeCode = Annotated[str, StringConstraints(pattern=r"^(\d{5}|2[AB]\d{3})$")]
PostalCode = Annotated[str, StringConstraints(pattern=r"^\d{5}$")]
OfferId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{2,79}$")]
NonEmpty = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


class Location(Strict):
    address: NonEmpty
    insee: InseeCode
    postal_code: PostalCode | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class Session(Strict):
    start: date | None = None
    end: date | None = None
    registration: Literal["open", "closed"] = "open"

    @model_validator(mode="after")
    def _ordered(self) -> Session:
        if self.start and self.end and self.end < self.start:
            raise ValueError("the session ends before it starts")
        return self


class Prescription(Strict):
    required: bool = False
    by: list[NonEmpty] = Field(default_factory=list)


class Eligibility(Strict):
    age_min: int | None = Field(default=None, ge=14, le=99)
    age_max: int | None = Field(default=None, ge=14, le=99)
    jobseeker_required: bool = False
    rsa_only: bool = False
    publics: list[NonEmpty] = Field(
        default_factory=list
    )  # plain words: "demandeurs d'emploi", "réfugiés"…
    prescription: Prescription = Field(default_factory=Prescription)

    @model_validator(mode="after")
    def _ages(self) -> Eligibility:
        if self.age_min is not None and self.age_max is not None and self.age_max < self.age_min:
            raise ValueError("age_max is below age_min")
        return self


class Cost(Strict):
    free: bool = True
    price_eur: float | None = Field(default=None, ge=0)
    funders: list[Funder] = Field(default_factory=list)
    trainee_pay: bool = False  # rémunération possible


class Contact(Strict):
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9 .]{10,17}$")
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")
    url: str | None = Field(default=None, pattern=r"^https?://\S+$")
    how_to_register: str | None = None  # where and how to register, in plain words

    @model_validator(mode="after")
    def _reachable(self) -> Contact:
        if not (self.phone or self.email or self.url or self.how_to_register):
            raise ValueError("a contact needs a phone, an e-mail, a url or a way to register")
        return self


class Organisation(Strict):
    name: NonEmpty
    url: str | None = None


class Offer(Strict):
    id: OfferId
    title: NonEmpty
    summary: NonEmpty
    kind: Kind = Kind.TRAINING
    themes: list[Theme] = Field(min_length=1)  # checked against themes.yaml at load
    formacode: list[Annotated[str, StringConstraints(pattern=r"^\d{5}$")]] = Field(
        default_factory=list
    )
    scheme: str | None = None  # "HSP Socle de compétences — ECLA", "1er niveau de qualification"…
    organisation: Organisation
    places: list[Location] = Field(default_factory=list)
    mode: Mode = Mode.ON_SITE
    sessions: list[Session] = Field(default_factory=list)
    permanent_entry: bool = False
    weekly_hours: float | None = Field(default=None, gt=0, le=50)
    eligibility: Eligibility = Field(default_factory=Eligibility)
    cost: Cost = Field(default_factory=Cost)
    pmr: bool | None = None  # accessible to people with reduced mobility
    languages: list[Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]] = Field(
        default_factory=lambda: ["fr"]
    )
    contact: Contact
    documents: list[NonEmpty] = Field(default_factory=list)
    opening_hours: str | None = None
    last_updated: date
    source: Literal["manual", "lheo", "example", "data-inclusion"] = "manual"
    # who first published an imported offer: data·inclusion's source ("dora", "france-travail"…)
    provider: str | None = None

    @model_validator(mode="after")
    def _placed(self) -> Offer:
        if self.mode is not Mode.REMOTE and not self.places:
            raise ValueError("an offer that is not remote needs at least one place")
        if not self.sessions and not self.permanent_entry:
            raise ValueError("give sessions, or permanent_entry: true")
        return self


class OfferFile(Strict):
    """One YAML file of the catalogue."""

    department: Annotated[str, StringConstraints(pattern=r"^(\d{2}|2[AB]|all)$")] | None = None
    offers: list[Offer] = Field(default_factory=list)
