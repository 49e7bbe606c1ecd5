"""System messages (not tied to one flow step), read from flows/messages.yaml.

Every text a person reads lives in YAML, never in code. A message is looked up by key and
language, falls back to French, and is formatted with named fields.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from bot.yamlsrc import read_source, validate

DEFAULT_LANG = "fr"


class MessagesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    languages: dict[str, str]  # code -> name of the language in its own script
    rtl: list[str] = []
    messages: dict[str, dict[str, str]]
    months: dict[str, list[str]]
    staff: dict[str, str] = {}  # what volunteers and coordinators read: French only


class Messages:
    def __init__(self, data: MessagesFile) -> None:
        self.data = data
        self.languages = data.languages
        self.rtl = frozenset(data.rtl)

    @classmethod
    def load(cls, path: Path) -> Messages:
        return cls(validate(read_source(path), MessagesFile))

    def get(self, key: str, lang: str = DEFAULT_LANG, **fields: object) -> str:
        texts = self.data.messages[key]
        text = texts.get(lang) or texts[DEFAULT_LANG]
        return text.format(**fields) if fields else text

    def staff(self, key: str, **fields: object) -> str:
        text = self.data.staff[key]
        return text.format(**fields) if fields else text

    def month(self, month: int, lang: str = DEFAULT_LANG) -> str:
        names = self.data.months.get(lang) or self.data.months[DEFAULT_LANG]
        return names[month - 1]
