"""Restos du Cœur centres: the codes of deep links, and the department each one presets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from bot.yamlsrc import read_source, validate

CentreCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]


class Centre(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    department: Annotated[str, StringConstraints(pattern=r"^\d{2}$")]
    address: str | None = None
    hours: str | None = None
    group_chat_id: int | None = None


class CentresFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    centres: dict[CentreCode, Centre] = {}


def load_centres(path: Path) -> dict[str, Centre]:
    if not path.exists():
        return {}
    return validate(read_source(path), CentresFile).centres
