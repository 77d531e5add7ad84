"""The counts kept by the day (revision 0018_perf_tallies, issue 14) stay equal to counting
the events and deadlines themselves through every way the store writes them: a case
opened, advanced, closed (its deadlines cancelled), a deadline met and then counted from
when its letter left (late), a case disposed of. On SQLite and on PostgreSQL alike (the
triggers are each dialect's own), and the report summed from them equals the report
counted from every row (``report.build``)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from conftest import NOW, case_in, move_clock, walk
from sqlalchemy import select

from engine.service.liaison import Liaison
from engine.service.report import build, report
from engine.store.database import cases, deadline_tallies, deadlines, event_tallies, events


def _kept(engine: Liaison) -> tuple[Counter[tuple[object, ...]], Counter[tuple[object, ...]]]:
    with engine.store.reads() as r:
        kept = [Counter({(d, w, bool(x), k): n for d, w, x, k, n in r.conn.execute(
            select(t.c.day, t.c.workflow, t.c.restricted, t.c[key], t.c.n)) if n})
            for t, key in ((event_tallies, "event"), (deadline_tallies, "outcome"))]
    return kept[0], kept[1]


def _counted(engine: Liaison) -> tuple[Counter[tuple[object, ...]], Counter[tuple[object, ...]]]:
    """The same counts from the rows, in Python."""
    with engine.store.reads() as r:
        trail = r.conn.execute(select(events.c.occurred_at, cases.c.workflow,
                                      cases.c.restricted, events.c.event)
                               .join(cases, cases.c.id == events.c.case_id)).all()
        due = r.conn.execute(select(deadlines.c.due_on, deadlines.c.due_at, deadlines.c.status,
                                    deadlines.c.met_at, cases.c.workflow, cases.c.restricted)
                             .join(cases, cases.c.id == deadlines.c.case_id)).all()
    by_day = Counter((at[:10], w, bool(x), e) for at, w, x, e in trail)
    outcomes: Counter[tuple[object, ...]] = Counter()
    for on, at, status, met_at, w, x in due:
        falls = f"{at}:00" if at else f"{on}T23:59:59"
        outcome = ("met" if met_at <= falls else "late") if status == "met" else \
            "open" if status == "open" else "cancelled"
        outcomes[(on, w, bool(x), outcome)] += 1
    return by_day, outcomes


def _agree(engine: Liaison) -> tuple[Counter[tuple[object, ...]], Counter[tuple[object, ...]]]:
    kept = _kept(engine)
    assert kept == _counted(engine)
    return kept


def _reference(engine: Liaison, actor: str, start: dt.date, end: dt.date) -> dict:  # type: ignore[type-arg]
    visible = {c.id: c for c in engine.visible_cases(actor)}
    after_end = (end + dt.timedelta(days=1)).isoformat()
    trail = [e for e in engine.store.events_between(start.isoformat(), after_end)
             if e["case_id"] in visible]
    due = [d for d in engine.store.deadlines_between(start.isoformat(), end.isoformat())
           if d["case_id"] in visible]
    return build(engine.school.workflows, trail, due, visible, start, end,
                 engine.clock()).as_json()


def test_the_tallies_follow_every_write_and_the_report_sums_them(liaison: Liaison) -> None:
    assert _agree(liaison) == (Counter(), Counter())
    banned = case_in(liaison, "site_ban_confirmed")  # events, deadlines set and met
    closed = case_in(liaison, "closed")
    repeated = case_in(liaison, "meeting_requested")  # a repeat cancels the meeting
    walk(liaison, repeated, [("repeat_incident", "HY09")])
    held = case_in(liaison, "meeting_held")  # the meeting's deadline met by its record
    events_by_day, outcomes = _agree(liaison)
    assert sum(events_by_day.values()) >= 8
    assert {o for _, _, _, o in outcomes} >= {"met", "cancelled", "open"}

    # Its letter left two weeks after the meeting: the deadline now counts as met late.
    met = [d for d in liaison.store.deadlines(held) if d["status"] == "met"]
    made = [d for d in liaison.store.documents(case_id=held) if d["created_at"] == met[0]["met_at"]]
    liaison.store.letters_left([(made[0]["id"], "2027-03-01T09:00:00")])
    assert "late" in {o for _, _, _, o in _agree(liaison)[1]}

    move_clock(liaison, NOW + dt.timedelta(days=120))
    start, end = NOW.date() - dt.timedelta(days=30), NOW.date() + dt.timedelta(days=120)
    for actor in ("HT01", "OF01", "HY09"):
        assert report(liaison, actor, start, end).as_json() == _reference(
            liaison, actor, start, end)

    for case_id in (banned, closed):
        liaison.store.dispose(liaison.store.case(case_id), "2027-04-01T09:00:00",
                              ("HT01", "Head"), "test")
        _agree(liaison)
    assert report(liaison, "HT01", start, end).as_json() == _reference(
        liaison, "HT01", start, end)
