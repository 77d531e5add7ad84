"""Indicators: what the policies say shows they are working, counted from the audit trail.

The Bemrose policy's performance indicators are "the number of parental complaints about
meetings with staff" and "a record kept of all lone visits" (BEM-7); the Home/School
Partnerships Policy knows it is working when "few, if any, incidents of disrespectful
behaviour towards staff or parents are recorded" (HSP-9). ``liaison report`` prints, for a
date range, each indicator by month, every workflow's events (outcomes) by month, the
deadlines met, late and missed, and the lone visits themselves.

Every count comes from events and deadlines already recorded, so the report can always be
checked against ``liaison history``. Only cases the member of staff may see are counted: a
restricted disclosure (CLA-3) is not betrayed by a number. ``build`` is pure; ``report``
reads the store through the service.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from engine.core.definitions import Indicator, Workflow
from engine.core.rows import CaseRow
from engine.errors import InputError
from engine.service.views import Row, listing

if TYPE_CHECKING:  # the service imports nothing from here; this keeps it that way
    from engine.service.records import Records as Liaison


@dataclass
class Report:
    start: str
    end: str
    months: list[str]
    indicators: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    deadlines: list[dict[str, Any]] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)  # each counted (BEM-7)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    def parts(self) -> list[Any]:
        """The report as tables and notes, in the order they print."""
        months = self.months
        out: list[Any] = [listing(
            f"Indicators {self.start} to {self.end}", ("indicator", "clause", *months, "total"),
            [Row(i, (i["title"], i["clause"], *[i["by_month"].get(m, 0) for m in months],
                     i["total"])) for i in self.indicators])]
        out.append(listing("Outcomes by workflow", ("workflow", "outcome", "month", "count"),
                           [Row(e, (e["workflow"], e["outcome"], e["month"], e["count"]))
                            for e in self.events]))
        out.append(listing("Deadlines", ("workflow", "month", *STATUSES),
                           [Row(d, (d["workflow"], d["month"], *[d[s] for s in STATUSES]))
                            for d in self.deadlines]))
        for record in self.records:
            fields = tuple(record["fields"])
            out.append(listing(f"{record['title']} ({record['clause']})",
                               ("case", "student", *fields, "when"),
                               [Row(r, (r["case"], r["student"], *[r[f] for f in fields],
                                        r["at"])) for r in record["rows"]]))
        return out


def months(start: dt.date, end: dt.date) -> list[str]:
    """Every month from ``start`` to ``end`` as YYYY-MM."""
    out, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def build(workflows: Mapping[str, Workflow], events: list[dict[str, Any]],
          deadlines: list[dict[str, Any]], cases: Mapping[str, CaseRow], start: dt.date,
          end: dt.date, now: dt.datetime) -> Report:
    """The report over ``events`` and ``deadlines`` (already limited to visible cases),
    counted in Python: what ``report`` counts in SQL, kept as the reference the tests
    hold it to."""
    out = Report(start.isoformat(), end.isoformat(), months(start, end))
    by_event: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for e in events:
        by_event.setdefault((e["workflow"], e["event"]), []).append(e)
    declared = [(w.name, i) for w in workflows.values() for i in w.indicators]
    counted = {(w, i.name): [e for name in i.events for e in by_event.get((w, name), [])
                             if _counts(i, e)] for w, i in declared}
    out.indicators = [_indicator(w, i, counted[(w, i.name)]) for w, i in declared]
    tally = Counter((e["workflow"], e["event"], e["occurred_at"][:7]) for e in events)
    out.events = [{"workflow": w, "outcome": ev, "month": m, "count": n}
                  for (w, ev, m), n in sorted(tally.items())]
    out.deadlines = _deadlines(deadlines, now)
    out.records = [_record(i, counted[(w, i.name)], cases) for w, i in declared if i.record]
    return out


def _counts(indicator: Indicator, event: Mapping[str, Any]) -> bool:
    given = event["fields"]
    return all(str(given.get(k)) in v for k, v in indicator.when.equals)


def _indicator(workflow: str, indicator: Indicator,
               events: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """An indicator counted from its events' rows, by month."""
    return _by_month(workflow, indicator, Counter(e["occurred_at"][:7] for e in events))


def _by_month(workflow: str, indicator: Indicator, by_month: Counter[str]) -> dict[str, Any]:
    return {"name": indicator.name, "title": indicator.title, "clause": indicator.clause,
            "workflow": workflow, "by_month": dict(sorted(by_month.items())),
            "total": sum(by_month.values())}


STATUSES = ("met", "late", "missed", "pending", "cancelled")


def deadline_status(row: Mapping[str, Any], now: dt.datetime) -> str:
    """met (on time); late (met after it fell: a report-in after its time, or a meeting
    recorded after it began); missed (still open after it fell); pending; cancelled."""
    due = row["due_at"] + ":00" if row["due_at"] else row["due_on"] + "T23:59:59"
    if row["status"] == "met":
        return "met" if row["met_at"] <= due else "late"
    if row["status"] == "open":
        return "missed" if now.isoformat(timespec="seconds") > due else "pending"
    return "cancelled"


def _deadlines(rows: list[dict[str, Any]], now: dt.datetime) -> list[dict[str, Any]]:
    tally: Counter[tuple[str, str, str]] = Counter()
    for row in rows:
        tally[(row["workflow"], row["due_on"][:7], deadline_status(row, now))] += 1
    return _deadline_rows(tally)


def _deadline_rows(tally: Counter[tuple[str, str, str]]) -> list[dict[str, Any]]:
    keys = sorted({(w, m) for w, m, _ in tally})
    return [{"workflow": w, "month": m, **{s: tally[(w, m, s)] for s in STATUSES}}
            for w, m in keys]


def _record(indicator: Indicator, events: list[Mapping[str, Any]],
            cases: Mapping[str, CaseRow]) -> dict[str, Any]:
    """Each event an indicator counted, with the case fields it names: BEM-7's "record
    kept of all lone visits"."""
    rows = [{"case": e["case_id"], "student": cases[e["case_id"]].student_id,
             **{f: cases[e["case_id"]].fields.get(f) for f in indicator.record},
             "at": e["occurred_at"], "state": cases[e["case_id"]].state} for e in events]
    return {"indicator": indicator.name, "title": indicator.title,
            "clause": indicator.clause, "fields": list(indicator.record), "rows": rows}


def report(engine: Liaison, actor_id: str, start: dt.date, end: dt.date) -> Report:
    """The indicators from ``start`` to ``end`` (inclusive) over the cases ``actor_id``
    may see, counted by the store (GROUP BY over the range, the visible cases a condition
    of the query): only the events an indicator may count, and the cases a record lists,
    are read one by one."""
    if end < start:
        raise InputError(f"--to {end} is before --from {start}")
    seen = engine.visibility(engine.school.member(actor_id))
    first, after_end = start.isoformat(), (end + dt.timedelta(days=1)).isoformat()
    workflows = engine.school.workflows
    declared = [(w.name, i) for w in workflows.values() for i in w.indicators]
    now = engine.clock()
    with engine.store.reads() as r:
        outcomes = r.event_counts(seen, first, after_end)
        # An indicator with neither a condition on fields nor a record to list is a sum of
        # outcomes already counted: only the others' events are read one by one.
        candidates = r.events_of(seen, first, after_end,
                                 {(w, e) for w, i in declared if _reads_rows(i)
                                  for e in i.events})
        deadlines = r.deadline_counts(seen, first, end.isoformat(),
                                      now.isoformat(timespec="seconds"))
        counted = _counted(declared, candidates)
        listed = r.cases_by_id(e["case_id"] for w, i in declared if i.record
                               for e in counted[(w, i.name)])
    out = Report(first, end.isoformat(), months(start, end))
    out.indicators = [_indicator(w, i, counted[(w, i.name)]) if _reads_rows(i)
                      else _summed(w, i, outcomes) for w, i in declared]
    out.events = [{"workflow": w, "outcome": ev, "month": m, "count": n}
                  for w, ev, m, n in outcomes]
    out.deadlines = _deadline_rows(Counter({(w, m, st): n for w, m, st, n in deadlines}))
    out.records = [_record(i, counted[(w, i.name)], listed) for w, i in declared if i.record]
    return out


def _reads_rows(indicator: Indicator) -> bool:
    """Whether an indicator is counted from its events' rows: a condition on their fields
    (``when``), or a record listing each (``record``)."""
    return bool(indicator.when) or bool(indicator.record)


def _summed(workflow: str, indicator: Indicator,
            outcomes: Iterable[tuple[str, str, str, int]]) -> dict[str, Any]:
    """An indicator as the sum of its events' outcomes by month (counted in SQL)."""
    by_month: Counter[str] = Counter()
    for w, event, month, n in outcomes:
        if w == workflow and event in indicator.events:
            by_month[month] += n
    return _by_month(workflow, indicator, by_month)


def _counted(declared: list[tuple[str, Indicator]],
             events: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Each declared indicator's events, in the order ``build`` takes them."""
    by_event: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for e in events:
        by_event.setdefault((e["workflow"], e["event"]), []).append(e)
    return {(w, i.name): [e for name in i.events for e in by_event.get((w, name), [])
                          if _counts(i, e)] for w, i in declared}


def school_year_start(today: dt.date) -> dt.date:
    """1 September of the school year ``today`` falls in: the report's default start."""
    return dt.date(today.year if today.month >= 9 else today.year - 1, 9, 1)
