"""Shared fixtures: a real school directory in tmp, a fixed clock, the real CLI.

Nothing we own is mocked. A test gets a fresh copy of the shipped demo school
(``engine.service.shipped.copy_school``) with its sample people imported into a real SQLite
file, a clock fixed in term time, and ``cli(...)`` to drive ``engine.cli.main(argv)`` and
read back its exit status, stdout and stderr.

The people are imported once per test process (``_imported``) through the real import, and
each test gets its own copy of that database file: importing for every test was most of
the suite's time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from engine.cli import main as cli_module
from engine.letters.renderer import docx_text
from engine.service.liaison import Liaison, Outcome
from engine.service.records import system_clock
from engine.service.shipped import copy_school, trust_the_cli

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "cases/liaison.sqlite3"

# The password the web tests give staff (tests/test_web.py, tests/test_browser.py).
PASSWORD_FOR_TESTS = "correct horse battery"

# Monday 23 November 2026, 09:00: a school day in the demo school's Autumn term.
NOW = dt.datetime(2026, 11, 23, 9, 0)

# The conduct workflow's open fields for the demo parent (S1004's mother, C2006).
OPENING = {"contact": ["C2006"], "incident_date": ["2026-11-20"], "severity": ["concern"],
           "incident_summary": ["Shouted at reception staff"]}

# Valid fields for every conduct event: enough to walk any path of the workflow.
CONDUCT_FIELDS: dict[str, dict[str, list[str]]] = {
    "request_meeting": {"meeting_at": ["2026-11-26T15:30"], "with_staff": ["HY09"]},
    "end_meeting": {"ended_because": ["The parent shouted and would not stop"]},
    "reconvene_meeting": {"meeting_at": ["2026-12-01T16:15"], "with_staff": ["VP02"]},
    "record_meeting": {"attendees": ["Mrs O'Brien", "Mr Okafor"],
                       "actions": ["Write to the School Office", "A weekly phone call"]},
    "repeat_incident": {"repeat_date": ["2026-12-03"],
                        "repeat_summary": ["Abusive emails to three teachers"]},
    "seek_legal_advice": {"grounds": ["Persistent abusive posts naming staff"]},
    "issue_site_ban": {"ban_from": ["2026-12-07"], "review_on": ["2027-01-15"],
                       "contact_route": ["by letter to the School Office"],
                       "reasons": ["Repeated abuse of staff"],
                       "representations_by": ["2026-12-14"],
                       "arrangements": ["Liam may be dropped off and collected at the Orchard "
                                        "Lane gate, where a member of staff will meet him"]},
    "confirm_ban": {"review_on": ["2027-02-15"]},
    "review_ban": {"review_notes": ["No further incidents"],
                   "review_outcome": ["There have been no further incidents, and I thank you "
                                      "for writing to the school as we asked"],
                   "review_on": ["2027-02-15"]},
    "lift_ban": {"lift_reason": ["A restorative plan is agreed"]},
    "resolve": {"outcome": ["A fresh start agreed"]},
    "close": {},
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: builds a wheel or starts processes (seconds)")
    config.addinivalue_line("markers", "sqlite_only: reads or changes the SQLite file itself")
    config.addinivalue_line("markers", "postgresql: needs LIAISON_TEST_DATABASE")


# The suite runs a second time on PostgreSQL (.ci/run): LIAISON_TEST_DATABASE is the URL
# of a database upgraded by its owner, reached as the application's unprivileged role.
# Each test's school is a tenant of its own there (a fresh school_id), so tests never see
# each other's rows: row-level security keeps them apart as it keeps schools apart.
POSTGRESQL = os.environ.get("LIAISON_TEST_DATABASE") or None
if POSTGRESQL:  # set before any fixture, module- and session-wide ones too
    os.environ["LIAISON_DATABASE_URL"] = POSTGRESQL


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if POSTGRESQL:
        skip = pytest.mark.skip(reason="reads or changes the SQLite file itself")
        for item in items:
            if "sqlite_only" in item.keywords:
                item.add_marker(skip)
    else:
        skip = pytest.mark.skip(reason="needs LIAISON_TEST_DATABASE (a PostgreSQL URL)")
        for item in items:
            if "postgresql" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(autouse=True)
def _no_school_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A developer's LIAISON_SCHOOL must not point a test at their real school, nor their
    LIAISON_DATABASE_URL at their real store, nor their LIAISON_TOKEN or sudo speak for a
    test's member of staff, nor a test keep compiled letters in their home
    (engine/service/compiled.py)."""
    for name in ("LIAISON_SCHOOL", "LIAISON_DATABASE_URL", "LIAISON_TOKEN", "SUDO_USER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LIAISON_CACHE", str(tmp_path / "compiled-letters"))
    if POSTGRESQL:
        monkeypatch.setenv("LIAISON_DATABASE_URL", POSTGRESQL)


@pytest.fixture
def school(tmp_path: Path) -> Path:
    """A fresh school directory copied from the shipped defaults (no people yet)."""
    root = tmp_path / "school"
    copy_school(root)  # with a school_id of its own: a tenant of its own on PostgreSQL
    trust_the_cli(root)  # the tests' identity: one person plays every member of staff
    return root


class Clock:
    """The engine's clock, fixed at ``now`` until a test moves it (never the real time)."""

    def __init__(self, now: dt.datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def school_at(root: Path, clock: Callable[[], dt.datetime] = system_clock) -> Liaison:
    """A school of its own at ``root`` (a school_id of its own: a tenant of its own on
    PostgreSQL), the CLI trusting ``--as``, with the sample students and contacts."""
    copy_school(root)
    trust_the_cli(root)  # the tests' identity: one person plays every member of staff
    engine = Liaison.at(root, clock=clock)
    engine.import_students(root / "samples" / "students.csv")
    engine.import_contacts(root / "samples" / "contacts.csv")
    return engine


@pytest.fixture(scope="session")
def _imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo school's database with its sample people imported, built once a session
    (on PostgreSQL, each test imports its own: there is no file to copy)."""
    root = tmp_path_factory.mktemp("imported") / "school"
    copy_school(root)
    if POSTGRESQL:
        return root / DATABASE
    engine = Liaison.at(root, clock=Clock())
    try:
        engine.import_students(root / "samples" / "students.csv")
        engine.import_contacts(root / "samples" / "contacts.csv")
    finally:
        engine.close()
    return root / DATABASE


@pytest.fixture
def liaison(school: Path, clock: Clock, _imported: Path) -> Iterator[Liaison]:
    """The school with its sample students and contacts imported, on the test's clock."""
    if POSTGRESQL:
        engine = Liaison.at(school, clock=clock)
        engine.import_students(school / "samples" / "students.csv")
        engine.import_contacts(school / "samples" / "contacts.csv")
    else:
        (school / DATABASE).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_imported, school / DATABASE)
        engine = Liaison.at(school, clock=clock)
    try:
        yield engine
    finally:
        engine.close()


def open_conduct(engine: Liaison, student: str = "S1004", actor: str = "HY09",
                 **fields: str) -> Outcome:
    """Open a conduct case now (the demo parent's unless ``contact=`` says otherwise)."""
    given = {**OPENING, **{k: [v] for k, v in fields.items()}}
    return engine.open("conduct_escalation", student, actor, given)


def year_12(liaison: Liaison, folder: Path, count: int) -> None:
    """``count`` students in Year 12 (X0000...), each with one mother to write to (K0000...),
    imported from CSV files written in ``folder``: a batch of known size."""
    students = folder / "students.csv"
    students.write_text("id,first_name,last_name,year,form,house\n" + "".join(
        f"X{i:04d},Sam,Lee,12,12A,Heron\n" for i in range(count)), encoding="utf-8")
    contacts = folder / "contacts.csv"
    contacts.write_text(
        "id,student_id,title,first_name,last_name,relationship,address_line1,address_line2,"
        "town,postcode,email,phone,language,separate_correspondence,correspondence\n"
        + "".join(f"K{i:04d},X{i:04d},Ms,Jo,Lee,Mother,1 High St,,Millbrook,MB1 1AA,,,,no,"
                  "all\n" for i in range(count)), encoding="utf-8")
    liaison.import_students(students)
    liaison.import_contacts(contacts)


def move_clock(engine: Liaison, to: dt.datetime) -> None:
    """Let time pass: the engine refuses events dated after its clock's now."""
    assert isinstance(engine.clock, Clock)
    engine.clock.now = to


def walk(engine: Liaison, case: str, steps: list[tuple[str, str]], gap: int = 1,
         **overrides: dict[str, list[str]]) -> Outcome:
    """Fire (event, actor) steps ``gap`` days apart from the clock's now, moving the clock,
    with CONDUCT_FIELDS (or ``overrides``); return the last outcome."""
    outcome = None
    for event, actor in steps:
        move_clock(engine, engine.clock() + dt.timedelta(days=gap))
        given = overrides.get(event, CONDUCT_FIELDS[event])
        outcome = engine.advance(case, event, actor, given)
    assert outcome is not None
    return outcome


# A path to each state of the conduct workflow. case_in walks it a week a step from NOW,
# so a ban issued on 7 December is confirmed on 14 December, when representations close.
PATHS: dict[str, list[tuple[str, str]]] = {
    "incident_reported": [],
    "meeting_requested": [("request_meeting", "OF01")],
    "meeting_ended": [("request_meeting", "OF01"), ("end_meeting", "HY09")],
    "meeting_held": [("request_meeting", "OF01"), ("record_meeting", "HY09")],
    "warning_issued": [("repeat_incident", "HY09")],
    "legal_advice_sought": [("repeat_incident", "HY09"), ("seek_legal_advice", "VP02")],
    "site_ban_issued": [("repeat_incident", "HY09"), ("issue_site_ban", "HT01")],
    "site_ban_confirmed": [("repeat_incident", "HY09"), ("issue_site_ban", "HT01"),
                           ("confirm_ban", "HT01")],
    "ban_lifted": [("repeat_incident", "HY09"), ("issue_site_ban", "HT01"),
                   ("lift_ban", "HT01")],
    "resolved": [("resolve", "HY09")],
    "closed": [("resolve", "HY09"), ("close", "HY09")],
}


def case_in(engine: Liaison, state: str, **fields: str) -> str:
    """A new conduct case opened at NOW and walked into ``state``; returns its id."""
    move_clock(engine, NOW)
    case = open_conduct(engine, **fields).case
    if PATHS[state]:
        assert walk(engine, case, PATHS[state], gap=7).state == state
    return case


def snapshot(engine: Liaison) -> tuple[list[str], dict[str, str]]:
    """The whole database and every document file: a refused event changes neither."""
    return engine.store.dump(), case_files(engine.school.root)


def letter_text(school: Path, path: str) -> str:
    """The text of a written letter, reopened from disk with python-docx."""
    return docx_text((school / path).read_bytes())


def case_files(school: Path) -> dict[str, str]:
    """Every file under cases/ but the database, with its SHA-256."""
    base = school / "cases"
    return {p.relative_to(school).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(base.rglob("*"))
            if p.is_file() and not p.name.startswith("liaison.sqlite3")}


# A workflow made for a test: opened straight into its one (terminal) state, writing the
# documents given. The conduct workflow writes only to the parent concerned; tests of other
# recipients (each parent, the family, the file) or of failures use one of these.
ONE_STEP = """\
workflow: {name}
title: {title}
prefix: {prefix}
open:
  roles: [office]
  to: sent
  fields:
    incident_date: date
    outcome: text
  documents:
{documents}
states:
  sent: {{title: Sent, terminal: true}}
events: {{}}
"""


def one_step_workflow(school: Path, name: str, title: str, documents: list[str]) -> None:
    """Write workflows/NAME.yaml; ``documents`` are "TEMPLATE to RECIPIENT" pairs."""
    lines = "\n".join(f"    - {{template: {t}, to: {to}}}"
                      for t, _, to in (d.partition(" to ") for d in documents))
    text = ONE_STEP.format(name=name, title=title, prefix=name[:3].upper(), documents=lines)
    (school / "workflows" / f"{name}.yaml").write_text(text, encoding="utf-8")


ONE_STEP_FIELDS = {"incident_date": ["2026-11-20"], "outcome": ["A fresh start"]}


@dataclass
class Run:
    """One run of the CLI: its exit status and what it printed."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """Run ``liaison ARGS...`` in-process through engine.cli.main; capture its output."""

    def run(*args: str | Path) -> Run:
        capsys.readouterr()  # drop anything printed before this run
        code = cli_module.main([str(a) for a in args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


@pytest.fixture
def school_cli(cli: Callable[..., Run], liaison: Liaison, school: Path) -> Callable[..., Run]:
    """The CLI on the fixture school (people imported), with ``--school`` added."""

    def run(*args: str | Path) -> Run:
        return cli(*args, "--school", school)

    return run
