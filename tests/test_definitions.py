"""Workflow definitions (engine.core.definitions) and the machine built from them
(engine.core.machine).

Every shipped workflow loads and validates in full; the schema expresses what the issue
asks (states with titles and a terminal flag; events from one or more states or any, with
roles, typed fields, documents to each kind of recipient, deadlines and clauses); parsed
definitions are frozen; and the machine only decides, with no `to_<state>` shortcuts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from engine.core import machine, rules
from engine.core.definitions import ANY, FIELD_TYPES, Workflow
from engine.core.school import DEFAULT_GROUPS, DEFAULT_ROLES
from engine.core.validation import available_fields, gathered, validate
from engine.errors import DefinitionError, TransitionNotAllowed
from engine.letters import renderer as letters
from engine.service.sources import letters_in, load_workflow
from engine.service.sources import parse_workflow as parse

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted((ROOT / "workflows").glob("*.yaml"))
ALL_ROLES = frozenset(DEFAULT_ROLES)

# Everything the schema must express, in one small workflow.
FULL = """\
workflow: full
title: Every feature once
policy: A policy (2026)
review_by: 2027-09-01
prefix: FUL
clauses: [HSP-2, PWP-5.2]
open:
  title: Log it
  roles: [office]
  to: logged
  fields:
    contact: {type: contact, title: Parent}
    received: {type: datetime}
    summary: text
    severity: {type: choice, choices: [concern, serious]}
  documents:
    - {template: letter.docx, to: contact}
  deadlines:
    - {name: reply, title: Reply, school_days: 10, from: received, clause: PWP-5.2}
states:
  logged: {title: Logged}
  meeting: {title: Meeting arranged, holder: head_of_year}
  closed: {title: Closed, terminal: true}
events:
  arrange:
    title: Arrange a meeting
    from: logged
    to: meeting
    roles: [head_of_year, headteacher]
    clauses: [HSP-2]
    fields:
      meeting_on: date
      with_staff: staff
      points: list
      who: attendees
      panel: {type: staff_list, optional: true}
      note: {type: text, optional: true, max_length: 50}
    documents:
      - {template: letter.docx, to: contacts}
      - {template: letter.docx, to: each_contact}
      - {template: letter.docx, to: "role:head_of_year"}
      - {template: letter.docx, to: file, when: {severity: serious}}
    deadlines:
      - {name: meet, at: meeting_on}
    meets: [reply]
  escalate:
    from:
      - {state: logged, when: {severity: serious}}
    to: meeting
    roles: [headteacher]
  close:
    from: any
    to: closed
    roles: [office]
"""


def _workflow(tmp_path: Path, text: str = FULL, name: str = "full") -> Path:
    (tmp_path / "letters").mkdir(exist_ok=True)
    (tmp_path / "letters" / "letter.docx").write_bytes(
        (ROOT / "letters" / "conduct_resolution.docx").read_bytes())
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def load(path: Path, roles: frozenset[str], folder: Path, fields=None) -> Workflow:  # type: ignore[no-untyped-def]
    return load_workflow(path, roles, letters_in(folder, fields))


def _load(path: Path) -> Workflow:
    return load(path, ALL_ROLES, path.parent / "letters")


def _problems(path: Path) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        _load(path)
    return caught.value.problems


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_workflow_loads_and_validates_with_its_letters(path: Path) -> None:
    """Each workflow in workflows/, templates included: a new one is tested the day it lands."""
    workflow = load(path, ALL_ROLES, ROOT / "letters", letters.template_fields)
    assert workflow.name == path.stem
    assert any(s.terminal for s in workflow.states.values())
    assert workflow.clauses, "cite the policy clauses the workflow encodes"
    for event in (workflow.opening, *workflow.events.values()):
        for doc in event.documents:
            assert (ROOT / "letters" / doc.template).is_file()


def test_the_schema_expresses_what_the_issue_asks(tmp_path: Path) -> None:
    w = _load(_workflow(tmp_path))
    assert (w.name, w.title, w.prefix, w.review_by) == ("full", "Every feature once", "FUL",
                                                        dt.date(2027, 9, 1))
    assert w.clauses == ("HSP-2", "PWP-5.2")
    assert {n: (s.title, s.terminal) for n, s in w.states.items()} == {
        "logged": ("Logged", False), "meeting": ("Meeting arranged", False),
        "closed": ("Closed", True)}
    assert w.states["meeting"].holder == "head_of_year"
    types = {f.name: f.type for f in w.field_types().values()}
    assert set(types.values()) == set(FIELD_TYPES)
    assert w.field_types()["severity"].choices == ("concern", "serious")
    assert w.field_types()["note"].optional and w.field_types()["note"].max_length == 50
    arrange = w.events["arrange"]
    assert arrange.roles == {"head_of_year", "headteacher"}
    assert [d.to for d in arrange.documents] == ["contacts", "each_contact",
                                                 "role:head_of_year", "file"]
    assert arrange.documents[3].when.holds({"severity": "serious"})
    assert not arrange.documents[3].when.holds({"severity": "concern"})
    assert arrange.deadlines[0].at == "meeting_on"
    (reply,) = w.opening.deadlines
    assert (reply.school_days, reply.start, reply.clause) == (10, "received", "PWP-5.2")
    assert arrange.meets == ("reply",)
    assert w.events["close"].source_states == (ANY,)


def test_parsed_definitions_are_frozen(tmp_path: Path) -> None:
    w = _load(_workflow(tmp_path))
    with pytest.raises(dataclasses.FrozenInstanceError):
        w.name = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        w.events["close"].roles = frozenset({"office"})  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        w.states["closed"].terminal = False  # type: ignore[misc]


def test_every_problem_is_collected_before_any_machine_is_built(tmp_path: Path) -> None:
    broken = (FULL.replace("to: meeting\n    roles: [head_of_year", "to: meting\n    roles: [hoy")
              .replace("template: letter.docx, to: each_contact", "template: gone.docx, to: each")
              .replace("summary: text", "summary: txt"))
    # A bad value does not hide the graph's problems: all come out in one pass.
    problems = _problems(_workflow(tmp_path, broken))
    messages = [p.split(": ", 1)[1] for p in problems]
    # Each names the nearest known name (issue 16: errors that teach).
    assert messages[0] == ("open.fields.summary.type: unknown type 'txt': did you mean 'text'? "
                           "(expected one of: " + ", ".join(FIELD_TYPES) + ")")
    roles = ", ".join(sorted(DEFAULT_ROLES))
    assert (f"events.arrange.roles: unknown role 'hoy': did you mean 'head_of_year'? "
            f"(school.yaml's roles: {roles}; its groups: {', '.join(sorted(DEFAULT_GROUPS))})"
            ) in messages
    assert ("events.arrange.to: unknown state 'meting': did you mean 'meeting'? (the states "
            "are under states:, line 20)") in messages
    assert ("events.arrange.documents.gone.docx.to: unknown recipient 'each': did you mean "
            "'each_contact'? (one of: contact, contacts, each_contact, file, line_manager, "
            "role:ROLE, kind:social_worker|virtual_school_head; docs/workflows.md)") in messages
    assert (f"events.arrange.documents.gone.docx.template: letter template not found: "
            f"{tmp_path / 'letters' / 'gone.docx'}: did you mean 'letter.docx'?") in messages
    assert all(p.startswith(f"{tmp_path / 'full.yaml'}:") for p in problems)


@pytest.mark.parametrize("change,message", [
    ("to: \"role:head_of_year\"", "to: \"role:caretaker\""),
    ("meets: [reply]", "meets: [answer]"),
    ("- {name: meet, at: meeting_on}", "- {name: meet, at: points}"),
    ("- {name: meet, at: meeting_on}", "- {name: meet, at: meeting_on, school_days: 2}"),
    ("- {template: letter.docx, to: file, when: {severity: serious}}",
     "- {template: letter.docx, to: file, when: {colour: red}}"),
    ("severity: {type: choice, choices: [concern, serious]}", "severity: {type: choice}"),
    ("review_by: 2027-09-01", "review_by: next year"),
])
def test_each_kind_of_mistake_is_refused(tmp_path: Path, change: str, message: str) -> None:
    assert change in FULL
    problems = _problems(_workflow(tmp_path, FULL.replace(change, message)))
    assert problems and all(p.startswith(f"{tmp_path / 'full.yaml'}:") for p in problems)


def test_a_field_declared_twice_with_different_types_is_refused(tmp_path: Path) -> None:
    text = FULL.replace("    roles: [headteacher]\n", "    roles: [headteacher]\n"
                        "    fields:\n      summary: date\n", 1)
    (problem,) = _problems(_workflow(tmp_path, text))
    assert problem.endswith("events.escalate.fields.summary: declared as 'date' here but "
                            "'text' elsewhere")


def test_the_workflow_name_must_be_the_file_name(tmp_path: Path) -> None:
    (problem,) = _problems(_workflow(tmp_path, name="other"))
    assert problem == (f"{tmp_path / 'other.yaml'}:1: workflow: 'full' must match the file "
                       "name 'other'")


def test_any_means_every_open_state(tmp_path: Path) -> None:
    w = _load(_workflow(tmp_path))
    for state in ("logged", "meeting"):
        assert "close" in machine.possible(w, state, {"severity": "concern"})
    assert machine.possible(w, "closed", {}) == []


def test_a_source_condition_decides_the_way(tmp_path: Path) -> None:
    """`from: {state, when}`: escalate fires from `logged` only for a serious matter."""
    w = _load(_workflow(tmp_path))
    facts = rules.Facts({}, dt.datetime(2026, 11, 23), "S1")
    assert machine.decide(w, "logged", "escalate", {"severity": "serious"}, facts) == "meeting"
    with pytest.raises(TransitionNotAllowed, match="'escalate' not allowed while the case is "
                                                   "'logged'"):
        machine.decide(w, "logged", "escalate", {"severity": "concern"}, facts)
    assert "escalate" not in machine.possible(w, "logged", {"severity": "concern"})


def test_the_machine_has_no_shortcut_jumps_and_refuses_unknown_events(tmp_path: Path) -> None:
    """transitions adds `to_<state>()` jumps unless auto_transitions=False: none here."""
    w = _load(_workflow(tmp_path))
    facts = rules.Facts({}, dt.datetime(2026, 11, 23), "S1")
    for name in ("to_closed", "to_meeting"):
        with pytest.raises(TransitionNotAllowed, match="has no event"):
            machine.decide(w, "logged", name, {}, facts)
    assert machine.decide(w, "meeting", "close", {}, facts) == "closed"


def test_fields_a_document_may_read(tmp_path: Path) -> None:
    """A letter may read what is gathered on every path to its event, what the event
    gives, and optional fields (as None when absent)."""
    w = _load(_workflow(tmp_path))
    before = gathered(w)
    assert before["logged"] == {"contact", "received", "summary", "severity"}
    # `escalate` reaches `meeting` without the arrange fields: they are not certain there
    assert "meeting_on" not in before["meeting"]
    close = available_fields(w, w.events["close"])
    assert "summary" in close and "note" in close and "meeting_on" not in close
    assert {"meeting_on", "points"} <= available_fields(w, w.events["arrange"])


def test_validate_returns_problems_without_raising(tmp_path: Path) -> None:
    w = parse(_workflow(tmp_path))
    assert validate(w, ALL_ROLES, letters_in(tmp_path / "letters")) == []
    assert validate(w, ALL_ROLES - {"head_of_year"}, letters_in(tmp_path / "letters"))


def test_diagram_is_mermaid_from_the_definition(tmp_path: Path) -> None:
    w = _load(_workflow(tmp_path))
    drawn = machine.diagram(w)
    assert "stateDiagram-v2" in drawn
    for state in w.states:
        assert state in drawn
    for event in w.events:
        assert event in drawn
