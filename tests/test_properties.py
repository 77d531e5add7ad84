"""Property: random event sequences, random actors, random field values, against the
conduct workflow (Hypothesis).

Whatever is tried, in whatever order, by whoever:
- the case's state is always one the workflow declares;
- each accepted event adds exactly one event row (its own, by its actor), and its letters
  are on disk with the hashes their rows record;
- each refused event changes nothing: the database dump and every file under cases/ are
  the same before and after.

Half the steps are guided (an event `actions` offers, by someone who may fire it, with
valid fields) so that sequences reach bans, reviews and resolutions; the rest are anything
(unknown events, unknown staff, wrong roles, missing, unknown or unsafe fields, times in
the future).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from conftest import NOW, move_clock, snapshot
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from engine.core.definitions import Event, Field
from engine.errors import LiaisonError
from engine.service.liaison import Liaison

WORKFLOW = "conduct_escalation"
FAMILIES = [("S1004", "C2006"), ("S1002", "C2003"), ("S1003", "C2005"), ("S1001", "C2001"),
            ("S1001", "C2002")]
DAYS = (dt.date(2026, 9, 1), dt.date(2027, 7, 31))

# Text people type: letters, accents, emoji, XML's special characters, new lines...
typed = st.text(st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs"],
                              include_characters="&<>\"'\n"), min_size=1, max_size=40
                ).filter(lambda t: any(c.isalnum() for c in t))  # a required text says something
# ... and anything at all, control characters and bidirectional overrides included.
anything = st.text(max_size=20)


def _value(field: Field, valid: bool, staff: list[str], contacts: list[str]) -> st.SearchStrategy:
    if field.type == "date":
        good = st.dates(*DAYS).map(dt.date.isoformat)
        return good if valid else st.one_of(good, st.sampled_from(["2026-13-01", "soon", ""]))
    if field.type == "datetime":
        good = st.datetimes(dt.datetime(*DAYS[0].timetuple()[:3]),
                            dt.datetime(*DAYS[1].timetuple()[:3])).map(
            lambda d: d.isoformat(timespec="minutes"))
        return good if valid else st.one_of(good, st.just("tomorrow at ten"))
    if field.type == "staff":
        return st.sampled_from(staff if valid else [*staff, "NOBODY"])
    if field.type == "contact":
        return st.sampled_from(contacts if valid else [*contacts, "C2039"])
    if field.type == "choice":
        return st.sampled_from(list(field.choices) if valid else [*field.choices, "mild"])
    return typed if valid else st.one_of(typed, anything)


@st.composite
def _given(draw: Any, event: Event, valid: bool, staff: list[str],
           contacts: list[str]) -> dict[str, list[str]]:
    """Values for an event's fields: all valid, or with omissions and intruders."""
    out: dict[str, list[str]] = {}
    for field in event.fields:
        if field.optional and draw(st.booleans()):
            continue
        if not valid and draw(st.integers(0, 9)) == 0:
            continue  # a required field left out
        count = draw(st.integers(1, 3)) if field.type == "list" else 1
        out[field.name] = [draw(_value(field, valid, staff, contacts)) for _ in range(count)]
    if not valid and draw(st.integers(0, 9)) == 0:
        out["colour"] = ["red"]  # a field the event does not have
    return out


def _open(liaison: Liaison, data: st.DataObject) -> str:
    student, contact = data.draw(st.sampled_from(FAMILIES), label="family")
    severity = data.draw(st.sampled_from(["concern", "serious"]), label="severity")
    given = {"contact": [contact], "incident_date": ["2026-11-20"], "severity": [severity],
             "incident_summary": [data.draw(typed, label="summary")]}
    return liaison.open(WORKFLOW, student, "HY09", given).case


def _step(liaison: Liaison, case: str, data: st.DataObject) -> tuple[str, str, dict, Any]:
    """Draw one attempt: (event, actor, fields, at)."""
    workflow = liaison.school.workflow(WORKFLOW)
    staff = sorted(liaison.school.staff)
    contacts = [c.id for c in liaison.contacts(liaison.store.case(case).student_id)]
    offered = {who: liaison.actions(case, who) for who in staff}
    choices = [(who, e) for who, events in offered.items() for e in events]
    onward = [(who, e) for who, e in choices if e.name not in ("resolve", "close")]
    if onward and data.draw(st.integers(0, 3), label="onward") > 0:
        choices = onward  # mostly go deeper (warnings, bans, reviews) than resolve at once
    if choices and data.draw(st.booleans(), label="guided"):
        actor, event = data.draw(st.sampled_from(choices), label="offered")
        given = data.draw(_given(event, True, staff, contacts), label="fields")
        return event.name, actor, given, None
    name = data.draw(st.sampled_from([*workflow.events, "to_closed", "delete"]), label="event")
    actor = data.draw(st.sampled_from([*staff, "NOBODY"]), label="actor")
    event = workflow.events.get(name)
    given = data.draw(_given(event, False, staff, contacts), label="fields") if event else {}
    hours = data.draw(st.sampled_from([None, -30, -1, 2, 500]), label="at")
    at = None if hours is None else liaison.clock() + dt.timedelta(hours=hours)
    return name, actor, given, at


def _check_accepted(liaison: Liaison, case: str, before: int, event: str, actor: str) -> None:
    workflow = liaison.school.workflow(WORKFLOW)
    row = liaison.store.case(case)
    assert row.state in workflow.states
    events = liaison.store.events(case)
    assert len(events) == before + 1
    assert (events[-1].seq, events[-1].event, events[-1].actor) == (before + 1, event, actor)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert row.version == len(events)
    for doc in liaison.store.documents(case_id=case):
        assert (liaison.school.root / doc["path"]).is_file()


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_random_sequences_keep_the_state_declared_and_refusals_change_nothing(
        liaison: Liaison, data: st.DataObject) -> None:
    move_clock(liaison, NOW)
    case = _open(liaison, data)
    accepted = 0
    for _ in range(data.draw(st.integers(1, 12), label="steps")):
        days = data.draw(st.integers(0, 12), label="days")
        move_clock(liaison, liaison.clock() + dt.timedelta(days=days))
        name, actor, given, at = _step(liaison, case, data)
        before = snapshot(liaison)
        count = len(liaison.store.events(case))
        try:
            liaison.advance(case, name, actor, given, at)
        except LiaisonError as refused:
            assert snapshot(liaison) == before
            event(f"refused: {type(refused).__name__}")
            continue
        accepted += 1
        _check_accepted(liaison, case, count, name, actor)
        event(f"reached {liaison.store.case(case).state}")
    assert len(liaison.store.events(case)) == 1 + accepted
    assert liaison.store.case(case).state in liaison.school.workflow(WORKFLOW).states
