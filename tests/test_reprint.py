"""`liaison letters reprint`: a letter of every shipped workflow renders again exactly as it
was sent, from the template and the context stored with it (issue 8), also after the
parent's address is re-imported with a new value: history is not rewritten (GDPR
accuracy of the record of what was sent; HSP-5's chronology).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Clock, Run, letter_text, move_clock

from engine.core.definitions import Event, Field
from engine.errors import LiaisonError
from engine.letters.renderer import docx_text
from engine.service.liaison import Liaison
from engine.service.views import Made

SHIPPED = ("conduct_escalation", "contact_log", "external_contact", "first_day_absence",
           "home_school_agreement", "home_visit", "query_routing", "readmission")
STUDENT, CONTACTS = "S1001", ["C2001", "C2002"]  # Sarah Hughes of 14 Orchard Close, and Daniel
PARENTS = ("Mrs Sarah Hughes", "Mr Daniel Hughes")
LATER = dt.datetime(2026, 12, 18, 17, 0)


def _value(field: Field, staff: str) -> list[str]:
    """A valid value of each type, chosen once, so that a walk is repeatable."""
    return {"date": ["2026-11-20"], "datetime": ["2026-11-20T10:30"], "staff": [staff],
            "contact": [CONTACTS[0]], "choice": list(field.choices[-1:]),  # not "reason given"
            "attendees": [STUDENT, CONTACTS[0], staff], "list": ["Phone the office"],
            }.get(field.type, ["Spoke to Mrs Hughes & agreed <next> steps"])


def _given(event: Event, staff: str) -> dict[str, list[str]]:
    """Valid fields, with a choice that a document of the event is written for (the home
    visit's letter goes when the visit is arranged by letter)."""
    wanted = {name: [allowed[0]] for d in event.documents for name, allowed in d.when.equals}
    return {f.name: wanted.get(f.name) or _value(f, staff) for f in event.fields}


def _first_letter(engine: Liaison, workflow: str) -> Made:
    """Open a case of ``workflow`` and fire what staff may (each event once, while there
    are new ones) until a letter to a parent is written, or a record for the file where the
    workflow writes none to parents (the contact log's sheet); return it."""
    flow = engine.school.workflow(workflow)
    staff = list(engine.school.staff)
    made: list[Made] = []
    case = None
    for actor in staff:
        try:
            outcome = engine.open(workflow, STUDENT, actor, _given(flow.opening, actor))
        except LiaisonError:
            continue
        case, made = outcome.case, list(outcome.documents)
        break
    assert case is not None, f"no member of staff could open {workflow}"
    fired: list[str] = []
    to_parents = any(_writes_to_parents(e) for e in [flow.opening, *flow.events.values()])
    for _ in range(12):
        letters = [d for d in made if d.recipient in PARENTS or not to_parents]
        if letters:
            return letters[0]
        made = _step(engine, case, flow, staff, fired)
    raise AssertionError(f"{workflow}: no letter in 12 steps (fired {fired})")


def _writes_to_parents(event: Event) -> bool:
    return any(d.to in ("contact", "contacts") for d in event.documents)


def _step(engine: Liaison, case: str, flow: object, staff: list[str],
          fired: list[str]) -> list[Made]:
    # Every event in its declared order (the policy's usual path first) by anyone: the
    # engine refuses what the policy does not allow, and the walk tries the next.
    offered = [(name, actor) for name in flow.events for actor in staff]  # type: ignore[attr-defined]
    # An event not fired yet first, and of those one that writes to parents.
    offered.sort(key=lambda o: (o[0] in fired,
                                not _writes_to_parents(flow.events[o[0]])))  # type: ignore[attr-defined]
    refused = []
    for name, actor in offered:
        event = flow.events[name]  # type: ignore[attr-defined]
        try:
            outcome = engine.advance(case, name, actor, _given(event, actor))
        except LiaisonError as refusal:
            refused.append(f"{name} by {actor}: {refusal}")
            continue
        fired.append(name)
        return list(outcome.documents)
    raise AssertionError(f"{case}: no event can be fired: {refused}")


@pytest.mark.parametrize("workflow", SHIPPED)
def test_reprint_is_the_letter_as_sent_even_after_the_address_changes(
        workflow: str, liaison: Liaison, school: Path, clock: Clock,
        cli: Callable[..., Run], tmp_path: Path) -> None:
    move_clock(liaison, LATER)
    letter = _first_letter(liaison, workflow)
    sent = letter_text(school, letter.path)
    assert letter.recipient.split()[-1] in sent
    if letter.recipient in PARENTS:  # the address block, which the re-import changes
        assert "14 Orchard Close" in sent or "27 Station Road" in sent
    name = Path(letter.path).name

    first = cli("letters", "reprint", name, "--as", "HT01", "--out", tmp_path / "a.docx",
                "--school", school)
    assert first.code == 0, first.err
    assert docx_text((tmp_path / "a.docx").read_bytes()) == sent

    contacts = school / "samples" / "contacts.csv"
    moved = contacts.read_text(encoding="utf-8").replace("14 Orchard Close",
                                                         "2 Mill Lane").replace(
        "Flat 3,27 Station Road", "9 Canal Street,")
    contacts.write_text(moved, encoding="utf-8")
    liaison.import_contacts(contacts)
    again = cli("letters", "reprint", name, "--as", "HT01", "--out", tmp_path / "b.docx",
                "--school", school)
    assert again.code == 0, again.err
    assert docx_text((tmp_path / "b.docx").read_bytes()) == sent
    assert "2 Mill Lane" not in sent and "9 Canal Street" not in sent


def test_a_reprint_of_a_case_one_may_not_see_is_no_document(
        liaison: Liaison, school: Path, cli: Callable[..., Run], tmp_path: Path) -> None:
    move_clock(liaison, LATER)
    letter = _first_letter(liaison, "external_contact")  # restricted (CLA-2)
    run = cli("letters", "reprint", Path(letter.path).name, "--as", "VP02",
              "--out", tmp_path / "x.docx", "--school", school)
    assert (run.code, run.out) == (1, "")
    assert run.err.startswith("error: no document ")
    assert not (tmp_path / "x.docx").exists()
