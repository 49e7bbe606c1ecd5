"""Read data·inclusion's open-data export as a stream of records: a JSON array or JSON lines.

The file is read in blocks and decoded one record at a time with the json module's C decoder,
so memory holds one block and one record whatever the file's size. A JSON lines file with a
broken line loses that line only (counted); a broken JSON array cannot be resynchronised, so it
is an error naming the record, and nothing is written.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from bot.yamlsrc import DataError, Problem

BLOCK = 1 << 20
_SPACE = " \t\r\n"


class Malformed:
    """A JSON lines record that is not JSON: where it was."""

    __slots__ = ("line",)

    def __init__(self, line: int) -> None:
        self.line = line


Record = dict[str, Any] | Malformed


def read_records(path: Path) -> Iterator[Record]:
    """Each record of a JSON array or JSON lines file, in file order."""
    with path.open("rb") as stream:
        for record, _text in stream_records(stream, str(path)):
            yield record


def read_texts(path: Path) -> Iterator[tuple[Record, str]]:
    """Each record with its JSON text (to hand it to another process: a string is quicker to
    send than the record it holds)."""
    with path.open("rb") as stream:
        yield from stream_records(stream, str(path))


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
