"""The packages keep their rules (docs/architecture.md), checked by reading the source.

- ``engine/core`` is pure: it imports nothing of ours but the core and ``engine.errors``,
  no database, letter, subprocess or file library, and calls no file function;
- ``engine/letters`` turns templates into bytes: no store, no use case, no subprocess,
  nothing written;
- ``engine/store`` is the only importer of SQLAlchemy and imports no use case;
- ``engine/service`` imports no door (the CLI);
- each module uses the outside libraries of its package only (one library, or one family
  of them, per module).

Each rule is also run on a planted violation, to show that it would catch one.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parent.parent / "engine"

# The outside libraries each package may import (the family of one library counts once).
LIBRARIES = {
    "core": {"yaml", "transitions", "holidays"},
    "letters": {"docx", "docxtpl", "jinja2", "lxml", "markupsafe"},
    "store": {"sqlalchemy"},
    "service": {"argon2", "pypdf", "notifications_python_client"},
    "cli": {"typer", "rich", "waitress"},
    "web": {"flask", "flask_wtf", "werkzeug"},
}
# Our packages each may import (besides its own and engine.errors).
OURS = {
    "core": set(),
    "letters": {"core"},
    "store": {"core"},
    "service": {"core", "letters", "store"},
    "cli": {"core", "service", "web"},
    "web": {"core", "service"},
}
# What the pure core may not touch: file, process and console modules.
IMPURE_MODULES = {"os", "shutil", "subprocess", "tempfile", "sqlite3", "socket", "glob"}
FILE_CALLS = {"open", "read_text", "read_bytes", "write_text", "write_bytes", "exists",
              "is_file", "is_dir", "glob", "rglob", "iterdir", "mkdir", "unlink", "rmdir",
              "stat", "touch", "rename", "replace", "chmod", "resolve", "cwd", "home"}


def _imports(tree: ast.AST) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out += [(node.lineno, f"{node.module}.{a.name}") if node.module == "engine"
                    else (node.lineno, node.module) for a in node.names]
    return out


def _file_calls(tree: ast.AST) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else \
                node.func.id if isinstance(node.func, ast.Name) else ""
            if name in FILE_CALLS and not _is_str_method(node):
                out.append((node.lineno, name))
    return out


def _is_str_method(call: ast.Call) -> bool:
    """``"a-b".replace(...)`` and ``text.replace(x, y)`` are string work, not a rename: a
    rename takes one argument."""
    func = call.func
    return isinstance(func, ast.Attribute) and func.attr == "replace" and len(call.args) != 1


def problems(path: Path, package: str) -> list[str]:
    """What ``path`` (a module of ``package``) does that its package may not."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    where = path.name
    out = []
    std = sys.stdlib_module_names
    for line, module in _imports(tree):
        top = module.split(".")[0]
        if top == "engine":
            ours = module.split(".")[1] if "." in module else ""
            if ours not in (package, "errors") and ours not in OURS[package]:
                out.append(f"{where}:{line}: imports {module}")
        elif top in std:
            if package == "core" and top in IMPURE_MODULES:
                out.append(f"{where}:{line}: imports {module} (file or process work)")
            if package in ("core", "letters") and top == "subprocess":
                out.append(f"{where}:{line}: imports subprocess")
        elif top not in LIBRARIES[package]:
            out.append(f"{where}:{line}: imports {module}, not a library of engine/{package}")
    if package == "core":
        out += [f"{where}:{line}: calls {name}() (file work)"
                for line, name in _file_calls(tree)]
    if package == "letters":
        out += [f"{where}:{line}: calls {name}() (writes a file)"
                for line, name in _file_calls(tree) if name.startswith("write") or name in
                ("mkdir", "unlink", "rename", "touch", "chmod")]
    return out


def _modules(package: str) -> list[Path]:
    return sorted((ENGINE / package).glob("*.py"))


@pytest.mark.parametrize("package", sorted(LIBRARIES))
def test_every_module_keeps_its_packages_rules(package: str) -> None:
    assert _modules(package), f"engine/{package} has no modules"
    found = [p for path in _modules(package) for p in problems(path, package)]
    assert found == []


def test_the_core_says_its_rule_where_it_lives() -> None:
    readme = (ENGINE / "core" / "README.md").read_text(encoding="utf-8")
    assert "cannot do any I/O" in readme


def test_only_the_engine_packages_and_errors_sit_at_the_top() -> None:
    """Every module lives in a package whose rules are checked here."""
    top = {p.name for p in ENGINE.glob("*.py")}
    assert top <= {"__init__.py", "errors.py"}, top


@pytest.mark.parametrize("planted,package,expected", [
    ("from sqlalchemy import select\n", "core", "imports sqlalchemy, not a library"),
    ("from engine.store import files\n", "core", "imports engine.store"),
    ("import subprocess\n", "core", "imports subprocess"),
    ("from pathlib import Path\nPath('x').read_text()\n", "core", "calls read_text()"),
    ("data = open('x').read()\n", "core", "calls open()"),
    ("import subprocess\n", "letters", "imports subprocess"),
    ("from pathlib import Path\nPath('x').write_bytes(b'')\n", "letters", "calls write_bytes()"),
    ("from engine.service import liaison\n", "store", "imports engine.service"),
    ("from engine.cli import emit\n", "service", "imports engine.cli"),
    ("import typer\n", "service", "imports typer, not a library"),
])
def test_a_planted_violation_is_caught(tmp_path: Path, planted: str, package: str,
                                       expected: str) -> None:
    module = tmp_path / "planted.py"
    module.write_text(planted, encoding="utf-8")
    found = problems(module, package)
    assert any(expected in p for p in found), found
