"""The `liaison` command, driven through engine.cli.main(argv) on real school directories.

Errors are one `error:` line on stderr with exit status 1 (2 for usage errors), never a
traceback, and change nothing; `--json` prints one JSON document with the keys the issue
lists and document paths relative to the school directory; `demo`, `init`, `check`,
`diagram`, `import` and `--school`/LIAISON_SCHOOL work on real folders.

The CLI runs on the real clock, so cases opened here are dated now (no `--at` in the future).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Run, case_files, snapshot

from engine.service.liaison import Liaison

Cli = Callable[..., Run]
OPEN = ["open", "conduct_escalation", "--student", "S1004", "--as", "HY09",
        "--set", "contact=C2006", "--set", "incident_date=2026-11-20",
        "--set", "severity=serious", "--set", "incident_summary=Shouted & swore at <reception>"]
MEETING = ["--set", "meeting_at=2026-11-26T15:30", "--set", "with_staff=HY09"]


@pytest.fixture
def case(school_cli: Cli) -> str:
    run = school_cli(*OPEN, "--json")
    assert run.code == 0, run.err
    return str(run.json()["case"])


def _one_error_line(run: Run, code: int = 1) -> str:
    assert run.code == code, (run.out, run.err)
    assert run.err.startswith("error: "), run.err
    assert run.err.count("\n") == 1, run.err
    assert "Traceback" not in run.err + run.out
    return run.err.strip()


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("args,message", [
    (["show", "CON-2099-9999", "--as", "HT01"], "error: no case 'CON-2099-9999'"),
    (["show", "{case}", "--as", "NOBODY"],
     "error: unknown member of staff 'NOBODY' (see 'liaison staff')"),
    (["advance", "{case}", "issue_site_ban", "--as", "OF01", "--set", "ban_from=2026-12-07"],
     "error: OF01 (Mrs Janet Cole) may not issue site ban in conduct_escalation: only "
     "headteacher"),
    (["advance", "{case}", "fly_away", "--as", "HT01"],
     "error: {case}: workflow 'conduct_escalation' has no event 'fly_away' (events: "),
    (["advance", "{case}", "request_meeting", "--as", "OF01", "--set",
      "meeting_at=2026-11-26T15:30"],
     "error: {case} request_meeting: missing field 'with_staff' (staff); give --set "
     "with_staff=..."),
    (["advance", "{case}", "request_meeting", "--as", "OF01", *MEETING, "--at", "yesterday"],
     "error: --at 'yesterday': expected an ISO date or date and time"),
    (["advance", "{case}", "request_meeting", "--as", "OF01", *MEETING, "--at", "2099-01-01"],
     "error: --at 2099-01-01T00:00 is in the future"),
    (["advance", "{case}", "request_meeting", "--as", "OF01", "--set", "meeting_at"],
     "error: --set 'meeting_at': expected key=value"),
    (["advance", "{case}", "request_meeting", "--as", "OF01", *MEETING, "--set", "colour=red"],
     "error: {case} request_meeting: unknown field 'colour' (expected: meeting_at, "
     "with_staff)"),
    (["advance", "{case}", "request_meeting", "--as", "OF01", "--set", "meeting_at=soon",
      "--set", "with_staff=HY09"],
     "error: {case} request_meeting: field 'meeting_at': 'soon' is not a date and time"),
    (["advance", "{case}", "close", "--as", "HT01"],
     "error: {case}: 'close' not allowed while the case is 'incident_reported'"),
    (["open", "no_such_workflow", "--student", "S1004", "--as", "HY09"],
     "error: no workflow 'no_such_workflow' (known: "),
    (["open", "conduct_escalation", "--student", "S9999", "--as", "HY09"],
     "error: no student 'S9999' (import students first)"),
    (["actions", "{case}", "--as", "NOBODY"], "error: unknown member of staff 'NOBODY'"),
    (["history", "CON-2099-9999", "--as", "HT01"], "error: no case 'CON-2099-9999'"),
    (["cases", "--as", "HT01", "--workflow", "nope"], "error: no workflow 'nope'"),
    (["import", "students", "no_such.csv"], "error: no_such.csv: cannot read the file"),
])
def test_errors_are_one_line_exit_1_and_change_nothing(
        school_cli: Cli, liaison: Liaison, case: str, args: list[str], message: str) -> None:
    before = snapshot(liaison)
    run = school_cli(*[a.replace("{case}", case) for a in args])
    line = _one_error_line(run)
    assert line.startswith(message.replace("{case}", case)), line
    assert snapshot(liaison) == before


@pytest.mark.parametrize("args,message", [
    (["frobnicate"], "error: No such command 'frobnicate'."),
    (["staff", "--frobnicate"], "error: No such option: --frobnicate"),
    (["show", "--as", "OF01"], "error: Missing argument 'CASE'."),
    (["advance", "{case}"], "error: Missing argument 'EVENT'."),
    (["open", "conduct_escalation", "--as", "HY09"], "error: Missing option '--student'."),
    (["import", "pupils", "x.csv"], "error: No such command 'pupils'."),
])
def test_usage_errors_exit_2(school_cli: Cli, liaison: Liaison, case: str, args: list[str],
                             message: str) -> None:
    before = snapshot(liaison)
    run = school_cli(*[a.replace("{case}", case) for a in args])
    assert _one_error_line(run, code=2) == message.replace("{case}", case)
    assert snapshot(liaison) == before


def test_a_folder_that_is_not_a_school_is_named(cli: Cli, tmp_path: Path) -> None:
    line = _one_error_line(cli("staff", "--school", tmp_path))
    assert line == (f"error: {tmp_path}: not a school directory (no school.yaml); use "
                    "--school DIR or 'liaison init DIR'")


def test_every_problem_of_a_broken_school_is_its_own_error_line(cli: Cli, school: Path) -> None:
    (school / "workflows" / "two.yaml").write_text(
        "workflow: two\ntitle: x\nprefix: TWO\nopen: {roles: [nobody], to: a}\n"
        "states: {a: {title: A}}\nevents: {}\n", encoding="utf-8")
    run = cli("check", "--school", school)
    assert run.code == 1
    lines = run.err.splitlines()
    assert len(lines) == 2 and all(line.startswith("error: ") for line in lines)


# --------------------------------------------------------------------------- --json


def _relative_files(school: Path, documents: list[dict[str, str]]) -> None:
    for doc in documents:
        assert set(doc) >= {"template", "recipient", "path", "sha256"}
        assert not Path(doc["path"]).is_absolute() and ".." not in Path(doc["path"]).parts
        assert doc["path"].startswith("cases/")
        data = (school / doc["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == doc["sha256"]


def test_open_and_advance_json(school_cli: Cli, school: Path) -> None:
    opened = school_cli(*OPEN, "--json")
    assert opened.code == 0, opened.err
    body = opened.json()
    assert {"case", "workflow", "state", "documents", "deadlines"} <= set(body)
    assert (body["workflow"], body["state"], body["documents"]) == (
        "conduct_escalation", "incident_reported", [])
    advanced = school_cli("advance", body["case"], "request_meeting", "--as", "OF01",
                          *MEETING, "--json")
    assert advanced.code == 0, advanced.err
    moved = advanced.json()
    assert (moved["case"], moved["workflow"], moved["state"]) == (
        body["case"], "conduct_escalation", "meeting_requested")
    assert [(d["template"], d["recipient"]) for d in moved["documents"]] == [
        ("conduct_meeting_request.docx", "Mrs Zoë O'Brien")]
    _relative_files(school, moved["documents"])
    assert moved["deadlines"] == [{"name": "meeting", "due": "2026-11-26T15:30"}]


def test_a_list_field_is_given_by_repeating_set(school_cli: Cli, liaison: Liaison,
                                                case: str) -> None:
    assert school_cli("advance", case, "request_meeting", "--as", "OF01", *MEETING).code == 0
    run = school_cli("advance", case, "record_meeting", "--as", "HY09",
                     "--set", "attendees=Mrs O'Brien", "--set", "attendees=Mr Reilly",
                     "--set", "actions=Write to the office", "--set", "actions=Weekly call",
                     "--json")
    assert run.code == 0, run.err
    fields = liaison.store.case(case).fields
    assert fields["actions"] == ["Write to the office", "Weekly call"]
    assert fields["attendees"] == ["Mrs O'Brien", "Mr Reilly"]


def test_show_cases_actions_history_json(school_cli: Cli, school: Path, case: str) -> None:
    assert school_cli("advance", case, "request_meeting", "--as", "OF01", *MEETING).code == 0
    view = school_cli("show", case, "--as", "HT01", "--json").json()
    assert {"case", "workflow", "state", "student", "contact", "fields", "bans", "deadlines",
            "documents", "version"} <= set(view)
    assert (view["case"], view["state"], view["student"], view["contact"]) == (
        case, "meeting_requested", "S1004", "C2006")
    assert view["fields"]["incident_summary"] == "Shouted & swore at <reception>"
    _relative_files(school, view["documents"])
    assert [d["name"] for d in view["deadlines"]] == ["meeting"]

    cases = school_cli("cases", "--as", "HT01", "--json").json()
    assert [(c["case"], c["workflow"], c["state"], c["student"]) for c in cases] == [
        (case, "conduct_escalation", "meeting_requested", "S1004")]
    assert school_cli("cases", "--as", "HT01", "--state", "closed", "--json").json() == []
    filtered = school_cli("cases", "--as", "HT01", "--workflow", "conduct_escalation", "--json")
    assert len(filtered.json()) == 1

    actions = school_cli("actions", case, "--as", "HY09", "--json").json()
    names = [a["event"] for a in actions]
    assert names == ["end_meeting", "record_meeting", "repeat_incident", "resolve"]
    record = next(a for a in actions if a["event"] == "record_meeting")
    assert record["fields"] == [{"name": "attendees", "type": "list", "optional": False},
                                {"name": "actions", "type": "list", "optional": False}]
    assert all(set(a) >= {"event", "title", "fields"} for a in actions)

    history = school_cli("history", case, "--as", "HT01", "--json").json()
    assert [(h["seq"], h["event"], h["actor"]) for h in history] == [
        (1, "open", "HY09"), (2, "request_meeting", "OF01")]


def test_workflows_and_staff_json(school_cli: Cli, liaison: Liaison) -> None:
    workflows = school_cli("workflows", "--json").json()
    conduct = next(w for w in workflows if w["name"] == "conduct_escalation")
    assert conduct["title"] == "Parent conduct escalation"
    assert "HSP-5" in conduct["clauses"]
    assert {w["name"] for w in workflows} == set(liaison.school.workflows)
    staff = school_cli("staff", "--json").json()
    assert all(set(s) == {"id", "name", "roles"} for s in staff)
    head = next(s for s in staff if s["id"] == "HT01")
    assert head == {"id": "HT01", "name": "Dr Helen Marsh",
                    "roles": ["headteacher", "senior_leader"]}
    assert len(staff) == len(liaison.school.staff)


def test_human_output_names_what_was_written(school_cli: Cli, case: str) -> None:
    run = school_cli("advance", case, "request_meeting", "--as", "OF01", *MEETING)
    assert run.code == 0 and run.err == ""
    assert f"{case} (conduct_escalation) is now meeting_requested" in run.out
    assert "wrote cases/documents/" in run.out and "for Mrs Zoë O'Brien" in run.out
    assert "deadline meeting: 2026-11-26T15:30" in run.out


# --------------------------------------------------------------------------- school folders


def test_demo_writes_the_letters_and_a_second_run_resets(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "demo"
    first = cli("demo", target, "--json")
    assert first.code == 0, first.err
    letters = first.json()
    assert {r["case"] for r in letters} == {"CON-2026-0001"}
    events = [r["event"] for r in letters]
    assert "issue_site_ban" in events and "resolve" in events
    for row in letters:
        assert (target / row["path"]).is_file()
    files_after_first = set(case_files(target))

    second = cli("demo", target, "--json")
    assert second.code == 0, second.err
    again = second.json()
    assert [(r["case"], r["event"], r["template"], r["recipient"]) for r in again] == [
        (r["case"], r["event"], r["template"], r["recipient"]) for r in letters]
    assert set(case_files(target)) == {r["path"] for r in again}
    assert not files_after_first & set(case_files(target))  # the first run's files are gone
    table = cli("demo", target)
    assert table.code == 0 and f"Letters written in {target}" in table.out
    assert "CON-2026-0001" in table.out


def test_demo_fits_an_80_column_terminal_and_says_what_to_do_next(
        cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from the folder a new user is in, with a relative target: every line fits 80
    columns, and the commands it suggests work from there."""
    monkeypatch.chdir(tmp_path)
    run = cli("demo", "demo-school")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert max(len(line) for line in lines) <= 80, max(lines, key=len)
    suggested = [line.strip().split() for line in lines if line.startswith("  liaison ")]
    assert len(suggested) == 3
    for command in suggested:
        again = cli(*command[1:])
        assert again.code == 0, (command, again.err)
        assert "None" not in again.out


def test_demo_without_a_folder_uses_demo_school_here(cli: Cli, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli("demo", "--json").code == 0
    assert (tmp_path / "demo-school" / "school.yaml").is_file()


def test_init_makes_a_school_that_check_passes(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "new-school"
    run = cli("init", target)
    assert run.code == 0, run.err
    for part in ("school.yaml", "workflows", "letters", "cases"):
        assert (target / part).exists()
    checked = cli("check", "--school", target)
    assert checked.code == 0, checked.err
    assert checked.out.splitlines()[-1].startswith("ok: ")  # after the identity warning
    line = _one_error_line(cli("init", target))
    assert line == f"error: {target}: already exists and is not empty"


def test_diagram_prints_mermaid(cli: Cli, school: Path, liaison: Liaison) -> None:
    run = cli("diagram", "conduct_escalation", "--school", school)
    assert run.code == 0, run.err
    assert "stateDiagram-v2" in run.out
    workflow = liaison.school.workflow("conduct_escalation")
    for name in (*workflow.states, *workflow.events):
        assert name in run.out
    assert _one_error_line(cli("diagram", "nope", "--school", school)).startswith(
        "error: no workflow 'nope'")


def test_import_reports_counts(cli: Cli, school: Path) -> None:
    run = cli("import", "students", school / "samples" / "students.csv", "--school", school)
    assert run.code == 0 and "imported 24 students" in run.out
    run = cli("import", "contacts", school / "samples" / "contacts.csv", "--school", school)
    assert run.code == 0 and "imported 39 contacts" in run.out


def test_the_school_is_found_from_the_option_the_environment_or_here(
        cli: Cli, school: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(school)
    assert cli("staff", "--json").code == 0
    monkeypatch.chdir(tmp_path)
    assert cli("staff", "--json").code == 1
    monkeypatch.setenv("LIAISON_SCHOOL", str(school))
    assert cli("staff", "--json").code == 0
    other = tmp_path / "other"
    other.mkdir()
    assert cli("staff", "--json", "--school", other).code == 1  # the option wins


RETIRED = """\
workflow: retired
title: A workflow the school later removes
prefix: RET
{visible}
open:
  roles: [office]
  to: logged
  fields:
    summary: text
states:
  logged: {{title: Logged}}
  closed: {{title: Closed, terminal: true}}
events:
  close: {{from: [logged], to: closed, roles: [office]}}
"""


@pytest.mark.parametrize("restricted", [False, True], ids=["open", "restricted"])
def test_cases_of_a_removed_workflow_break_nothing_else(
        school_cli: Cli, school: Path, restricted: bool) -> None:
    """A school deletes a workflow file that has cases: other cases of the same student
    still open and show, the student's record still reads; a restricted one (CLA-3) stays
    hidden from everyone but its roles, as it was stored."""
    path = school / "workflows" / "retired.yaml"
    visible = "visible_to: {roles: [headteacher]}" if restricted else ""
    path.write_text(RETIRED.format(visible=visible), encoding="utf-8")
    old = school_cli("open", "retired", "--student", "S1004", "--as", "OF01",
                     "--set", "summary=x", "--json")
    assert old.code == 0, old.err
    path.unlink()
    opened = school_cli(*OPEN, "--json")
    assert opened.code == 0, opened.err
    assert school_cli("show", opened.json()["case"], "--as", "OF01").code == 0
    assert school_cli("student", "S1004", "--as", "HT01", "--json").code == 0
    listed = {c["case"] for c in school_cli("cases", "--as", "OF01", "--json").json()}
    assert (old.json()["case"] in listed) is not restricted
    line = _one_error_line(school_cli("show", old.json()["case"], "--as", "HT01"))
    assert line.startswith("error: no ")
