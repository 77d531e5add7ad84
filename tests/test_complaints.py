"""The complaints procedure after the DfE's model (CMP-1..7), end to end through the real
CLI with --at dates: a complaint from Stage 1 to the panel's decision, a Stage 2 request
refused after its window (a rule in the YAML, `within:`), a complaint about the
headteacher heard by the Chair of Governors and hidden from the headteacher
(`hidden_from:`), and the panel printed by name."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conftest import Run, letter_text, snapshot

from engine.service.liaison import Liaison

Cli = Callable[..., Run]
CASE = "CMP-2026-0001"


def _open(cli: Cli, *more: str) -> Run:
    run = cli("open", "complaints", "--student", "S1004", "--as", "OF01",
              "--set", "contact=C2006", "--set", "received_at=2026-11-02T10:00",
              "--set", "summary=the way a detention was given", *more,
              "--at", "2026-11-02T11:00")
    assert run.code == 0, run.err
    return run


def _ok(cli: Cli, *args: str) -> Run:
    run = cli(*args)
    assert run.code == 0, run.err
    return run


def _letter(school: Path, run: Run) -> str:
    path = next(line.split()[1] for line in run.out.splitlines() if "wrote" in line)
    return letter_text(school, path)


def test_cmp_1_2_4_5_7_a_complaint_from_stage_1_to_the_panels_decision(
        school_cli: Cli, school: Path) -> None:
    opened = _open(school_cli, "--set", "about=school")
    assert opened.out.splitlines()[:3] == [
        f"{CASE} (complaints) is now with_headteacher",
        "  deadline acknowledge_by: 2026-11-09",     # 5 school days (CMP-1)
        "  deadline answer_by: 2026-11-16"]          # 10 school days (CMP-2)
    run = _ok(school_cli, "advance", CASE, "acknowledge", "--as", "OF01",
              "--at", "2026-11-03T09:00")
    assert ("Thank you for your complaint about the way a detention was given, which we "
            "received on Monday 2 November 2026 at 10am.") in _letter(school, run)
    run = _ok(school_cli, "advance", CASE, "answer", "--as", "HT01", "--set",
              "outcome=we have reviewed the detention and found it was given fairly",
              "--at", "2026-11-10T15:00")
    text = _letter(school, run)
    assert "We have reviewed the detention and found it was given fairly." in text
    assert "by Tuesday 24 November 2026, saying why you are not satisfied" in text
    assert "\nDr Helen Marsh\nHeadteacher\n" in text
    run = _ok(school_cli, "advance", CASE, "request_stage2", "--as", "OF01",
              "--set", "requested_at=2026-11-20T09:00", "--set", "grounds=in front of the class",
              "--at", "2026-11-20T09:30")
    assert run.out.splitlines()[1:] == ["  deadline stage2_acknowledge_by: 2026-11-27",
                                        "  deadline panel_by: 2026-12-18"]  # CMP-5
    run = _ok(school_cli, "advance", CASE, "acknowledge_stage2", "--as", "CL01",
              "--at", "2026-11-23T10:00")
    assert "\nMs Laura Finch\nClerk to the Governors\n" in _letter(school, run)
    _ok(school_cli, "advance", CASE, "arrange_panel", "--as", "CL01", "--set", "panel=GV02",
        "--set", "panel=GV03", "--set", "panel_on=2026-12-02", "--at", "2026-11-24T10:00")
    run = _ok(school_cli, "advance", CASE, "hold_panel", "--as", "CL01",
              "--at", "2026-12-02T18:30")
    # counted from the day of the hearing, not moved on by its ending after hours
    assert run.out.splitlines()[1:] == ["  deadline decision_by: 2026-12-09"]  # CMP-7
    run = _ok(school_cli, "advance", CASE, "send_decision", "--as", "GV01", "--set",
              "decision=the panel upholds the complaint in part", "--at", "2026-12-02T19:00")
    text = _letter(school, run)
    assert "The panel was:\nMrs Anita Shah\nMr Peter Wilde\n" in text
    assert "GV02" not in text and "GV03" not in text
    assert "The panel upholds the complaint in part." in text
    assert "\nMr Richard Holt\nChair of Governors\n" in text
    assert f"{CASE} (complaints) is now closed" in run.out


def test_cmp_4_a_stage_2_request_after_ten_school_days_is_refused(
        school_cli: Cli, school: Path, liaison: Liaison) -> None:
    _open(school_cli, "--set", "about=school")
    _ok(school_cli, "advance", CASE, "answer", "--as", "HT01", "--set", "outcome=no change",
        "--at", "2026-11-10T15:00")
    before = liaison.store.dump()
    run = school_cli("advance", CASE, "request_stage2", "--as", "OF01",
                     "--set", "requested_at=2026-11-25T09:00", "--set", "grounds=late",
                     "--at", "2026-11-25T09:30")
    assert (run.code, run.out) == (1, "")
    assert run.err == (f"error: {CASE}: 'request_stage2' too late: within 10 school days of "
                       "answered on (2026-11-10), that is by 2026-11-24\n")
    assert liaison.store.dump() == before
    _ok(school_cli, "advance", CASE, "request_stage2", "--as", "OF01",
        "--set", "requested_at=2026-11-24T09:00", "--set", "grounds=in time",
        "--at", "2026-11-24T09:30")


def test_cmp_3_6_a_complaint_about_the_headteacher_goes_to_the_chair_unseen_by_her(
        school_cli: Cli, school: Path) -> None:
    opened = _open(school_cli, "--set", "about=headteacher", "--set", "about_staff=HT01")
    assert opened.out.splitlines()[0] == f"{CASE} (complaints) is now with_chair"
    for args in (["show", CASE], ["history", CASE],
                 ["advance", CASE, "answer", "--set", "outcome=x", "--at", "2026-11-04T10:00"]):
        run = school_cli(*args, "--as", "HT01")
        assert (run.code, run.err) == (1, f"error: no case '{CASE}'\n"), args
    assert CASE not in _ok(school_cli, "cases", "--as", "HT01").out
    assert CASE not in _ok(school_cli, "due", "--all", "--as", "HT01", "--on",
                           "2026-11-09").out
    assert CASE in _ok(school_cli, "due", "--all", "--as", "OF01", "--on", "2026-11-09").out
    shown = _ok(school_cli, "show", CASE, "--as", "GV01").out
    assert "holder role:chair_of_governors" in shown
    run = _ok(school_cli, "advance", CASE, "answer", "--as", "GV01", "--set",
              "outcome=I have looked into your complaint", "--at", "2026-11-04T10:00")
    assert "\nMr Richard Holt\nChair of Governors\n" in _letter(school, run)


def test_cmp_6_a_member_of_staff_never_sees_a_complaint_about_them(
        school_cli: Cli) -> None:
    _open(school_cli, "--set", "about=staff_member", "--set", "about_staff=HY09")
    run = school_cli("show", CASE, "--as", "HY09")
    assert (run.code, run.err) == (1, f"error: no case '{CASE}'\n")
    assert CASE in _ok(school_cli, "show", CASE, "--as", "HT01").out
    refused = school_cli("open", "complaints", "--student", "S1004", "--as", "OF01",
                         "--set", "contact=C2006", "--set", "received_at=2026-11-02T10:00",
                         "--set", "summary=x", "--set", "about=staff_member",
                         "--at", "2026-11-02T11:00")
    assert (refused.code, refused.err) == (1, "error: open complaints: about staff is needed "
                                           "when about is staff_member or headteacher\n")


def test_cmp_5_a_panel_member_who_is_an_employee_is_refused(school_cli: Cli,
                                                             liaison: Liaison) -> None:
    """The panel is of governors, none an employee of the school (CMP-5): school.yaml
    marks governors `employee: false`, and a teacher named on the panel is refused."""
    _open(school_cli, "--set", "about=school")
    _ok(school_cli, "advance", CASE, "answer", "--as", "HT01", "--set", "outcome=we agree",
        "--at", "2026-11-10T10:00")
    _ok(school_cli, "advance", CASE, "request_stage2", "--as", "OF01",
        "--set", "requested_at=2026-11-20T09:00", "--set", "grounds=not answered",
        "--at", "2026-11-20T09:30")
    before = snapshot(liaison)
    run = school_cli("advance", CASE, "arrange_panel", "--as", "CL01", "--set", "panel=GV02",
                     "--set", "panel=ST01", "--set", "panel_on=2026-12-02",
                     "--at", "2026-11-24T10:00")
    assert run.code == 1
    assert run.err.strip().splitlines()[-1].endswith(
        "panel may not include an employee of the school: ST01")
    assert snapshot(liaison) == before
    _ok(school_cli, "advance", CASE, "arrange_panel", "--as", "CL01", "--set", "panel=GV02",
        "--set", "panel=GV03", "--set", "panel_on=2026-12-02", "--at", "2026-11-24T10:00")


def test_cmp_5_employee_is_true_or_false_at_its_line(school: Path,
                                                      cli: Callable[..., Run]) -> None:
    path = school / "school.yaml"
    text = path.read_text(encoding="utf-8").replace("employee: false", "employee: no", 1)
    path.write_text(text, encoding="utf-8")
    run = cli("check", "--school", school)
    assert run.code == 1
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "employee: no" in t)
    assert f"{path}:{line}:" in run.err and "expected true or false, got 'no'" in run.err


def test_cmp_school_listed_clauses_are_the_only_ones_cited(school: Path,
                                                         cli: Callable[..., Run]) -> None:
    """school.yaml lists the complaints procedure's own clauses: a workflow citing
    CMP-8 is refused at its line, with the nearest listed clause."""
    path = school / "workflows" / "complaints.yaml"
    text = path.read_text(encoding="utf-8").replace("    clauses: [CMP-7]\n",
                                                    "    clauses: [CMP-8]\n", 1)
    path.write_text(text, encoding="utf-8")
    run = cli("check", "--school", school)
    assert run.code == 1
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "[CMP-8]" in t)
    assert (f"{path}:{line}: events.send_decision.clauses: 'CMP-8' is not one of the clauses "
            "school.yaml lists for CMP: did you mean 'CMP-7'? (CMP-1, CMP-2, CMP-3, CMP-4, "
            "CMP-5, CMP-6, CMP-7)") in run.err, run.err
