"""Restricted cases (CLA-1, CLA-3): a disclosure of contact outside school, its documents
and its history are visible only to the headteacher and assistant headteacher, and to the
member of staff who disclosed it. Every command is driven through the real CLI, and for
anyone else each answers exactly as if the case did not exist.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Run, move_clock, open_conduct, school_at

from engine.cli.main import main as cli_main
from engine.service.liaison import Liaison

DISCLOSURE = ["--set", "summary=I tutor Ethan's cousin at weekends",
              "--set", "on_school_business=no", "--set", "contact=C2001"]
SEE = ["HT01", "AH01", "FT01"]  # headteacher, assistant headteacher, the discloser
HIDDEN = ["VP02", "OF01", "ST01"]  # a deputy head, the office, another discloser
CASE = "EXT-2026-0001"  # set by shared_school: the numbers are drawn at random
SECOND = "EXT-2026-0002"
MISSING = "EXT-2026-0099"


@pytest.fixture(scope="module")
def shared_school(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """FT01 disclosed (EXT-2026-0001), the headteacher let it go ahead (a form on file);
    ST01 disclosed another (EXT-2026-0002); a conduct case for the same student, with a
    letter, stands for everything that is not restricted. Built once: the tests only read,
    or try changes that are refused (and that change nothing, as test_conduct proves)."""
    root = tmp_path_factory.mktemp("restricted") / "school"
    school_at(root).close()
    global CASE, SECOND  # drawn at random (issue 15): known once each is opened
    first = ["open", "external_contact", "--student", "S1001", "--as", "FT01", *DISCLOSURE]
    second = ["open", "external_contact", "--student", "S1002", "--as", "ST01",
              "--set", "summary=Neighbours", "--set", "on_school_business=no"]
    at = ["--at", "2026-11-16T10:00", "--school", str(root)]
    assert cli_main([*first, *at]) == 0
    CASE = _disclosures(root)[0]
    assert cli_main(["advance", CASE, "decide", "--as", "HT01", "--set", "discussion=Fine",
                     "--set", "decision=goes_ahead", *at]) == 0
    assert cli_main([*second, *at]) == 0
    SECOND = next(c for c in _disclosures(root) if c != CASE)
    steps = [
        ["open", "conduct_escalation", "--student", "S1001", "--as", "HY09",
         "--set", "contact=C2001", "--set", "incident_date=2026-11-13",
         "--set", "severity=concern", "--set", "incident_summary=Shouted"],
        ["advance", "CON-2026-0001", "request_meeting", "--as", "OF01",
         "--set", "meeting_at=2026-11-19T15:30", "--set", "with_staff=HY09"],
    ]
    for step in steps:  # on Monday 16 November 2026 (the CLI's clock is the real one)
        assert cli_main([*step, *at]) == 0
    return root


def _disclosures(root: Path) -> list[str]:
    engine = Liaison.at(root)
    try:
        return [c.id for c in engine.store.cases(workflow="external_contact")]
    finally:
        engine.close()


@pytest.fixture
def disclosed(cli: Callable[..., Run], shared_school: Path) -> Callable[..., Run]:
    """The CLI on the shared school."""

    def run(*args: str) -> Run:
        return cli(*args, "--school", shared_school)

    return run


def _hidden_like_missing(run: Callable[..., Run], *args: str) -> None:
    """The command fails for the hidden case exactly as for a case that does not exist."""
    hidden = run(*[CASE if a == "{case}" else a for a in args])
    missing = run(*[MISSING if a == "{case}" else a for a in args])
    assert hidden.code == missing.code == 1
    assert hidden.err == missing.err.replace(MISSING, CASE) == f"error: no case '{CASE}'\n"
    assert hidden.out == ""


@pytest.mark.parametrize("who", SEE)
def test_cla_3_the_headteacher_assistant_head_and_discloser_see_it(
        disclosed: Callable[..., Run], who: str) -> None:
    shown = disclosed("show", CASE, "--as", who, "--json")
    assert shown.code == 0 and shown.json()["state"] == "goes_ahead"
    assert CASE in [c["case"] for c in disclosed("cases", "--as", who, "--json").json()]
    assert [e["event"] for e in disclosed("history", CASE, "--as", who, "--json").json()] == [
        "open", "decide"]
    docs = disclosed("documents", "--as", who, "--case", CASE, "--json").json()
    assert [d["template"] for d in docs] == ["external_contact_disclosure.docx",
                                             "external_contact_form.docx"]


@pytest.mark.parametrize("who", HIDDEN)
@pytest.mark.parametrize("command", [
    ["show", "{case}"], ["history", "{case}"], ["actions", "{case}"],
    ["advance", "{case}", "close"], ["advance", "{case}", "log_contact", "--set",
                                     "contact_note=x"],
    ["mark", "{case}", "--child-protection", "--reason", "x"],
    ["documents", "--case", "{case}"],
])
def test_cla_3_every_command_on_the_case_answers_as_if_it_did_not_exist(
        disclosed: Callable[..., Run], who: str, command: list[str]) -> None:
    _hidden_like_missing(disclosed, *command, "--as", who)


@pytest.mark.parametrize("who", HIDDEN)
def test_cla_3_listings_leave_it_out(disclosed: Callable[..., Run], who: str) -> None:
    for args in ([], ["--student", "S1001"]):
        cases = disclosed("cases", "--as", who, *args, "--json").json()
        assert CASE not in [c["case"] for c in cases]
        assert "CON-2026-0001" in [c["case"] for c in cases]
    assert [c["case"] for c in disclosed("cases", "--as", who, "--workflow", "external_contact",
                                         "--json").json()] == (
        [SECOND] if who == "ST01" else [])
    for args in (["--student", "S1001"], []):
        docs = disclosed("documents", "--as", who, *args, "--json").json()
        assert docs and not [d for d in docs if d["case"] == CASE]
    record = disclosed("student", "S1001", "--as", who, "--json").json()
    assert [s["workflow"] for s in record["status"]] == ["conduct_escalation"]
    text = disclosed("student", "S1001", "--as", who)
    assert text.code == 0 and CASE not in text.out and "Disclosure" not in text.out


def test_cla_3_a_discloser_sees_their_own_disclosure_and_no_one_elses(
        disclosed: Callable[..., Run]) -> None:
    assert [c["case"] for c in disclosed("cases", "--as", "FT01", "--workflow",
                                         "external_contact", "--json").json()] == [CASE]
    assert [c["case"] for c in disclosed("cases", "--as", "ST01", "--workflow",
                                         "external_contact", "--json").json()] == [
        SECOND]
    assert disclosed("show", SECOND, "--as", "FT01").err == f"error: no case '{SECOND}'\n"


@pytest.mark.parametrize(("who", "counted", "deadlines"), [
    ("HT01", 3, 2), ("FT01", 2, 1), ("ST01", 1, 1), ("VP02", 0, 0), ("OF01", 0, 0)])
def test_cla_3_the_indicators_report_counts_only_what_you_may_see(
        disclosed: Callable[..., Run], who: str, counted: int, deadlines: int) -> None:
    """HT01 sees both disclosures (open, decide, open); each discloser their own."""
    report = disclosed("report", "--as", who, "--from", "2026-11-01", "--to", "2026-11-30",
                       "--json").json()
    assert sum(e["count"] for e in report["events"]
               if e["workflow"] == "external_contact") == counted
    assert sum(d["met"] + d["late"] + d["missed"] + d["pending"] for d in report["deadlines"]
               if d["workflow"] == "external_contact") == deadlines


@pytest.mark.parametrize("who", HIDDEN)
def test_cla_3_the_due_list_leaves_it_out(disclosed: Callable[..., Run], who: str) -> None:
    """The disclosure's discussion deadline is held by the headteacher's role; nobody else
    sees it on the due list, even asking for every case."""
    on = "2026-11-27T09:00"  # after the discussion deadline of EXT-2026-0002
    for args in ([], ["--all"]):
        items = disclosed("due", "--as", who, "--on", on, *args, "--json")
        if items.code == 1:  # only office staff and leaders may ask for every case
            assert (who, args) == ("ST01", ["--all"]) and "may not list every case" in items.err
            continue
        assert not [i for i in items.json() if i["workflow"] == "external_contact"
                    and not (who == "ST01" and i["case"] == SECOND)]
    seen = disclosed("due", "--as", "HT01", "--on", on, "--json").json()
    assert {i["case"] for i in seen if i["workflow"] == "external_contact"} == {
        SECOND}


def test_cla_3_a_hidden_case_gives_no_coordination_warning(liaison: Liaison) -> None:
    """BEM-5 warnings name other cases of the family: never one the actor may not see."""
    liaison.open("external_contact", "S1001", "FT01", {
        "summary": ["x"], "on_school_business": ["no"], "contact": ["C2001"]})
    move_clock(liaison, liaison.clock())
    outcome = liaison.open("home_visit", "S1001", "HY09", {
        "contact": ["C2001"], "reason": ["curriculum"], "purpose": ["Options"],
        "visitor": ["HY09"]})
    assert outcome.warnings == []


def test_a_restricted_case_number_tells_nobody_how_many_exist(liaison: Liaison) -> None:
    """Issue 15: the office opening a disclosure got EXT-2026-0003, so knew two more were
    on file. A restricted workflow's numbers are drawn at random, once each; other
    workflows keep their count, with no gap."""
    made = [liaison.open("external_contact", "S1001", "FT01", {
        "summary": ["x"], "on_school_business": ["no"], "contact": ["C2001"]}).case
        for _ in range(12)]
    assert len(set(made)) == 12
    assert all(re.fullmatch(r"EXT-2026-[2-9A-HJ-NP-Z]{6}", case) for case in made), made
    assert not any(case.endswith(("-0001", "-0002", "-0003")) for case in made)
    assert liaison.store.next_case_id("EXT", 2026) == "EXT-2026-0001"  # no counter moves
    assert open_conduct(liaison).case == "CON-2026-0001"
