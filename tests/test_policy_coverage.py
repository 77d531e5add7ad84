"""docs/policy-coverage.md: every clause of the register has a row (what encodes it, the
tests that prove it, or why it is left out), the document is what the generator makes of
today's workflows, engine and tests, and each workflow's diagram is in it."""

from __future__ import annotations

import difflib
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "docs" / "policy-coverage.md"
SHARED_REGISTER = ROOT.parent / "shared" / "policies" / "CLAUSES.md"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("policy_coverage",
                                                  ROOT / "tools" / "policy_coverage.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("policy_coverage", module)
    spec.loader.exec_module(module)
    return module


coverage_tool = _load()
REGISTER = coverage_tool.read_register((ROOT / "docs" / "CLAUSES.md").read_text("utf-8"))
KNOWN = [c.id for c in REGISTER]


@pytest.fixture(scope="module")
def generated() -> str:
    return str(coverage_tool.generate())


def _rows(text: str) -> dict[str, str]:
    return {m[1]: m[0] for m in re.finditer(r"(?m)^\| ([A-Z]{3}-[0-9][0-9a-z.]*) \|.*$", text)}


def test_the_register_has_every_schools_clauses() -> None:
    assert len(REGISTER) == 49
    assert {c.family for c in REGISTER} == {"BEM", "CLA", "HSP", "PWP", "NSW", "EXC", "SAR"}
    assert KNOWN[:3] == ["BEM-1", "BEM-2", "BEM-3"] and "PWP-5.4a" in KNOWN


@pytest.mark.skipif(not SHARED_REGISTER.is_file(), reason="the shared policies are not "
                    "beside this checkout")
def test_the_registers_copy_is_the_shared_register() -> None:
    """The five schools' register as shared, then the statutory guidance's (EXC) and the
    law's (SAR)."""
    ours = (ROOT / "docs" / "CLAUSES.md").read_text("utf-8")
    assert ours.startswith(SHARED_REGISTER.read_text("utf-8"))
    assert ours[len(SHARED_REGISTER.read_text("utf-8")):].lstrip().startswith("## EXC")


def test_every_clause_in_the_register_has_a_row() -> None:
    rows = _rows(DOCUMENT.read_text("utf-8"))
    missing = [c for c in KNOWN if c not in rows]
    assert not missing, f"docs/policy-coverage.md has no row for {', '.join(missing)}"
    assert list(rows)[:len(KNOWN)] == KNOWN


def test_cmp_a_schools_own_clauses_each_have_a_row() -> None:
    """The complaints procedure's clauses, listed in school.yaml (not the shared
    register), each get a row with their text after the register's (issue 16)."""
    rows = _rows(DOCUMENT.read_text("utf-8"))
    own = [i for i in rows if i.startswith("CMP-")]
    assert own == [f"CMP-{n}" for n in range(1, 8)]
    assert list(rows)[len(KNOWN):] == own
    assert rows["CMP-3"].startswith("| CMP-3 | A complaint about the headteacher goes to the "
                                    "Chair of Governors instead. | `workflows/complaints.yaml`")


def test_the_document_is_up_to_date(generated: str) -> None:
    written = DOCUMENT.read_text("utf-8")
    if written != generated:
        diff = "\n".join(list(difflib.unified_diff(
            written.splitlines(), generated.splitlines(), "written", "generated",
            lineterm=""))[:40])
        pytest.fail("docs/policy-coverage.md is out of date with the workflows, engine or "
                    "tests: run python tools/policy_coverage.py (a generated file: whoever "
                    f"changed them regenerates and commits it)\n{diff}")


def test_every_clause_is_encoded_and_proved_or_says_why_not() -> None:
    cov, _ = coverage_tool.coverage()
    assert cov.gaps() == []
    assert cov.unknown == [], "clauses cited that the register does not have"


def test_every_workflow_has_its_diagram(generated: str) -> None:
    names = sorted(p.stem for p in (ROOT / "workflows").glob("*.yaml"))
    assert len(names) >= 7
    for name in names:
        section = generated.split(f"(`{name}`)\n", 1)[1].split("\n### ", 1)[0]
        assert "```mermaid\n---\n" in section and "stateDiagram-v2" in section, name


def test_a_clause_left_out_says_why(generated: str) -> None:
    row = _rows(generated)["PWP-5.7"]
    assert "Left out: A rule for staff conduct on social networking sites." in row


def test_a_restricted_workflow_says_who_may_see_it(generated: str) -> None:
    section = generated.split("(`external_contact`)\n", 1)[1].split("\n### ", 1)[0]
    assert ("Visible only to: assistant_head, headteacher and the member of staff who "
            "opened the case") in section


@pytest.mark.parametrize(("name", "ids"), [
    ("test_pwp_5_3_weekend_email_starts_next_working_week", ["PWP-5.3"]),
    ("test_pwp_5_2_5_3_worked_example", ["PWP-5.2", "PWP-5.3"]),
    ("test_pwp_5_4a_an_abusive_call", ["PWP-5.4a"]),
    ("test_bem_6_bem_7_the_outcome", ["BEM-6", "BEM-7"]),
    ("test_bem_3_4_visits", ["BEM-3", "BEM-4"]),
    ("test_nsw_3_the_call_is_overdue_on_the_due_list_from_10_31", ["NSW-3"]),
    ("test_hsp_2_step_1_meeting", ["HSP-2"]),
    ("test_months_spans_a_new_year", []),
])
def test_clauses_are_read_from_a_tests_name(name: str, ids: list[str]) -> None:
    assert coverage_tool.named(name, KNOWN) == ids


@pytest.mark.parametrize(("text", "ids"), [
    ("The conduct workflow, clause by clause (HSP-2..7, BEM-1, BEM-2)",
     ["HSP-2", "HSP-3", "HSP-4", "HSP-5", "HSP-6", "HSP-7", "BEM-1", "BEM-2"]),
    ("PWP-5.1..5.4 and PWP-5.4a.", ["PWP-5.1", "PWP-5.2", "PWP-5.3", "PWP-5.4", "PWP-5.4a"]),
    ("NSW-3: by the middle of the morning", ["NSW-3"]),
    ("no clause here, just HSP- and 5.3", []),
])
def test_clauses_are_read_from_a_docstring(text: str, ids: list[str]) -> None:
    assert coverage_tool.cited(text, KNOWN) == ids


def test_a_clause_encoded_without_a_test_is_a_gap() -> None:
    cov = coverage_tool.Coverage(REGISTER[:2], encoded={"BEM-1": ["x"], "BEM-2": ["y"]},
                                 proved={"BEM-1": ["test_bem_1"]})
    assert cov.gaps() == ["BEM-2: encoded but no test cites it"]
    bare = coverage_tool.Coverage(REGISTER[:1])
    assert bare.gaps() == ["BEM-1: not encoded, and LEFT_OUT gives no reason"]
