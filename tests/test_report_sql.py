"""The report counted in SQL (issue 14) gives exactly what counting every row in Python
gave (``report.build``, the reference), on a seeded store of every workflow's cases: a
restricted one visible to its opener only, one whose workflow file was removed, deadlines
met, late, missed, pending and cancelled, events with and without an indicator's values,
each counted or not by the range and by who is asking."""

from __future__ import annotations

import datetime as dt
import json
import random
import sqlite3

import pytest
from conftest import NOW

from engine.service.liaison import Liaison
from engine.service.report import build, report

pytestmark = pytest.mark.sqlite_only  # reads the SQLite file itself

STAFF = ("HT01", "FT01", "OF01", "HY09", "ST01")
NATURES = ("complaint_about_meeting", "concern", "challenge", "positive", "routine")


def _seed(engine: Liaison, n: int = 400, seed: int = 3) -> None:
    rng = random.Random(seed)
    workflows = [*engine.school.workflows.values()]
    cases, events, deadlines = [], [], []
    for i in range(n):
        w = rng.choice(workflows)
        name = "retired_flow" if i % 53 == 0 else w.name
        opened = NOW - dt.timedelta(days=rng.randint(0, 700), minutes=rng.randint(0, 900))
        case_id = f"X{i:04d}"
        cases.append((case_id, name, rng.choice([*w.states]), f"S100{1 + i % 4}",
                      rng.choice(STAFF), json.dumps({"visitor": rng.choice(STAFF),
                                                     "about_staff": rng.choice(STAFF),
                                                     "reason": "curriculum",
                                                     "visit_at": "2026-01-05T16:00"}),
                      1, opened.isoformat(timespec="seconds"), rng.choice(STAFF),
                      int(w.restricted or i % 53 == 0 and i % 2 == 1), 0))
        names = [*w.events, "open", *(i.events[0] for i in w.indicators)]
        for seq in range(1, rng.randint(2, 6)):
            at = opened + dt.timedelta(days=rng.randint(0, 60), hours=seq)
            fields = {"nature": rng.choice(NATURES)} if rng.random() < 0.8 else {}
            events.append((case_id, seq, rng.choice(names), "a", "b", "OF01", "Office",
                           at.isoformat(timespec="seconds"), at.isoformat(timespec="seconds"),
                           json.dumps(fields), "", ""))
        for _ in range(rng.randint(0, 3)):
            due = (opened + dt.timedelta(days=rng.randint(0, 30))).date()
            due_at = f"{due.isoformat()}T{rng.randint(8, 17):02d}:30" \
                if rng.random() < 0.3 else None
            status = rng.choice(("open", "met", "met", "cancelled"))
            met = (dt.datetime.combine(due, dt.time(12)) + dt.timedelta(
                days=rng.randint(-3, 3))).isoformat(timespec="seconds") \
                if status != "open" else None
            deadlines.append((case_id, "d", "D", "", due.isoformat(), due_at, status, met))
        if i % 10 == 0:  # due later today: pending
            deadlines.append((case_id, "d", "D", "", NOW.date().isoformat(), None, "open",
                              None))
    db = sqlite3.connect(engine.school.database)
    db.executemany("INSERT INTO cases (id, workflow, state, student_id, holder, fields, "
                   "version, opened_at, opened_by, restricted, child_protection) VALUES "
                   "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", cases)
    db.executemany("INSERT INTO events (case_id, seq, event, from_state, to_state, actor, "
                   "actor_name, occurred_at, recorded_at, fields, prev_hash, hash) VALUES "
                   "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", events)
    db.executemany("INSERT INTO deadlines (case_id, name, title, clause, due_on, due_at, "
                   "status, met_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", deadlines)
    db.commit()
    db.close()


def _in_python(engine: Liaison, actor: str, start: dt.date, end: dt.date) -> dict:  # type: ignore[type-arg]
    """What ``report`` did before issue 14: load every visible case, event and deadline
    of the range, and count them in Python."""
    visible = {c.id: c for c in engine.visible_cases(actor)}
    after_end = (end + dt.timedelta(days=1)).isoformat()
    events = [e for e in engine.store.events_between(start.isoformat(), after_end)
              if e["case_id"] in visible]
    deadlines = [d for d in engine.store.deadlines_between(start.isoformat(), end.isoformat())
                 if d["case_id"] in visible]
    return build(engine.school.workflows, events, deadlines, visible, start, end,
                 engine.clock()).as_json()


@pytest.mark.parametrize("actor", STAFF)
def test_the_counts_in_sql_equal_the_counts_in_python(liaison: Liaison, actor: str) -> None:
    _seed(liaison)
    for start, end in ((dt.date(2024, 9, 1), NOW.date()), (dt.date(2025, 9, 1), NOW.date()),
                       (dt.date(2026, 1, 5), dt.date(2026, 1, 5)),
                       (dt.date(2025, 2, 1), dt.date(2025, 7, 31))):
        got = report(liaison, actor, start, end).as_json()
        assert got == _in_python(liaison, actor, start, end)
    whole = report(liaison, actor, dt.date(2024, 9, 1), NOW.date()).as_json()
    assert sum(e["count"] for e in whole["events"]) > 100  # the seed is not empty
    assert any(r["rows"] for r in whole["records"])
    assert {s for d in whole["deadlines"] for s in ("met", "late", "missed", "pending",
                                                      "cancelled") if d[s]} == {
        "met", "late", "missed", "pending", "cancelled"}


def _tallies(path: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as db:  # type: ignore[arg-type]
        return [*db.execute("SELECT * FROM event_tallies WHERE n != 0 ORDER BY 1, 2, 3, 4, 5"),
                *db.execute("SELECT * FROM deadline_tallies WHERE n != 0 "
                            "ORDER BY 1, 2, 3, 4, 5")]


def test_the_revision_counts_the_rows_a_store_already_holds(liaison: Liaison) -> None:
    """A store made before 0018_perf_tallies gets its tallies counted from its rows when
    it is upgraded: the same tallies the triggers kept as the rows were written."""
    _seed(liaison)
    path = liaison.school.database
    kept = _tallies(path)
    assert len(kept) > 100
    liaison.close()
    with sqlite3.connect(path) as db:
        for name, in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"
                                ).fetchall():
            db.execute(f"DROP TRIGGER {name}")
        db.execute("DROP TABLE event_tallies")
        db.execute("DROP TABLE deadline_tallies")
        db.execute("UPDATE alembic_version SET version_num = '0017_due_count_indexes'")
    reopened = Liaison.at(liaison.school.root, clock=liaison.clock)
    try:
        assert _tallies(path) == kept
        hidden = reopened.visibility(reopened.school.member("ST01")).unseen
        assert hidden  # complaints about ST01: counted for others, taken from theirs
        start = dt.date(2024, 9, 1)
        assert report(reopened, "ST01", start, NOW.date()).as_json() == _in_python(
            reopened, "ST01", start, NOW.date())
    finally:
        reopened.close()
