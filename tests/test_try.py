"""`liaison try WORKFLOW` (issue 16): a whole workflow walked in a throwaway copy of the
school, driven through the real CLI with its steps on stdin. The real store, its files and
the temporary folder are as before afterwards, whatever the step did."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Run, snapshot
from docx import Document

from engine.service.liaison import Liaison


@pytest.fixture
def steps(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[[str], Path]:
    """Give the steps on stdin; the sandbox's temporary folders go under a folder of the
    test's own, which is returned, so what is left there can be seen."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))

    def given(text: str) -> Path:
        monkeypatch.setattr("sys.stdin", io.StringIO(text))
        return scratch

    return given


def test_exc_1_2_8_an_exclusion_walked_end_to_end_leaves_nothing_behind(
        cli: Callable[..., Run], liaison: Liaison, school: Path,
        steps: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """A suspension opened by the headteacher (EXC-1), its notice's text shown (EXC-2), a
    refusal said and walked past, and its end opening the readmission (EXC-8); the real
    store, even were it PostgreSQL, is never opened."""
    before = snapshot(liaison)
    monkeypatch.setenv("LIAISON_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/nowhere")
    scratch = steps("open kind=suspension start_on=2026-11-24 end_on=2026-11-25\n"
                    "open\n"
                    "board_considers --as FT01\n"
                    "end_suspension\n"
                    "board_considers --as OF01\n"
                    "end_suspension\n")
    run = cli("try", "exclusion", "--school", school, "--on", "2026-11-23")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0] == "open (as HT01, 2026-11-23T10:00) -> suspended"
    assert "  letter exclusion_notice.docx to Mrs Sarah Hughes:" in lines
    assert "    | I am writing to tell you that I have decided to suspend Ethan from school " \
           "from Tuesday 24 November 2026 to Wednesday 25 November 2026, both days " \
           "included." in lines
    assert "open: refused: the case is already open" in lines
    assert "board_considers: refused: FT01 (Mr Daniel Price) may not board considers in " \
           "exclusion: only acting_headteacher, headteacher, office" in lines
    # a refusal takes no day: the suspension's last day is still to come
    assert "end_suspension: refused: EXC-2026-0001: 'end_suspension' not before 2026-11-25 " \
           "(end on)" in lines
    assert "board_considers (as OF01, 2026-11-24T10:00) -> suspended" in lines
    assert "end_suspension (as HT01, 2026-11-25T10:00) -> ended" in lines
    assert any(line.startswith("  opened RDM-2026-0001 (readmission) is now excluded")
               for line in lines), run.out
    assert lines[-1] == "6 steps tried; the sandbox is removed."
    assert snapshot(liaison) == before
    assert list(scratch.iterdir()) == []


def test_try_copies_the_letters_for_word_and_gives_json(
        cli: Callable[..., Run], school: Path, steps: Callable[[str], Path],
        tmp_path: Path) -> None:
    steps("open contact=C2006 incident_date=2026-11-20 severity=serious\n"
          "request_meeting meeting_at=2026-11-26T15:30 with_staff=HY09\n")
    out = tmp_path / "letters-to-open"
    run = cli("try", "conduct_escalation", "--school", school, "--student", "S1004",
              "--on", "2026-11-23", "--letters", out, "--json")
    assert run.code == 0, run.err
    [opened, requested] = run.json()
    assert (opened["state"], requested["state"]) == ("incident_reported", "meeting_requested")
    [letter] = requested["letters"]
    assert letter["template"] == "conduct_meeting_request.docx"
    assert "Thursday 26 November 2026" in letter["text"]
    [copy] = list(out.iterdir())
    assert "Thursday 26 November 2026" in "\n".join(p.text for p in
                                                    Document(str(copy)).paragraphs)


def test_try_an_unknown_event_names_the_possible_ones(
        cli: Callable[..., Run], school: Path, steps: Callable[[str], Path]) -> None:
    steps("open kind=suspension start_on=2026-11-24 end_on=2026-11-25\nend_suspenson\n")
    run = cli("try", "exclusion", "--school", school, "--on", "2026-11-23", "--no-text")
    assert run.code == 0, run.err
    assert "end_suspenson: refused: no event 'end_suspenson' in exclusion (the events " \
           "possible now: board_considers, board_reinstates, withdraw, end_suspension)" \
           in run.out.splitlines()
    assert "    |" not in run.out


def test_try_refuses_an_unknown_workflow_in_one_line(
        cli: Callable[..., Run], school: Path, steps: Callable[[str], Path]) -> None:
    scratch = steps("open\n")
    run = cli("try", "exclusoin", "--school", school)
    assert run.code == 1
    assert run.err.startswith("error: ") and len(run.err.strip().splitlines()) == 1
    assert list(scratch.iterdir()) == []


def test_cmp_1_2_a_complaint_tried_shows_its_deadlines_and_keeps_its_author_in_sight(
        cli: Callable[..., Run], school: Path, steps: Callable[[str], Path]) -> None:
    """A complaint about the school: the member of staff complained about is asked for only
    when the complaint is about one (a required_when), so the headteacher acting here still
    sees the case (CMP-6); its deadlines are shown in school days (CMP-1, CMP-2)."""
    steps('open about=school\nacknowledge\nanswer outcome="we have looked into it"\n')
    run = cli("try", "complaints", "--school", school, "--on", "2026-11-02", "--no-text")
    assert run.code == 0, run.err
    assert run.out.splitlines() == [
        "open (as HT01, 2026-11-02T10:00) -> with_headteacher",
        "  deadline acknowledge_by: 2026-11-09",
        "  deadline answer_by: 2026-11-16",
        "  next: acknowledge, answer",
        "acknowledge (as HT01, 2026-11-03T10:00) -> with_headteacher",
        "  letter complaint_acknowledgement.docx to Mrs Sarah Hughes:",
        "  next: acknowledge, answer",
        "answer (as HT01, 2026-11-04T10:00) -> answered",
        "  letter complaint_stage1_answer.docx to Mrs Sarah Hughes:",
        "  next: request_stage2, close",
        "3 steps tried; the sandbox is removed."]
