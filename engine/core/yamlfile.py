"""Strict YAML: the only importer of PyYAML.

PyYAML's defaults surprise policy authors: a second ``states:`` silently replaces the
first, aliases expand (a few lines can blow up to gigabytes), and ``on``, ``no``, ``012``
and ``12:30`` become booleans and numbers. Here every plain scalar stays the text that was
written (the schema converts it, with its line), duplicate keys, non-string keys, anchors,
aliases and tags are refused, and every value remembers where it was written, so each
problem can be reported as ``FILE:LINE: path: what is wrong``.
"""

from __future__ import annotations

from typing import Any

import yaml

from engine.errors import DefinitionError

MAX_DEPTH = 40


class _StrictLoader(yaml.SafeLoader):
    """Refuses anchors, aliases and explicit tags as they are met, before anything expands."""

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise yaml.MarkedYAMLError(problem="anchors and aliases are not allowed",
                                       problem_mark=event.start_mark)
        if getattr(event, "tag", None) not in (None, "!"):
            raise yaml.MarkedYAMLError(problem=f"tag {event.tag} is not allowed",
                                       problem_mark=event.start_mark)
        return super().compose_node(parent, index)


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
    try:
        node = yaml.compose(text, Loader=_StrictLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        raise DefinitionError([f"{where}: invalid YAML: {_explain(exc)}"]) from exc
    except yaml.YAMLError as exc:
        raise DefinitionError([f"{name}: invalid YAML: {exc}"]) from exc
    except RecursionError as exc:
        raise DefinitionError([f"{name}: invalid YAML: nested too deeply"]) from exc
    if node is None:
        return Map()
    problems: list[str] = []
    value = _build(node, name, problems, depth=0)
    if problems:
        raise DefinitionError(problems)
    return value


def _explain(exc: yaml.MarkedYAMLError) -> str:
    """PyYAML's problem, with where the unfinished part began (an unclosed ``{`` is found
    only on a later line, so that later line alone would mislead)."""
    problem = exc.problem or exc.context or "not valid YAML"
    if exc.problem and exc.context and exc.context_mark:
        return f"{problem} ({exc.context} from line {exc.context_mark.line + 1})"
    return problem


def _where(name: str, node: yaml.Node) -> str:
    return f"{name}:{node.start_mark.line + 1}:{node.start_mark.column + 1}"


def _build(node: yaml.Node, name: str, problems: list[str], depth: int) -> Any:
    if depth > MAX_DEPTH:
        problems.append(f"{_where(name, node)}: nested more than {MAX_DEPTH} levels deep")
        return None
    if isinstance(node, yaml.ScalarNode):
        out = Text(node.value)
        out.line = node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        seq = Seq(_build(item, name, problems, depth + 1) for item in node.value)
        seq.line = node.start_mark.line + 1
        return seq
    if isinstance(node, yaml.MappingNode):
        return _build_map(node, name, problems, depth)
    problems.append(f"{_where(name, node)}: unsupported YAML node")  # pragma: no cover
    return None


def _build_map(node: yaml.MappingNode, name: str, problems: list[str], depth: int) -> Map:
    out = Map()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            problems.append(f"{_where(name, key_node)}: merge keys (<<) are not allowed")
            continue
        if not isinstance(key_node, yaml.ScalarNode) or key_node.value == "":
            problems.append(f"{_where(name, key_node)}: keys must be plain text")
            continue
        key = key_node.value
        if key in out:
            first = out.key_lines[key]
            problems.append(
                f"{_where(name, key_node)}: duplicate key '{key}' (first at line {first})")
            continue
        out.key_lines[key] = key_node.start_mark.line + 1
        out[key] = _build(value_node, name, problems, depth + 1)
    return out
