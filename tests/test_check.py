"""`liaison check` on broken workflow files and templates: the right FILE:LINE, exit 1.

Each file in tests/broken/ carries its expected problems in its own header, as
``# expect: LINE[:COL]: text``; the test drops the file into a fresh school's
workflows/ and runs the real CLI. Every expected problem must be reported, as
``error: FILE:LINE...: ...text...``, and nothing else.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import docx
import pytest
from conftest import Run

from engine.errors import LetterError
from engine.letters import renderer as letters
from engine.service.shipped import copy_school

BROKEN = sorted((Path(__file__).resolve().parent / "broken").glob("*.yaml"))
EXPECT = re.compile(r"^# expect: (\d+(?::\d+)?): (.*)$", re.MULTILINE)
ESCAPE = "{{ cycler.__init__.__globals__.os.popen('id').read() }}"


def test_there_are_a_dozen_broken_files_or_more() -> None:
    assert len(BROKEN) >= 12
    for path in BROKEN:
        assert EXPECT.search(path.read_text(encoding="utf-8")), f"{path.name} expects nothing"


def test_check_passes_on_the_shipped_school(shared_school: Path,
                                            cli: Callable[..., Run]) -> None:
    run = cli("check", "--school", shared_school)
    assert run.code == 0, run.err
    # A new school is told its CLI knows nobody yet (issue 15: security.cli_identity).
    assert run.out.splitlines()[:-1] == [
        "warning: school.yaml security.cli_identity is os_user but no member of staff has a "
        "login: (their operating-system account): nobody can use the CLI's case commands "
        "until one does"]
    assert run.out.splitlines()[-1].startswith("ok: ")
    assert run.err == ""


@pytest.fixture(scope="module")
def shared_school(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One school for every broken file (each is added, checked, removed): the letter
    templates are compiled once, not once per file."""
    root = tmp_path_factory.mktemp("check") / "school"
    copy_school(root)
    return root.resolve()


@pytest.fixture
def with_broken(shared_school: Path, request: pytest.FixtureRequest) -> Iterator[Path]:
    """The shared school with one broken workflow file dropped into workflows/."""
    broken: Path = request.param
    target = shared_school / "workflows" / broken.name
    shutil.copyfile(broken, target)
    try:
        yield target
    finally:
        target.unlink()


@pytest.mark.parametrize("with_broken", BROKEN, ids=lambda p: p.stem, indirect=True)
def test_check_reports_each_problem_at_its_line(with_broken: Path, shared_school: Path,
                                                 cli: Callable[..., Run]) -> None:
    target = with_broken
    broken = Path(__file__).resolve().parent / "broken" / target.name
    run = cli("check", "--school", shared_school)
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


@pytest.mark.parametrize("with_broken", [p for p in BROKEN if p.stem not in NEEDS_TEMPLATES],
                         ids=lambda p: p.stem, indirect=True)
def test_a_broken_workflow_stops_every_command_but_names_the_problem(
        with_broken: Path, shared_school: Path, cli: Callable[..., Run]) -> None:
    """The engine never runs on a broken definition: even `workflows` refuses, with exit 1."""
    run = cli("workflows", "--school", shared_school)
    assert run.code == 1
    assert run.err.startswith(f"error: {with_broken}:")


def _template(path: Path, *paragraphs: str) -> Path:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    document.save(str(path))
    return path


def test_check_rejects_a_sandbox_escape_in_a_letter(shared_school: Path,
                                                     cli: Callable[..., Run]) -> None:
    """A template that reaches for `__init__.__globals__` (a shell command through plain
    docxtpl) fails `liaison check`, naming the file."""
    bad = _template(shared_school / "letters" / "escape.docx", "Dear parent,", ESCAPE)
    try:
        run = cli("check", "--school", shared_school)
    finally:
        bad.unlink()
    assert run.code == 1
    lines = run.err.splitlines()
    assert all(line.startswith(f"error: {bad}: body: ") for line in lines), run.err
    assert any("'__init__' is private" in line for line in lines)
    assert any("unknown name 'cycler'" in line for line in lines)
    assert cli("check", "--school", shared_school).code == 0


def test_a_sandbox_escape_never_runs_when_rendered(tmp_path: Path) -> None:
    """Rendering the escape is refused before any code runs: the marker file never appears."""
    marker = tmp_path / "ran"
    payload = ESCAPE.replace("'id'", f"'touch {marker}'")
    bad = _template(tmp_path / "escape.docx", payload)
    with pytest.raises(LetterError):
        letters.render(bad, {})
    assert not marker.exists()


@pytest.mark.parametrize("expression,refused", [
    ("{{ 'a' * 10**9 }}", True),  # could exhaust memory
    ("{{ unknown_name }}", True),  # not in the context a letter receives
    # a batch letter (no workflow sends it) whose field has no declared type
    ("{{ fields.nobody_gave_this }}", True),
])
def test_check_rejects_unsafe_or_unknown_expressions(shared_school: Path, cli: Callable[..., Run],
                                                     expression: str, refused: bool) -> None:
    odd = _template(shared_school / "letters" / "odd.docx", expression)
    try:
        run = cli("check", "--school", shared_school)
    finally:
        odd.unlink()
    assert run.code == (1 if refused else 0), run.err
    if refused:
        assert all(line.startswith(f"error: {odd}: ") for line in run.err.splitlines())
