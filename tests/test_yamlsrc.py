"""YAML that remembers lines, including files of one JSON offer per line (as imports write)."""

from __future__ import annotations

import pytest
import yaml

from bot import yamlsrc
from bot.yamlsrc import DataError, Source, TextDateLoader, parse_source

JSON_LINES = """# written by an import
department: '23'
offers:
- {"id":"a-1","title":"Atelier \\"lire\\"","sessions":[{"start":"2027-01-05"}],"lat":45.5}

- {"id":"a-2","title":"Ligne\\u2028deux","pmr":null,"free":true,"themes":["fle"]}
"""


def test_json_lines_read_as_yaml_reads_them_with_each_item_on_its_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parsed_as_yaml: list[str] = []

    class Spy(TextDateLoader):
        def __init__(self, text: str) -> None:
            parsed_as_yaml.append(text)
            super().__init__(text)

    monkeypatch.setattr(yamlsrc, "TextDateLoader", Spy)
    source = parse_source(JSON_LINES, "lheo-23.yaml")
    assert not any("- {" in text for text in parsed_as_yaml)  # the items went to json
    assert source.data == yaml.load(JSON_LINES, Loader=TextDateLoader)  # same data, same types
    assert source.line_of(("offers",)) == 3
    assert source.line_of(("offers", 0, "sessions", 0, "start")) == 4  # the item's own line
    assert source.line_of(("offers", 1)) == 6  # the blank line is counted
    assert source.line_of(("department",)) == 2


@pytest.mark.parametrize(
    "tail",
    [
        "- id: a-3\n  title: en bloc\n",  # a block item among them
        "# a comment after the items\n",
        '- {"id": "a-3", title: pas du JSON}\n',  # YAML flow, not JSON
    ],
)
def test_anything_else_goes_to_the_yaml_reader(tail: str) -> None:
    text = JSON_LINES + tail
    source = parse_source(text, "mixed.yaml")
    assert source.data == yaml.load(text, Loader=TextDateLoader)
    assert isinstance(source, Source) and len(source.data["offers"]) == (2 if "#" in tail else 3)


def test_a_broken_json_line_is_named_by_the_yaml_reader() -> None:
    text = JSON_LINES + '- {"id":"a-3","title":"oops}\n'
    with pytest.raises(DataError) as caught:
        parse_source(text, "broken.yaml")
    assert caught.value.problems[0].line >= 7
