"""A large offers file cut into pieces of a few thousand offers, each compiled and kept alone.

A department's file can hold 75,000 offers at national scale: compiling it whole again after
a one-word fix took 20 s. Cut at its items, it compiles again only the piece that changed.
A piece is read as YAML on its own, preceded by as many empty lines as the file had before it,
so that every problem still names the file's own line.
"""

from __future__ import annotations

from itertools import pairwise

OFFERS_KEY = "offers:"
PIECE = 2_000  # offers in a piece
WHOLE_BELOW = 4 * PIECE  # a file with fewer offers is compiled whole


def split_offers(text: str) -> tuple[str, list[tuple[int, str]]] | None:
    """(head, pieces): the text before the `offers:` line, and the items in runs of PIECE,
    each with the 0-based line it starts at. None when the file is not laid out as a plain
    `offers:` list of items at the left margin, last in the file, or is small: it is then
    compiled whole, as it always was."""
    if _has_anchor(text):
        return None  # an alias may point into another piece: read the file whole
    lines = text.split("\n")
    try:
        key = next(n for n, line in enumerate(lines) if line.rstrip() == OFFERS_KEY)
    except StopIteration:
        return None
    starts: list[int] = []
    for n in range(key + 1, len(lines)):
        line = lines[n]
        if line.startswith("- ") or line.rstrip() == "-":
            starts.append(n)
        elif line and not line.startswith((" ", "#")):
            return None  # another key, a document marker, a tab: read the file whole
    if len(starts) < WHOLE_BELOW:
        return None
    cuts = [*starts[::PIECE], len(lines)]
    pieces = [(a, "\n".join(lines[a:b])) for a, b in pairwise(cuts)]
    return "\n".join(lines[:key]), pieces


def _has_anchor(text: str) -> bool:
    """Does an anchor `&a` or an alias `*a` start a value anywhere (after `:`, `-`, `,`, `[`,
    `{` or at the start of a line)? A & or * inside a word or a quoted string does not."""
    for sigil in "&*":
        at = text.find(sigil)
        while at != -1:
            after = text[at + 1 : at + 2]
            before = text[max(0, at - 40) : at].rstrip(" \t")
            if after and after not in " \t\n,]}" and (not before or before[-1] in ":,[{-\n"):
                return True
            at = text.find(sigil, at + 1)
    return False


def piece_text(first_line: int, piece: str) -> str:
    """A document holding one piece, its items on the same lines as in the file."""
    return "\n" * (first_line - 1) + OFFERS_KEY + "\n" + piece
