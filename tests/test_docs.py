"""Documentation that cannot drift (after sqlite-utils' test_docs.py).

Every command of the typer app has help text, answers `--help`, and appears in README.md;
the README gives the two commands (run the demo, run the tests) and `.ci/run` runs the
README's test command.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from conftest import Run

from engine.cli.main import app

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

def _commands(group: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    """(path, command) for every command; typer vendors click, so groups are duck-typed."""
    for name, command in sorted(group.commands.items()):
        path = (*prefix, name)
        if command.hidden:
            continue
        if hasattr(command, "commands"):
            if command.invoke_without_command:  # a group that is itself a command
                yield " ".join(path), command
            yield from _commands(command, path)
        else:
            yield " ".join(path), command


COMMANDS = dict(_commands(typer.main.get_command(app)))


def _readme() -> str:
    return README.read_text(encoding="utf-8")


def test_the_command_list_is_read_from_the_app() -> None:
    assert {"init", "demo", "check", "workflows", "staff", "import students",
            "import contacts", "open", "actions", "advance", "show", "cases", "history",
            "diagram", "doctor"} <= set(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_help_text(name: str, cli: Callable[..., Run]) -> None:
    command = COMMANDS[name]
    assert (command.help or "").strip(), f"'liaison {name}' has no help text"
    run = cli(*name.split(), "--help")
    assert run.code == 0, run.err
    assert "Usage:" in run.out
    first_words = " ".join((command.help or "").split()[:3])
    assert first_words in " ".join(run.out.split())


def _in_readme(name: str) -> bool:
    text = " ".join(_readme().split())
    return re.search(rf"liaison {re.escape(name)}(?![\w-])", text) is not None


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_appears_in_the_readme(name: str) -> None:
    assert _in_readme(name), f"README.md does not mention 'liaison {name}'"


def test_the_readme_gives_the_two_commands() -> None:
    text = _readme()
    assert "pip install -e . && liaison demo" in text
    assert 'pip install -e ".[test]" && pytest' in text


def test_ci_runs_the_readmes_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'pip install -q -e ".[test]" && pytest' in ci or \
        'pip install -e ".[test]" && pytest' in ci
    assert ci.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in ci


def test_help_is_in_words_not_python_types(cli: Callable[..., Run]) -> None:
    """A member of staff reads ``CASE`` and ``--pdf``, not ``{CASE}``, ``<str>`` or
    ``<bool>`` (issue 8): the patch in engine/cli/options.py still takes."""
    run = cli("advance", "--help")
    assert run.code == 0, run.err
    assert "liaison advance [OPTIONS] CASE EVENT" in run.out
    assert "STAFF_ID" in run.out and "FIELD=VALUE" in run.out
    for typed in ("{CASE}", "<str>", "<bool>", "<list", "<path>"):
        assert typed not in run.out, typed
