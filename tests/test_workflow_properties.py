"""Property: random walks through each of the readmission, home visit, external contact,
contact log, Home–School Agreement and first-day absence workflows (Hypothesis).

Each example opens a case with valid fields in a store of its own, then fires events:
mostly ones `actions` offers someone (mostly not the ones that end the case), with valid
values (dates in any order, any member of staff, any mix of
attendees, so that rules such as in_order, actor_is and attendees_include both allow and
refuse), sometimes any event by anyone. Whatever happens:
- the case's state is always one the workflow declares;
- an accepted event adds exactly one event row, and its documents are on disk;
- a refused event changes nothing in the database or under cases/.
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import pytest
from conftest import Clock, snapshot
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from engine.core.definitions import Event, Field
from engine.errors import LiaisonError
from engine.service.liaison import Liaison
from engine.service.sources import open_school
from engine.store.database import Store

WORKFLOWS = ("readmission", "home_visit", "external_contact", "contact_log",
             "home_school_agreement", "first_day_absence")
FAMILIES = [("S1001", ["C2001", "C2002"]), ("S1003", ["C2004", "C2005"]),
            ("S1004", ["C2006", "C2007"]), ("S1002", ["C2003"])]
LATER = dt.datetime(2026, 12, 18, 17, 0)  # the clock: every drawn time is before it
DAYS = (dt.date(2026, 11, 1), dt.date(2026, 12, 18))
typed = st.text(st.characters(codec="utf-8", categories=["L", "N", "P", "Zs"],
                              include_characters="&<>'\n"), min_size=1, max_size=30
                ).filter(lambda t: any(c.isalnum() for c in t))  # a required text says something


def _value(field: Field, student: str, contacts: list[str], staff: list[str]) -> Any:
    if field.type == "date":
        return st.dates(*DAYS).map(lambda d: [d.isoformat()])
    if field.type == "datetime":
        return st.dates(*DAYS).flatmap(lambda d: st.sampled_from(["08:45", "10:30", "16:00",
                                                                  "17:15"]).map(
            lambda t: [f"{d.isoformat()}T{t}"]))
    if field.type == "staff":
        return st.sampled_from(staff).map(lambda s: [s])
    if field.type == "contact":
        return st.sampled_from(contacts).map(lambda c: [c])
    if field.type == "choice":
        return st.sampled_from(field.choices).map(lambda c: [c])
    if field.type == "attendees":
        return st.lists(st.sampled_from([student, *contacts, *staff]), min_size=1,
                        max_size=5, unique=True)
    if field.type == "list":
        return st.lists(typed, min_size=1, max_size=3)
    return typed.map(lambda t: [t])


@st.composite
def _fields(draw: Any, event: Event, student: str, contacts: list[str],
            staff: list[str]) -> dict[str, list[str]]:
    out = {f.name: draw(_value(f, student, contacts, staff)) for f in event.fields
           if not (f.optional and draw(st.booleans()))}
    timed = [f.name for f in event.fields if f.type in ("date", "datetime") and f.name in out]
    if draw(st.integers(0, 3)) > 0:  # mostly in the order declared, as in_order rules ask
        for name, value in zip(timed, sorted(out[n][0] for n in timed), strict=True):
            out[name] = [value]
    return out


def _accepted(engine: Liaison, case: str, before: int, event: str, actor: str) -> None:
    row = engine.store.case(case)
    assert row.state in engine.school.workflow(row.workflow).states
    events = engine.store.events(case)
    assert len(events) == before + 1 == row.version
    assert (events[-1].event, events[-1].actor) == (event, actor)
    for doc in engine.store.documents(case_id=case):
        assert (engine.school.root / doc["path"]).is_file()


RUNS = itertools.count()


def _fresh(root: Path) -> Liaison:
    """The school with an empty case store of its own: each example starts from nothing
    (one open contact log per student would otherwise make examples depend on earlier
    ones)."""
    engine = Liaison(open_school(root), Store(root / "cases" / f"run{next(RUNS)}.sqlite3"),
                     Clock(LATER))
    engine.import_students(root / "samples" / "students.csv")
    engine.import_contacts(root / "samples" / "contacts.csv")
    return engine


@pytest.mark.parametrize("name", WORKFLOWS)
@settings(max_examples=15, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_random_walks_keep_the_state_declared_and_refusals_change_nothing(
        school: Path, name: str, data: st.DataObject) -> None:
    liaison = _fresh(school)
    try:
        _walk(liaison, name, data)
    finally:
        liaison.close()


def _walk(liaison: Liaison, name: str, data: st.DataObject) -> None:
    workflow = liaison.school.workflow(name)
    staff = sorted(liaison.school.staff)
    student, contacts = data.draw(st.sampled_from(FAMILIES), label="family")
    opener = data.draw(st.sampled_from([s for s in staff if liaison.school.staff[s].roles
                                        & workflow.opening.roles]), label="opener")
    try:
        case = liaison.open(name, student, opener,
                            data.draw(_fields(workflow.opening, student, contacts, staff)))
    except LiaisonError:  # a rule refused the drawn fields (dates out of order)
        return
    for _ in range(data.draw(st.integers(1, 10), label="steps")):
        offered = [(who, e) for who in staff if liaison.can_see(liaison.store.case(case.case),
                                                               liaison.school.member(who))
                   for e in (workflow.events[a.name] for a in liaison.actions(case.case, who))]
        onward = [(who, e) for who, e in offered
                  if not any(t.state and workflow.states[t.state].terminal for t in e.targets)
                  and e.name != "cancel"]
        if onward and data.draw(st.integers(0, 3), label="onward") > 0:
            offered = onward  # mostly go deeper than closing, cancelling or withdrawing
        if offered and data.draw(st.integers(0, 4), label="guided") > 0:
            actor, fired = data.draw(st.sampled_from(offered), label="offered")
        else:
            actor = data.draw(st.sampled_from(staff), label="actor")
            fired = workflow.events[data.draw(st.sampled_from(list(workflow.events)))]
        given_ = data.draw(_fields(fired, student, contacts, staff), label="fields")
        before, count = snapshot(liaison), len(liaison.store.events(case.case))
        try:
            liaison.advance(case.case, fired.name, actor, given_)
        except LiaisonError as refused:
            assert snapshot(liaison) == before
            event(f"refused: {type(refused).__name__}")
            continue
        _accepted(liaison, case.case, count, fired.name, actor)
        event(f"reached {liaison.store.case(case.case).state}")
