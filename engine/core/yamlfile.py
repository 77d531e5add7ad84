"""Strict YAML: the only importer of PyYAML.

PyYAML's defaults surprise policy authors: a second ``states:`` silently replaces the
first, aliases expand (a few lines can blow up to gigabytes), and ``on``, ``no``, ``012``
and ``12:30`` become booleans and numbers. Here every plain scalar stays the text that was
written (the schema converts it, with its line), duplicate keys, non-string keys, anchors,
aliases and tags are refused, and every value remembers where it was written, so each
problem can be reported as ``FILE:LINE: path: what is wrong``.

libyaml (``CSafeLoader``) turns the text into events, about 13 times faster than PyYAML's
own parser; the tree is built from the events here, so nothing is ever resolved, composed
or expanded. A parser error is explained in the author's terms (``_explain``): a line
indented less than the lines around it, a tab, a quote or bracket never closed.
"""

from __future__ import annotations

from typing import Any

import yaml

from engine.core.text import unprintable
from engine.errors import DefinitionError

MAX_DEPTH = 40


class Text(str):
    """A scalar as written, with the line (1-based) it was written on."""

    line: int = 0


class Map(dict):
    """A mapping with its own line and the line of each key."""

    line: int = 0
    key_lines: dict[str, int]


class Seq(list):
    """A sequence with its own line."""

    line: int = 0


def line_of(value: Any, default: int = 0) -> int:
    """The line a loaded value was written on (0 when unknown)."""
    return getattr(value, "line", default)


def loads(text: str, name: str) -> Any:
    """Parse ``text`` (named ``name`` in messages) strictly."""
    builder = _Builder(name)
    try:
        for event in yaml.parse(text, Loader=yaml.CSafeLoader):
            builder.take(event)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        said = _explain(exc, text)
        if isinstance(said, tuple):  # the mistake is on another line than the parser's
            where, said = f"{name}:{said[0]}", said[1]
        raise DefinitionError([f"{where}: invalid YAML: {said}"]) from None
    except yaml.YAMLError as exc:  # pragma: no cover (libyaml marks every error)
        raise DefinitionError([f"{name}: invalid YAML: {exc}"]) from None
    if builder.problems:
        raise DefinitionError(builder.problems)
    return Map() if builder.root is None else builder.root


# --------------------------------------------------------------------------- the tree

_BAD_KEY = object()  # a key refused: its value is read and dropped


class _Frame:
    """A mapping or sequence being filled (``node`` None: one being read and dropped)."""

    __slots__ = ("node", "key")

    def __init__(self, node: Map | Seq | None) -> None:
        self.node = node
        self.key: Any = None  # a mapping's key waiting for its value


class _Builder:
    """Builds Text/Map/Seq from parser events, refusing what the strict loader refuses."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.problems: list[str] = []
        self.stack: list[_Frame] = []
        self.root: Any = None
        self.documents = 0

    def where(self, event: yaml.Event) -> str:
        return f"{self.name}:{event.start_mark.line + 1}:{event.start_mark.column + 1}"

    def take(self, event: yaml.Event) -> None:
        kind = type(event)
        if kind is yaml.ScalarEvent:
            self._refuse_anchor_or_tag(event)
            problem = unprintable(event.value)
            if problem:  # it would reach a terminal raw in 'staff', 'show', a letter's log
                self.problems.append(f"{self.where(event)}: {problem}")
            self._place(event, _text(event.value, event))
        elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
            self._refuse_anchor_or_tag(event)
            node: Map | Seq = Map() if kind is yaml.MappingStartEvent else Seq()
            node.line = event.start_mark.line + 1
            if isinstance(node, Map):
                node.key_lines = {}
            self.stack.append(_Frame(node if self._place(event, node) else None))
        elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            self.stack.pop()
        elif kind is yaml.AliasEvent:
            self._refuse_anchor_or_tag(event)
        elif kind is yaml.DocumentStartEvent:
            self.documents += 1
            if self.documents > 1:
                raise yaml.MarkedYAMLError(problem="a second document starts here",
                                           problem_mark=event.start_mark)

    def _refuse_anchor_or_tag(self, event: yaml.Event) -> None:
        """Refused as met, before anything could expand (a billion laughs)."""
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise yaml.MarkedYAMLError(problem="anchors and aliases are not allowed",
                                       problem_mark=event.start_mark)
        tag = getattr(event, "tag", None)
        if tag not in (None, "!"):
            raise yaml.MarkedYAMLError(problem=f"tag {tag} is not allowed",
                                       problem_mark=event.start_mark)

    def _place(self, event: yaml.Event, value: Any) -> bool:
        """Put a new value where it belongs; False when it is dropped."""
        if not self.stack:
            self.root = value
            return True
        frame = self.stack[-1]
        if frame.node is None:
            return False
        if len(self.stack) > MAX_DEPTH:  # said once; the rest of the container is dropped
            self.problems.append(f"{self.where(event)}: nested more than {MAX_DEPTH} levels deep")
            frame.node = None
            return False
        if isinstance(frame.node, Seq):
            frame.node.append(value)
            return True
        if frame.key is None:
            frame.key = self._key(event, value, frame.node)
            return False  # a key is text, never a container to fill
        key, frame.key = frame.key, None
        if key is _BAD_KEY:
            return False
        frame.node[key] = value
        return True

    def _key(self, event: yaml.Event, value: Any, mapping: Map) -> Any:
        if isinstance(value, (Map, Seq)) or value == "":
            self.problems.append(f"{self.where(event)}: keys must be plain text")
            return _BAD_KEY
        if value == "<<" and event.implicit[0]:  # type: ignore[attr-defined]
            self.problems.append(f"{self.where(event)}: merge keys (<<) are not allowed")
            return _BAD_KEY
        if value in mapping:
            self.problems.append(
                f"{self.where(event)}: duplicate key '{value}' (first at line "
                f"{mapping.key_lines[value]}): give each key once, with everything under it")
            return _BAD_KEY
        mapping.key_lines[str(value)] = value.line
        return str(value)


def _text(value: str, event: yaml.Event) -> Text:
    out = Text(value)
    out.line = event.start_mark.line + 1
    return out


# --------------------------------------------------------------------------- errors


def _explain(exc: yaml.MarkedYAMLError, text: str) -> str | tuple[int, str]:
    """What the parser found, said in the terms of the lines the author wrote (with the
    line to look at, when that is not the one the parser stopped on)."""
    lines = text.splitlines()
    problem = exc.problem or exc.context or "not valid YAML"
    mark = exc.problem_mark
    line = mark.line + 1 if mark else 0
    context_line = exc.context_mark.line + 1 if exc.context_mark else 0
    for explain in _EXPLAINERS:
        said = explain(problem, line, context_line, lines)
        if said:
            return said
    if exc.context and context_line:
        return f"{problem} ({exc.context} from line {context_line})"
    return problem


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _spaces(n: int) -> str:
    return "1 space" if n == 1 else f"{n} spaces"


def _content(lines: list[str], number: int) -> str:
    """Line ``number`` (1-based), or '' beyond the end."""
    return lines[number - 1] if 0 < number <= len(lines) else ""


def _previous(lines: list[str], number: int) -> int:
    """The nearest line before ``number`` holding something other than a comment."""
    for n in range(number - 1, 0, -1):
        stripped = lines[n - 1].strip()
        if stripped and not stripped.startswith("#"):
            return n
    return 0


def _tab(problem: str, line: int, context: int, lines: list[str]) -> str | None:
    for n in (line, line - 1):
        if "\t" in _content(lines, n)[:_indent(_content(lines, n)) + 1]:
            return f"a tab at line {n}: indent with spaces (YAML does not allow tabs)"
    return None


def _dedent(problem: str, line: int, context: int,
            lines: list[str]) -> str | tuple[int, str] | None:
    if problem not in ("did not find expected key", "did not find expected '-' indicator"):
        return None
    here = _content(lines, line)
    above = _previous(lines, line)
    opener = _previous(lines, above)
    before, head = _content(lines, above), _content(lines, opener)
    if (opener and _indent(before) < _indent(here) and head.rstrip().endswith(":")
            and _indent(before) <= _indent(head)):
        # the key above opened a block that the line after it left too soon
        return (above, f"line {above} is indented less than the lines around it "
                f"({_spaces(_indent(before))}): line it up with line {line} "
                f"({_spaces(_indent(here))}), under '{head.strip().rstrip(':')}'")
    levels = _levels(lines, line)
    width = _indent(here)
    if width in {w for w, _ in levels}:
        if problem.endswith("'-' indicator"):
            return (f"line {line} holds a key where the list from line {context} expects "
                    "another '- ' item: a list and keys cannot share one level")
        if here.lstrip().startswith("-"):
            return (f"line {line} starts a list item ('- ') where a key was expected: "
                    "a list goes on the lines under its own key")
        return None
    keys = " or ".join(f"'{key}' ({_spaces(w)})" for w, key in levels[:2])
    side = "less" if levels and width < levels[0][0] else "more"
    return (f"line {line} is indented {side} than the lines around it ({_spaces(width)}): "
            f"line it up with {keys}")


def _levels(lines: list[str], line: int) -> list[tuple[int, str]]:
    """The indents open above ``line``, innermost first, with the key written at each."""
    out: list[tuple[int, str]] = []
    n = _previous(lines, line)
    while n:
        text = lines[n - 1]
        width = _indent(text)
        if not out or width < out[-1][0]:
            out.append((width, text.strip().split(":")[0]))
        if width == 0:
            break
        n = _previous(lines, n)
    return out


def _colon(problem: str, line: int, context: int,
           lines: list[str]) -> str | tuple[int, str] | None:
    if not problem.startswith("mapping values are not allowed"):
        return None
    here, above = _content(lines, line), _previous(lines, line)
    before = _content(lines, above)
    value = here.partition(": ")[2].strip()
    if ":" in value:
        return f"line {line}: a value holding ': ' must be in quotes (\"{value}\")"
    if not above:
        return None
    if ":" not in before:
        return f"line {above} has a key with no ':' after it"
    earlier = _previous(lines, above)
    if earlier and _indent(before) < _indent(here) == _indent(_content(lines, earlier)):
        # the line above is the one out of step with the lines on both sides of it
        key = _content(lines, earlier).strip().split(":")[0].lstrip("- ")
        return (above, f"line {above} is indented less than the lines around it "
                f"({_spaces(_indent(before))}): line it up with '{key}' "
                f"({_spaces(_indent(here))})")
    return (f"line {line} is indented more than the line above it: line its key up with "
            f"'{before.strip().split(':')[0]}' ({_spaces(_indent(before))})")


def _unclosed(problem: str, line: int, context: int, lines: list[str]) -> str | None:
    if problem.startswith("did not find expected ',' or"):
        closer = problem[-2]
        opener = {"]": "[", "}": "{"}.get(closer, closer)
        return (f"the '{opener}' opened at line {context} is not closed before line {line}: "
                f"end it with '{closer}', and put a value holding ',' or ':' in quotes")
    if problem == "found unexpected end of stream" and context:
        return f"the quote opened at line {context} is never closed"
    return None


def _start(problem: str, line: int, context: int, lines: list[str]) -> str | None:
    if problem == "a second document starts here":
        return f"a second document starts at line {line} ('---'): a file holds one"
    if problem.startswith("exceeded maximum nesting depth"):
        return f"nested more than {MAX_DEPTH} levels deep"
    if problem == "found character that cannot start any token":
        return "a value may not start with this character: put the value in quotes"
    return None


_EXPLAINERS = (_tab, _dedent, _colon, _unclosed, _start)
