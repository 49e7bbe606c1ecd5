"""YAML that remembers where things are: every problem is reported as `path:line: message`.

Coordinators edit YAML by hand; a pydantic dump is useless to them. This module loads a
document with PyYAML's C loader, keeps the line of every mapping key and list item, and turns
pydantic's errors into one plain line each, with a "did you mean" for a misspelt key.
A file of one JSON object per line under its last key (what the LHEO import writes) is read
with the json module instead, sixty times quicker, each item on its own line.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

Loc = tuple[int | str, ...]
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Problem:
    """One error or warning about a data file."""

    path: str
    line: int
    message: str
    warning: bool = False

    def __str__(self) -> str:
        kind = "warning: " if self.warning else ""
        return f"{self.path}:{self.line}: {kind}{self.message}"


class DataError(Exception):
    """A data file cannot be used; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True, slots=True)
class Source:
    """A parsed YAML document and the line (1-based) of every key and item in it."""

    path: str
    data: Any
    lines: dict[Loc, int]

    def line_of(self, loc: Loc) -> int:
        """The line of the deepest known part of `loc`."""
        for n in range(len(loc), -1, -1):
            if (line := self.lines.get(loc[:n])) is not None:
                return line
        return 1

    def problem(self, loc: Loc, message: str, warning: bool = False) -> Problem:
        return Problem(self.path, self.line_of(loc), message, warning)


def read_source(path: Path, label: str | None = None) -> Source:
    """Parse one YAML file; a syntax error becomes a DataError with its line."""
    name = label or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError([Problem(name, 1, f"cannot read the file: {exc}")]) from exc
    return parse_source(text, name)


class TextDateLoader(yaml.CSafeLoader):
    """The C safe loader, with dates left as text: pydantic parses them and names the line."""


TextDateLoader.add_constructor(  # type: ignore[type-var]  # the stubs miss the C loaders here
    "tag:yaml.org,2002:timestamp", TextDateLoader.construct_yaml_str
)


def parse_source(text: str, name: str) -> Source:
    fast = _json_items(text, name)
    if fast is not None:
        return fast
    loader = TextDateLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise DataError([Problem(name, line, f"YAML syntax: {exc.problem or exc}")]) from exc
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        raise DataError([Problem(name, 1, f"YAML: {exc}")]) from exc
    finally:
        loader.dispose()
    lines: dict[Loc, int] = {}
    if node is not None:
        for loc, line in _walk(node, ()):
            lines[loc] = line
    return Source(name, data, lines)


def _json_items(text: str, name: str) -> Source | None:
    """A document whose last key holds one JSON object per line, as the LHEO import writes it,
    read with the json module (PyYAML took 600 µs an offer on such lines, json 10).

    JSON is YAML, so both readers give the same data; any line that does not fit (a comment, a
    block item, broken JSON) sends the whole file to the YAML reader, which then names it.
    """
    rows = text.split("\n")
    start = next((n for n, row in enumerate(rows) if row.startswith("- {")), 0)
    key = rows[start - 1].rstrip()[:-1] if start else ""
    if not key.isidentifier() or not rows[start - 1].rstrip().endswith(":"):
        return None
    items: list[Any] = []
    lines: dict[Loc, int] = {(key,): start}
    for n in range(start, len(rows)):
        row = rows[n].rstrip()
        if not row:
            continue
        if not (row.startswith("- {") and row.endswith("}")):
            return None
        try:
            items.append(json.loads(row[2:]))
        except ValueError:
            return None
        lines[(key, len(items) - 1)] = n + 1
    head = parse_source("\n".join(rows[: start - 1]), name)
    if not isinstance(head.data, dict | None) or key in (head.data or {}):
        return None
    return Source(name, {**(head.data or {}), key: items}, {**head.lines, **lines})


def _walk(node: yaml.Node, loc: Loc) -> Iterator[tuple[Loc, int]]:
    yield loc, node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            here = (*loc, str(key.value))
            yield here, key.start_mark.line + 1
            for sub_loc, line in _walk(value, here):
                if sub_loc != here:
                    yield sub_loc, line
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            yield from _walk(item, (*loc, i))


def validate(source: Source, model: type[M], root: Loc = ()) -> M:
    """Validate `source.data` (or a part of it) against a model; errors name their line."""
    data = source.data
    for part in root:
        data = data[part]
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise DataError(explain(source, exc, model, root)) from None


def explain(
    source: Source, exc: ValidationError, model: type[BaseModel], root: Loc = ()
) -> list[Problem]:
    """One plain line per pydantic error, at the line of the faulty key or value."""
    problems: list[Problem] = []
    seen: set[tuple[int, str]] = set()
    errors = exc.errors(include_url=False)
    # a misspelt key shows up twice (unknown key, missing key): keep the line that explains it
    misspelt: set[Loc] = set()
    for err in errors:
        if err["type"] == "extra_forbidden":
            loc = _clean_loc(err["loc"])
            known = _known_keys(model, loc[:-1])
            for close in difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6):
                misspelt.add((*loc[:-1], close))
    for err in errors:
        if err["type"] == "missing" and _clean_loc(err["loc"]) in misspelt:
            continue
        loc = (*root, *_clean_loc(err["loc"]))
        field = ".".join(str(p) for p in loc[len(root) :]) or "document"
        message = _message(err, field, model, loc[len(root) :])
        problem = source.problem(loc, message)
        if (problem.line, message) not in seen:
            seen.add((problem.line, message))
            problems.append(problem)
    return problems


def _clean_loc(loc: tuple[int | str, ...]) -> Loc:
    # pydantic adds the tag of a union branch or a validator name; they are not keys in the file
    return tuple(
        p for p in loc if not (isinstance(p, str) and ("[" in p or p.startswith("function-")))
    )


def _message(err: Any, field: str, model: type[BaseModel], loc: Loc) -> str:
    kind = err["type"]
    got = err.get("input")
    if kind == "extra_forbidden":
        key = str(loc[-1])
        known = _known_keys(model, loc[:-1])
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return f"unknown key '{key}'{hint}"
    if kind == "missing":
        return f"'{field}' is required"
    if kind.endswith("_type") or kind.endswith("_parsing") or kind == "enum":
        return f"'{field}': {err['msg'].lower()}, got {_short(got)}"
    if kind == "string_pattern_mismatch":
        pattern = str((err.get("ctx") or {}).get("pattern", ""))
        hint = _PATTERN_HINTS.get(pattern) or _PATTERN_HINTS.get(
            str(loc[-1]) if loc else "", "the expected form"
        )
        return f"'{field}': {_short(got)} is not {hint}"
    if kind == "value_error":
        return f"'{field}': {str(err['msg']).removeprefix('Value error, ')}"
    return f"'{field}': {err['msg'].lower()}, got {_short(got)}"


_PATTERN_HINTS = {
    r"^[a-z][a-z0-9_]{0,31}$": "an id of lowercase letters, digits or '_' starting with a "
    "letter (at most 32)",
    "phone": "a phone number like 05 36 49 00 00",
    "email": "an e-mail address like contact@example.org",
    "url": "a web address starting with https://",
    "insee": "a 5-digit INSEE commune code like 23096",
    "postal_code": "a 5-digit postal code like 23000",
    "id": "an id of lowercase letters, digits, '-', '_' or '.' (3 to 80 characters)",
    "department": "a department code like 23",
}


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _known_keys(model: type[BaseModel], loc: Loc) -> list[str]:
    """The keys a model accepts at `loc`, following nested models and lists."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            return []
        current = _inner_model(fields[part].annotation)
        if current is None:
            return []
    fields = getattr(current, "model_fields", None)
    return list(fields) if fields else []


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        if (found := _inner_model(arg)) is not None:
            return found
    return None
