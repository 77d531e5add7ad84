"""`liaison check` on broken workflow files and templates: the right FILE:LINE, exit 1.

Each file in tests/broken/ carries its expected problems in its own header, as
``# expect: LINE[:COL]: text``; the test drops the file into a fresh school's
workflows/ and runs the real CLI. Every expected problem must be reported, as
``error: FILE:LINE...: ...text...``, and nothing else.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from conftest import Run

from engine import letters
from engine.errors import LetterError

BROKEN = sorted((Path(__file__).resolve().parent / "broken").glob("*.yaml"))
EXPECT = re.compile(r"^# expect: (\d+(?::\d+)?): (.*)$", re.MULTILINE)
ESCAPE = "{{ cycler.__init__.__globals__.os.popen('id').read() }}"


def test_there_are_a_dozen_broken_files_or_more() -> None:
    assert len(BROKEN) >= 12
    for path in BROKEN:
        assert EXPECT.search(path.read_text(encoding="utf-8")), f"{path.name} expects nothing"


def test_check_passes_on_the_shipped_school(school: Path, cli: Callable[..., Run]) -> None:
    run = cli("check", "--school", school)
    assert run.code == 0, run.err
    assert run.out.startswith("ok: ")
    assert run.err == ""


@pytest.mark.parametrize("broken", BROKEN, ids=lambda p: p.stem)
def test_check_reports_each_problem_at_its_line(broken: Path, school: Path,
                                                 cli: Callable[..., Run]) -> None:
    target = school.resolve() / "workflows" / broken.name
    shutil.copyfile(broken, target)
    run = cli("check", "--school", school)
    assert run.code == 1
    assert run.out == ""
    lines = run.err.splitlines()
    assert lines and all(line.startswith("error: ") for line in lines), run.err
    expected = EXPECT.findall(broken.read_text(encoding="utf-8"))
    for where, text in expected:
        prefix = f"error: {target}:{where}: "
        assert any(line.startswith(prefix) and text in line for line in lines), (
            f"expected {prefix}...{text}...\ngot:\n{run.err}")
    assert len(lines) == len(expected), run.err
    assert "Traceback" not in run.err


# What a letter reads is analysed by `liaison check` only; everyday commands skip the cost.
NEEDS_TEMPLATES = {"field_never_gathered"}


@pytest.mark.parametrize("broken", [p for p in BROKEN if p.stem not in NEEDS_TEMPLATES],
                         ids=lambda p: p.stem)
def test_a_broken_workflow_stops_every_command_but_names_the_problem(
        broken: Path, school: Path, cli: Callable[..., Run]) -> None:
    """The engine never runs on a broken definition: even `workflows` refuses, with exit 1."""
    shutil.copyfile(broken, school / "workflows" / broken.name)
    run = cli("workflows", "--school", school)
    assert run.code == 1
    assert run.err.startswith(f"error: {school.resolve() / 'workflows' / broken.name}:")


def _template(path: Path, *paragraphs: str) -> Path:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    document.save(str(path))
    return path


def test_check_rejects_a_sandbox_escape_in_a_letter(school: Path, cli: Callable[..., Run]) -> None:
    """A template that reaches for `__init__.__globals__` (a shell command through plain
    docxtpl) fails `liaison check`, naming the file."""
    bad = _template(school / "letters" / "escape.docx", "Dear parent,", ESCAPE)
    run = cli("check", "--school", school)
    assert run.code == 1
    lines = run.err.splitlines()
    assert all(line.startswith(f"error: {bad.resolve()}: body: ") for line in lines), run.err
    assert any("'__init__' is private" in line for line in lines)
    assert any("unknown name 'cycler'" in line for line in lines)
    bad.unlink()
    assert cli("check", "--school", school).code == 0


def test_a_sandbox_escape_never_runs_when_rendered(tmp_path: Path) -> None:
    """Rendering the escape is refused before any code runs: the marker file never appears."""
    marker = tmp_path / "ran"
    payload = ESCAPE.replace("'id'", f"'touch {marker}'")
    bad = _template(tmp_path / "escape.docx", payload)
    with pytest.raises(LetterError):
        letters.render(bad, {})
    assert not marker.exists()


@pytest.mark.parametrize("expression,why", [
    ("{{ 'a' * 10**9 }}", "memory"),
    ("{{ fields.nobody_gave_this }}", "field"),
    ("{{ unknown_name }}", "unknown name"),
])
def test_check_rejects_unsafe_or_unknown_expressions(school: Path, cli: Callable[..., Run],
                                                     expression: str, why: str) -> None:
    _template(school / "letters" / "odd.docx", expression)
    run = cli("check", "--school", school)
    if why == "field":  # a template no workflow uses: what it reads is checked when one does
        assert run.code == 0, run.err
        return
    assert run.code == 1
    assert "odd.docx" in run.err
