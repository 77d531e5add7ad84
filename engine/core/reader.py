"""Reading a loaded YAML tree into typed values, collecting every problem (pure).

The definitions of workflows and ``school.yaml`` are read with one ``Reader``: each value
is converted where it is read, and each problem is kept as ``FILE:LINE: path: what`` so an
author sees them all in one pass.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from engine.core.suggest import did_you_mean
from engine.core.yamlfile import Map, Seq, line_of

NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class Reader:
    """Walks the loaded YAML, converting values and collecting every problem."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[str] = []
        self.chain_slips = 0  # problems in a workflow's chains (definitions._chains)

    def problem(self, value: Any, where: str, message: str, line: int = 0) -> None:
        self.problems.append(f"{self.path}:{line or line_of(value) or 1}: {where}: {message}")

    def mapping(self, value: Any, where: str, allowed: Iterable[str] = (),
                required: Iterable[str] = ()) -> Map:
        if not isinstance(value, Map):
            self.problem(value, where, "expected a mapping")
            return Map()
        allowed = set(allowed) | set(required)
        for key in value:
            if allowed and key not in allowed:
                hint = ", ".join(sorted(allowed))
                self.problem(value, f"{where}.{key}" if where else key,
                             f"unknown key{did_you_mean(key, allowed)} (expected one of: "
                             f"{hint})", value.key_lines[key])
        for key in required:
            if key not in value:
                self.problem(value, where or "(top)", f"missing key '{key}'")
        return value

    def text(self, value: Any, where: str, default: str = "") -> str:
        if value is None:
            return default
        if not isinstance(value, str):
            self.problem(value, where, "expected text")
            return default
        return str(value)

    def name(self, value: Any, where: str) -> str:
        out = self.text(value, where)
        if out and not NAME_RE.match(out):
            self.problem(value, where, f"'{out}' is not a name (lower case, digits, _)")
        return out

    def flag(self, value: Any, where: str) -> bool:
        if value is None:
            return False
        if value not in ("true", "false"):
            self.problem(value, where, f"expected true or false, got '{value}'")
        return value == "true"

    def number(self, value: Any, where: str) -> int | None:
        if value is None:
            return None
        if not isinstance(value, str) or not value.isdigit():
            self.problem(value, where, f"expected a whole number, got '{value}'")
            return None
        return int(value)

    def date(self, value: Any, where: str) -> dt.date | None:
        if value is None:
            return None
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.problem(value, where, f"not a date (YYYY-MM-DD): '{value}'")
            return None

    def texts(self, value: Any, where: str) -> list[str]:
        if value is None:
            return []
        if isinstance(value, str):
            return [str(value)]
        if not isinstance(value, Seq):
            self.problem(value, where, "expected a list")
            return []
        return [self.text(item, f"{where}[{i}]") for i, item in enumerate(value)]

    def items(self, value: Any, where: str) -> list[tuple[str, Any, int]]:
        """(key, value, line) of a mapping, or nothing if it is not one."""
        if value is None:
            return []
        mapping = self.mapping(value, where)
        return [(k, v, mapping.key_lines[k]) for k, v in mapping.items()]
