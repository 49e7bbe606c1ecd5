"""Read data·inclusion's open-data export as a stream of records: a JSON array, JSON lines or CSV.

The file is read in blocks and decoded one record at a time with the json module's C decoder,
so memory holds one block and one record whatever the file's size. A JSON lines file with a
broken line loses that line only (counted); a broken JSON array cannot be resynchronised, so it
is an error naming the record, and nothing is written.

A `.csv` file is read row by row with the csv module. data·inclusion writes it with pandas'
`to_csv`: an empty cell is a missing value, and a list (thématiques, publics…) is written as
Python writes a list, `['numerique', 'famille']`; such a cell is read back as that list (by
`ast.literal_eval`, which only reads literals). A row with more cells than the header is
broken: it is counted and skipped, as a broken JSON line.
"""

from __future__ import annotations

import ast
import codecs
import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from data_inclusion.schema.v1 import Service, Structure

from bot.yamlsrc import DataError, Problem

BLOCK = 1 << 20
_SPACE = " \t\r\n"


class Malformed:
    """A JSON line that is not JSON, or a broken CSV row: where it was."""

    __slots__ = ("line", "what")

    def __init__(self, line: int, what: str = "JSON") -> None:
        self.line = line
        self.what = what


Record = dict[str, Any] | Malformed


# The schema's list fields: a CSV cell of one of them holds a list
LISTS = frozenset(
    name
    for name, spec in {**Service.model_fields, **Structure.model_fields}.items()
    if re.search(r"\b(list|set)\[", str(spec.annotation))
)


def read_records(path: Path) -> Iterator[Record]:
    """Each record of a JSON array, JSON lines or CSV file, in file order."""
    for record, _text in read_texts(path):
        yield record


def read_texts(path: Path) -> Iterator[tuple[Record, str]]:
    """Each record with its JSON text, to hand it to another process (a string is quicker to
    send than the record it holds); "" for a CSV row: its record is its only form."""
    try:
        if path.suffix.lower() == ".csv":
            with path.open(encoding="utf-8-sig", newline="") as text:
                yield from _csv_rows(text, str(path))
            return
        with path.open("rb") as stream:
            yield from stream_records(stream, str(path))
    except UnicodeDecodeError:
        message = "not UTF-8 text: save the export again in UTF-8"
        raise DataError([Problem(str(path), 1, message)]) from None


def _csv_rows(text: IO[str], name: str) -> Iterator[tuple[Record, str]]:
    rows = csv.reader(text, strict=True)  # a quote never closed is an error, not one long cell
    try:
        header = next(rows, None)
        if not header:
            return
        for row in rows:
            if len(row) > len(header):
                yield Malformed(rows.line_num, "CSV"), ""
            elif any(row):
                yield {k: _cell(k, v) for k, v in zip(header, row, strict=False) if v}, ""
    except csv.Error as exc:
        raise DataError([Problem(name, rows.line_num, f"malformed CSV: {exc}")]) from None


def _cell(key: str, value: str) -> Any:
    """A CSV cell as the record's value: a list field's `['a', 'b']` read as that list."""
    if key in LISTS and value.startswith("[") and value.endswith("]"):
        try:
            return list(ast.literal_eval(value))
        except (ValueError, SyntaxError, TypeError):
            return value  # the schema says why it is no list
    return value


def stream_records(stream: IO[bytes], name: str) -> Iterator[tuple[Record, str]]:
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    head = ""
    while not head.strip(_SPACE):
        block = stream.read(BLOCK)
        head += decoder.decode(block, final=not block)
        if not block:
            break
    start = head.lstrip(_SPACE)
    if not start:
        return
    if start[0] == "[":
        yield from _array(head, stream, decoder, name)
    elif start[0] == "{":
        yield from _lines(head, stream, decoder)
    else:
        message = "not a data·inclusion export: expected a JSON array or JSON lines"
        raise DataError([Problem(name, 1, message)])


def _array(
    text: str, stream: IO[bytes], decoder: codecs.IncrementalDecoder, name: str
) -> Iterator[tuple[Record, str]]:
    scan = json.JSONDecoder().raw_decode
    pos = text.index("[") + 1
    eof = False
    count = 0
    while True:
        while pos < len(text) and (text[pos] in _SPACE or text[pos] == ","):
            pos += 1
        if pos < len(text) and text[pos] == "]":
            return
        try:
            if pos >= len(text):
                raise json.JSONDecodeError("end of block", text, pos)
            value, end = scan(text, pos)
        except json.JSONDecodeError:
            if eof:
                message = f"malformed JSON at record {count + 1}: the array is cut or broken"
                raise DataError([Problem(name, 1, message)]) from None
            block = stream.read(BLOCK)
            eof = not block
            text = text[pos:] + decoder.decode(block, final=eof)
            pos = 0
            continue
        count += 1
        yield (value if isinstance(value, dict) else Malformed(count)), text[pos:end]
        pos = end


def _lines(
    text: str, stream: IO[bytes], decoder: codecs.IncrementalDecoder
) -> Iterator[tuple[Record, str]]:
    loads = json.loads
    number = 0
    rest = text
    while True:
        block = stream.read(BLOCK)
        rest += decoder.decode(block, final=not block)
        lines = rest.split("\n")
        rest = lines.pop() if block else ""
        for line in lines:
            number += 1
            if not line.strip(_SPACE):
                continue
            try:
                value = loads(line)
            except ValueError:
                yield Malformed(number), line
                continue
            yield (value if isinstance(value, dict) else Malformed(number)), line
        if not block:
            return
