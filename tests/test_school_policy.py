"""Policy as data (issue 8): the roles staff hold, the groups the engine asks about
(leaders, safeguarding, senders) and the policies whose clauses workflows cite are read
from school.yaml, with the shipped values as the defaults, and a mistake in them is one
error line at its place in the file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Run

from engine.core.school import DEFAULT_CLAUSES, DEFAULT_GROUPS, DEFAULT_ROLES
from engine.service.liaison import Liaison
from engine.service.sources import load_profile


def _edit(school: Path, old: str, new: str) -> None:
    path = school / "school.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _without(school: Path, key: str) -> None:
    """school.yaml without its top-level ``key:`` block."""
    path = school / "school.yaml"
    lines, out, skipping = path.read_text(encoding="utf-8").splitlines(), [], False
    for line in lines:
        if line.startswith(f"{key}:"):
            skipping = True
            continue
        if skipping and (line.startswith((" ", "#")) or not line.strip()):
            continue
        skipping = False
        out.append(line)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def test_the_shipped_school_says_what_the_defaults_are(school: Path) -> None:
    profile = load_profile(school)
    assert profile.roles == frozenset(DEFAULT_ROLES)
    assert profile.groups == DEFAULT_GROUPS
    assert profile.clauses == DEFAULT_CLAUSES


def test_a_school_yaml_without_roles_groups_or_clauses_gets_the_defaults(school: Path) -> None:
    for key in ("roles", "groups", "clauses"):
        _without(school, key)
    profile = load_profile(school)
    assert (profile.roles, profile.groups, profile.clauses) == (
        frozenset(DEFAULT_ROLES), DEFAULT_GROUPS, DEFAULT_CLAUSES)


def _cite(school: Path, clause: str) -> int:
    """The home visit workflow citing ``clause`` too; the line of its ``clauses:``."""
    path = school / "workflows" / "home_visit.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    at = next(i for i, t in enumerate(lines) if t.startswith("clauses: ["))
    lines[at] = lines[at].replace("clauses: [", f"clauses: [{clause}, ", 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return at + 1


def test_a_school_registers_its_own_policy_and_cites_its_clauses(
        school: Path, cli: Callable[..., Run]) -> None:
    """A complaints procedure is not one of the five seed policies: the school names its
    prefix in school.yaml and its workflows may cite it; unregistered, it is refused."""
    line = _cite(school, "CMP-1")
    refused = cli("check", "--school", school)
    assert refused.code == 1
    assert (f"{school / 'workflows' / 'home_visit.yaml'}:{line}: clauses: 'CMP-1' is not a "
            "clause ID of a policy school.yaml registers (clauses:)") in refused.err
    _edit(school, "clauses:\n  BEM:", "clauses:\n  CMP: Complaints procedure (2026)\n  BEM:")
    assert load_profile(school).clauses["CMP"] == "Complaints procedure (2026)"
    run = cli("check", "--school", school)
    assert run.code == 0, run.err


def test_a_clause_prefix_that_is_not_capital_letters_is_refused_at_its_line(
        school: Path, cli: Callable[..., Run]) -> None:
    _edit(school, "clauses:\n  BEM:", "clauses:\n  cmp-: Complaints\n  BEM:")
    line = (school / "school.yaml").read_text(encoding="utf-8").splitlines().index(
        "  cmp-: Complaints") + 1
    run = cli("staff", "--school", school)
    assert (run.code, run.err) == (1, f"error: {school / 'school.yaml'}:{line}: clauses.cmp-: "
                                      "a clause prefix is 2 to 5 capital letters (as in "
                                      "PWP-5.3)\n")


def test_pwp_4_3_a_school_names_who_may_mark_child_protection(
        school: Path, liaison: Liaison, school_cli: Callable[..., Run]) -> None:
    """A school whose designated safeguarding lead is its head of year (HY09) says so in
    school.yaml; the headteacher alone is no longer enough, and the message says who is."""
    _edit(school, "  safeguarding: [headteacher, deputy_head, assistant_head, senior_leader]",
          "  safeguarding: [head_of_year]")
    case = liaison.open("conduct_escalation", "S1004", "HY09", {
        "contact": ["C2006"], "incident_date": ["2026-11-20"], "severity": ["concern"],
        "incident_summary": ["Shouted at reception staff"]}).case
    refused = school_cli("mark", case, "--child-protection", "--as", "HT01",
                         "--reason", "A disclosure")
    assert (refused.code, refused.err) == (
        1, "error: HT01 (Dr Helen Marsh) may not mark a case child protection: only "
           "head_of_year\n")
    no_reason = school_cli("mark", case, "--child-protection", "--as", "HY09")
    assert (no_reason.code, no_reason.err) == (
        1, f"error: {case} mark: say why it is a child-protection matter (--reason TEXT)\n")
    marked = school_cli("mark", case, "--child-protection", "--as", "HY09",
                        "--reason", "A disclosure to the head of year")
    assert marked.code == 0, marked.err


def test_a_role_the_school_does_not_list_is_refused_on_a_member_of_staff(
        school: Path, cli: Callable[..., Run]) -> None:
    _edit(school, "roles: [office, subject_teacher,", "roles: [subject_teacher,")
    run = cli("check", "--school", school)
    assert run.code == 1
    assert "unknown role 'office'" in run.err


@pytest.mark.parametrize(("old", "new", "message"), [
    ("  senders: [office,", "  senders: [bursar, office,",
     "groups.senders: unknown role 'bursar'"),
    ("  leaders: [office,", "  governors: [office,",
     "groups.governors: unknown group (expected one of: leaders, safeguarding, senders, "
         "records)"),
])
def test_a_bad_group_is_one_error_at_its_line(school: Path, cli: Callable[..., Run],
                                              old: str, new: str, message: str) -> None:
    _edit(school, old, new)
    line = next(n for n, t in enumerate((school / "school.yaml").read_text(
        encoding="utf-8").splitlines(), 1) if t.startswith(new.rstrip(",[")[:12]))
    run = cli("staff", "--school", school)
    assert run.code == 1
    assert run.err == f"error: {school / 'school.yaml'}:{line}: {message}\n", run.err
