"""engine.core.yamlfile: YAML means what it says.

PyYAML's defaults keep the last of two duplicate keys, expand aliases, and read `on`, `no`,
`012` and `12:30` as booleans and numbers. The strict loader keeps every scalar as the text
written, refuses duplicate keys, anchors, aliases, tags, merge keys and non-text keys with
FILE:LINE:COL, and remembers the line of every value.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from engine.core.yamlfile import MAX_DEPTH, Map, Seq, Text, line_of, loads
from engine.errors import DefinitionError
from engine.service.sources import read_yaml as load


def _problems(text: str) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        loads(text, "w.yaml")
    return caught.value.problems


# Each of these PyYAML's safe_load turns into a boolean, a number, a date or None.
CONVERTED = ["on", "off", "yes", "no", "true", "False", "012", "0x1F", "12:30", "2026-01-05",
             "null", "~", ".inf", "1_000", "-1.5"]


@pytest.mark.parametrize("written", [*CONVERTED, "y", "n", "1e3", "0o17", "-.nan"])
def test_every_plain_scalar_stays_the_text_written(written: str) -> None:
    value = loads(f"key: {written}\n", "w.yaml")["key"]
    assert isinstance(value, Text)
    assert value == written
    if written in CONVERTED:
        assert not isinstance(yaml.safe_load(f"key: {written}\n")["key"], str)


def test_an_empty_value_is_empty_text_and_an_empty_file_an_empty_mapping() -> None:
    assert loads("key:\n", "w.yaml")["key"] == ""
    assert loads("", "w.yaml") == {}
    assert loads("# only a comment\n", "w.yaml") == {}


def test_quoted_and_block_scalars_keep_their_text() -> None:
    loaded = loads('a: "on"\nb: \'012\'\nc: |\n  two\n  lines\n', "w.yaml")
    assert loaded == {"a": "on", "b": "012", "c": "two\nlines\n"}


def test_values_remember_their_lines() -> None:
    loaded = loads("# comment\ntop:\n  name: x\n  list:\n    - a\n    - b\n", "w.yaml")
    top = loaded["top"]
    assert isinstance(loaded, Map) and isinstance(top, Map)
    assert top.line == 3
    assert loaded.key_lines == {"top": 2}
    assert top.key_lines == {"name": 3, "list": 4}
    assert line_of(top["name"]) == 3
    assert isinstance(top["list"], Seq) and top["list"].line == 5
    assert [line_of(item) for item in top["list"]] == [5, 6]
    assert line_of("plain str", 7) == 7


def test_a_duplicate_key_is_refused_with_both_lines() -> None:
    """PyYAML would keep the second `states:` silently."""
    text = "states:\n  a: 1\nevents: {}\nstates:\n  b: 2\n"
    assert yaml.safe_load(text)["states"] == {"b": 2}
    assert _problems(text) == ["w.yaml:4:1: duplicate key 'states' (first at line 1): give each "
                               "key once, with everything under it"]


def test_every_duplicate_is_reported_at_once() -> None:
    problems = _problems("a: 1\na: 2\nb:\n  c: 1\n  c: 2\n")
    once = "give each key once, with everything under it"
    assert problems == [f"w.yaml:2:1: duplicate key 'a' (first at line 1): {once}",
                        f"w.yaml:5:3: duplicate key 'c' (first at line 4): {once}"]


@pytest.mark.parametrize("text,where", [
    ("a: &x 1\nb: 2\n", "1:4"),
    ("a: [1]\nb: *x\n", "2:4"),
    ("a: &x [1]\nb: *x\n", "1:4"),
])
def test_anchors_and_aliases_are_refused_where_written(text: str, where: str) -> None:
    assert _problems(text) == [f"w.yaml:{where}: invalid YAML: anchors and aliases are not allowed"]


def test_a_billion_laughs_is_refused_before_anything_expands() -> None:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    started = time.perf_counter()
    problems = _problems("\n".join(lines) + "\n")
    assert time.perf_counter() - started < 5  # a bound, not a benchmark: expansion would hang
    assert problems == ["w.yaml:1:5: invalid YAML: anchors and aliases are not allowed"]


@pytest.mark.parametrize("text", ["a: !!python/object:os.system x\n", "a: !!str 1\n",
                                  "a: !custom x\n"])
def test_tags_are_refused(text: str) -> None:
    (problem,) = _problems(text)
    assert problem.startswith("w.yaml:1:4: invalid YAML: tag ")
    assert problem.endswith("is not allowed")


def test_merge_keys_are_refused() -> None:
    assert _problems("a:\n  <<: {b: 1}\n  c: 2\n") == [
        "w.yaml:2:3: merge keys (<<) are not allowed"]


@pytest.mark.parametrize("text", ["? [a, b]\n: 1\n", "? {a: 1}\n: 2\n", '"": 1\n'])
def test_keys_must_be_plain_text(text: str) -> None:
    (problem,) = _problems(text)
    assert problem.startswith("w.yaml:1:") and problem.endswith("keys must be plain text")


def test_nesting_deeper_than_the_limit_is_refused_with_its_place() -> None:
    deep = "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5)
    problems = _problems(f"a: {deep}\n")
    assert problems == [f"w.yaml:1:{4 + MAX_DEPTH}: nested more than {MAX_DEPTH} levels deep"]
    assert loads(f"a: {'[' * (MAX_DEPTH - 1)}{']' * (MAX_DEPTH - 1)}\n", "w.yaml")


def test_nesting_that_would_blow_the_stack_is_an_error_not_a_crash() -> None:
    """libyaml stops at 1,000 levels of brackets; both limits say the same thing."""
    problems = _problems("a: " + "[" * 5000 + "]" * 5000 + "\n")
    assert problems == [f"w.yaml:1:1003: invalid YAML: nested more than {MAX_DEPTH} levels deep"]
    problems = _problems("a: " + "[" * 500 + "]" * 500 + "\n")
    assert problems == [f"w.yaml:1:{4 + MAX_DEPTH}: nested more than {MAX_DEPTH} levels deep"]


@pytest.mark.parametrize("text,where,what", [
    ("a:\n\tb: 1\n", "2:1", "a tab at line 2: indent with spaces (YAML does not allow tabs)"),
    ("a:\n  - x\n\t- y\n", "3:1",
     "a tab at line 3: indent with spaces (YAML does not allow tabs)"),
    ("events:\n  close:\n    from: [open]\n   to: closed\n", "4:4",
     "line 4 is indented less than the lines around it (3 spaces): line it up with 'from' "
     "(4 spaces) or 'close' (2 spaces)"),
    ("a:\n  b: 1\n     c: 2\n", "3:7",
     "line 3 is indented more than the line above it: line its key up with 'b' (2 spaces)"),
    ("a:\n  b: 1\n  - x\n", "3:3",
     "line 3 starts a list item ('- ') where a key was expected: a list goes on the lines "
     "under its own key"),
    ("- a\nb: 1\n", "2:1",
     "line 2 holds a key where the list from line 1 expects another '- ' item: a list and "
     "keys cannot share one level"),
    ("a:\n  b\n  c: 1\n", "3:4", "line 2 has a key with no ':' after it"),
    ("title: Stage 1: answer\n", "1:15",
     "line 1: a value holding ': ' must be in quotes (\"Stage 1: answer\")"),
    ("a: {b: 1\nc: 2\n", "2:2",
     "the '{' opened at line 1 is not closed before line 2: end it with '}', and put a "
     "value holding ',' or ':' in quotes"),
    ("a: [1, 2\n", "2:1",
     "the '[' opened at line 1 is not closed before line 2: end it with ']', and put a "
     "value holding ',' or ':' in quotes"),
    ("a: 'unclosed\n", "2:1", "the quote opened at line 1 is never closed"),
    ("a: @x\n", "1:4", "a value may not start with this character: put the value in quotes"),
    ("a: 1\n---\nb: 2\n", "2:1", "a second document starts at line 2 ('---'): a file holds one"),
])
def test_invalid_yaml_is_explained_in_the_terms_of_the_lines_written(text: str, where: str,
                                                                     what: str) -> None:
    """Issue 16: the parser's own words ("expected <block end>, but found '<block mapping
    start>'") are translated; each mistake is one message at its line and column."""
    assert _problems(text) == [f"w.yaml:{where}: invalid YAML: {what}"]


def test_the_tree_is_built_from_libyaml_events() -> None:
    """The C parser's events, not PyYAML's composer: nothing resolved, lines kept."""
    assert yaml.__with_libyaml__
    loaded = loads("a:\n  - {b: c}\n  - [d, 'e']\n", "w.yaml")
    assert loaded == {"a": [{"b": "c"}, ["d", "e"]]}
    assert [line_of(item) for item in loaded["a"]] == [2, 3]
    assert loaded["a"][0].key_lines == {"b": 2}


def test_load_names_a_missing_file_and_text_that_is_not_utf8(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match="file not found"):
        load(tmp_path / "none.yaml")
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes("name: Zo\xeb\n".encode("latin-1"))
    with pytest.raises(DefinitionError, match=r"latin1.yaml: not UTF-8 text"):
        load(latin1)
    good = tmp_path / "good.yaml"
    good.write_text("name: Zoë\n", encoding="utf-8")
    assert load(good) == {"name": "Zoë"}
