"""Restos du Cœur centres: deep-link codes, the department each presets, and where handoffs go.

`catalogue/centres.yaml` maps centres (and, as a default, departments) to the Telegram group
chat of their volunteers. A centre's own group wins over its department's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from bot.yamlsrc import read_source, validate

CentreCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
Department = Annotated[str, StringConstraints(pattern=r"^\d{2}$")]


class Centre(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    department: Department
    address: str | None = None
    hours: str | None = None
    group_chat_id: int | None = None


class CentresFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    centres: dict[CentreCode, Centre] = {}
    groups: dict[Department, int] = {}  # department -> volunteers' group chat id


class Centres:
    def __init__(self, data: CentresFile | None = None) -> None:
        data = data or CentresFile()
        self._centres = data.centres
        self._groups = data.groups

    def get(self, code: str) -> Centre | None:
        return self._centres.get(code)

    def __iter__(self) -> Iterator[str]:
        return iter(self._centres)

    def __len__(self) -> int:
        return len(self._centres)

    def near(self, department: str | None, code: str | None = None) -> tuple[str, Centre] | None:
        """The person's own centre (the deep link's), else the first centre of the department."""
        if code and (centre := self._centres.get(code)) is not None:
            return code, centre
        for key, centre in self._centres.items():
            if centre.department == department:
                return key, centre
        return None

    def group(self, department: str | None, code: str | None = None) -> int | None:
        """The volunteers' group chat for a handoff, or None when none is configured."""
        if code and (centre := self._centres.get(code)) is not None and centre.group_chat_id:
            return centre.group_chat_id
        if department is None:
            return None
        return self._groups.get(department)


def load_centres(path: Path) -> Centres:
    if not path.exists():
        return Centres()
    return Centres(validate(read_source(path), CentresFile))
