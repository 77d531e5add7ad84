"""An administrator acts as another member of staff only through an explicit, audited path
(issue 15, finding 1: "an administrator's impersonation is explicit and audited").

``liaison --because WHY COMMAND ... --as STAFF_ID``, by a member of staff school.yaml's
``security.administrators`` names, with the CLI knowing who is typing (os_user, the
account this test runs as). Who, as whom, why, when, the command and the case are written
down before the command acts, and the case's history shows it; restricted cases (CLA-3)
stay unseen unless ``security.impersonate_restricted: true``. Driven through the real CLI.
"""

from __future__ import annotations

import os
import pwd
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Run, case_in

from engine.service.liaison import Liaison
from engine.store.impersonations import Impersonations

Cli = Callable[..., Run]
ME = pwd.getpwuid(os.getuid()).pw_name
WHY = "Janet is off sick; the meeting letter must go today"


def _as_admin(school: Path, admin: str = "AH01", restricted: bool = False,
              login_of: str | None = None) -> None:
    """``admin`` is the administrator, and this account is ``login_of``'s (``admin``'s when
    not given); written from the school's first school.yaml each time."""
    path, first = school / "school.yaml", school / "school.yaml.first"
    if not first.exists():
        first.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    extra = "  impersonate_restricted: true\n" if restricted else ""
    login_of = login_of or admin
    path.write_text(first.read_text(encoding="utf-8").replace(
        "  cli_identity: trust\n  administrators: []\n",
        f"  cli_identity: os_user\n  administrators: [{admin}]\n{extra}").replace(
        f"  - id: {login_of}\n", f"  - id: {login_of}\n    login: {ME}\n"), encoding="utf-8")


def _one_line(run: Run) -> str:
    assert run.code == 1 and run.out == "" and run.err.count("\n") == 1, (run.out, run.err)
    assert "Traceback" not in run.err
    return run.err.removeprefix("error: ").strip()


def test_an_administrator_acts_as_another_only_saying_why_and_it_is_written_down(
        school_cli: Cli, school: Path, liaison: Liaison) -> None:
    case = case_in(liaison, "incident_reported")
    _as_admin(school)
    # Without a reason: refused, and told how.
    said = _one_line(school_cli("show", case, "--as", "OF01"))
    assert said == ("you are AH01 (Ms Claire Dunn) here, so --as OF01 is refused (school.yaml "
                    "security.cli_identity: os_user) (an administrator acts as another by "
                    "saying why: liaison --because WHY ... --as OF01)")
    assert Impersonations(liaison.store).all() == []
    run = school_cli("--because", WHY, "advance", case, "request_meeting",
                     "--set", "meeting_at=2026-11-26T15:30", "--set", "with_staff=HY09",
                     "--at", "2026-11-23T09:00", "--as", "OF01", "--json")
    assert run.code == 0, run.err
    assert liaison.store.events(case)[-1].actor == "OF01"  # the act is OF01's ...
    [row] = Impersonations(liaison.store).all()  # ... and who really did it is on file
    assert row == {"id": row["id"], "by_staff": "AH01", "by_name": "Ms Claire Dunn",
                   "as_staff": "OF01", "as_name": "Mrs Janet Cole", "reason": WHY,
                   "command": "advance", "case_id": case, "at": row["at"]}
    # The case's history shows it, in the table and in JSON.
    history = school_cli("history", case, "--as", "AH01")
    assert history.code == 0, history.err
    line = next(x for x in history.out.splitlines() if "acting as" in x)
    assert "AH01 Ms Claire Dunn as OF01 Mrs Janet Cole (advance): Janet is off sick" in line
    entries = school_cli("history", case, "--as", "AH01", "--json").json()
    [acted] = [e for e in entries if "impersonation" in e]
    assert acted == {"impersonation": "advance", "at": row["at"], "by": "AH01",
                     "by_name": "Ms Claire Dunn", "as": "OF01", "as_name": "Mrs Janet Cole",
                     "reason": WHY}


def test_only_an_administrator_may_and_a_reason_must_say_something(
        school_cli: Cli, school: Path, liaison: Liaison) -> None:
    case = case_in(liaison, "incident_reported")
    _as_admin(school, admin="HT01", login_of="OF01")  # this account is OF01's
    said = _one_line(school_cli("--because", WHY, "show", case, "--as", "HT01"))
    assert said == ("you are OF01 (Mrs Janet Cole) here, so --as HT01 is refused (school.yaml "
                    "security.cli_identity: os_user)")
    _as_admin(school)  # this account is AH01's, an administrator
    assert _one_line(school_cli("--because", " ... ", "show", case, "--as", "OF01")) == (
        "--because has no letter or digit in it: say why you act as another member of staff")
    assert _one_line(school_cli("--because", "x\x1b[2J", "show", case, "--as", "OF01")) \
        .startswith("--because: ")
    assert _one_line(school_cli("--because", WHY, "show", case)) == (
        "--because says why you act as another member of staff: give --as STAFF_ID of the "
        "one you act as")
    assert _one_line(school_cli("--because", WHY, "show", case, "--as", "NOBODY")).startswith(
        "unknown member of staff 'NOBODY' (see 'liaison staff')")
    assert Impersonations(liaison.store).all() == []  # nothing refused was written down


def test_acting_as_another_does_not_open_restricted_cases_unless_the_school_says_so(
        school_cli: Cli, school: Path, liaison: Liaison) -> None:
    """HT01 sees disclosures (CLA-3); an administrator acting as HT01 does not: the case is
    'not found' to them and left out of listings, unless impersonate_restricted: true."""
    disclosure = liaison.open("external_contact", "S1001", "FT01", {
        "summary": ["Tutoring"], "on_school_business": ["no"], "contact": ["C2001"]}).case
    conduct = case_in(liaison, "incident_reported")
    _as_admin(school)
    acting = ("--because", "HT01 asked me to check her list", )
    assert _one_line(school_cli(*acting, "show", disclosure, "--as", "HT01")) == (
        f"no case '{disclosure}'")
    listed = school_cli(*acting, "cases", "--as", "HT01", "--json")
    assert listed.code == 0, listed.err
    assert {c["case"] for c in listed.json()} == {conduct}
    with liaison.store.reads() as r:
        assert r.views_of(disclosure) == []
    # Leave given: HT01's restricted cases open to the administrator acting as HT01, and
    # the reading is written down as HT01's, with the impersonation beside it.
    _as_admin(school, restricted=True)
    shown = school_cli(*acting, "show", disclosure, "--as", "HT01", "--json")
    assert shown.code == 0, shown.err
    assert [(r["by_staff"], r["as_staff"], r["case_id"])
            for r in Impersonations(liaison.store).all()] == [
        ("AH01", "HT01", disclosure), ("AH01", "HT01", None), ("AH01", "HT01", disclosure)]
    with liaison.store.reads() as r:
        assert [v["staff_id"] for v in r.views_of(disclosure)] == ["HT01"]


def test_because_is_refused_where_the_cli_believes_as(school_cli: Cli,
                                                      liaison: Liaison) -> None:
    case = case_in(liaison, "incident_reported")
    assert _one_line(school_cli("--because", WHY, "show", case, "--as", "OF01")).startswith(
        "--because is for an administrator acting as another member of staff")


@pytest.mark.parametrize("given, said", [
    ("administrators: [ZZ99]", "security.administrators: unknown member of staff 'ZZ99'"),
    ("impersonate_restricted: maybe",
     "security.impersonate_restricted: expected true or false, got 'maybe'"),
])
def test_a_bad_administrators_setting_is_refused_at_its_line(
        school_cli: Cli, school: Path, given: str, said: str) -> None:
    path = school / "school.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "  administrators: []\n", f"  {given}\n"), encoding="utf-8")
    run = school_cli("check")
    assert run.code == 1 and said in run.err, run.err
    assert "school.yaml:" in run.err.split(said)[0].splitlines()[-1]
