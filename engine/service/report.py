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

from engine.core.definitions import Workflow
from engine.core.rows import CaseRow
from engine.errors import InputError
from engine.service.views import Message, Row, listing

if TYPE_CHECKING:  # the service imports nothing from here; this keeps it that way
    from engine.service.liaison import Liaison


@dataclass(frozen=True)
class Indicator:
    """Events of one workflow that count towards an indicator, where their own fields hold
    the given values (a contact logged as a complaint about a meeting)."""

    name: str
    title: str
    clause: str
    workflow: str
    events: tuple[str, ...]
    when: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def counts(self, event: Mapping[str, Any]) -> bool:
        given = event["fields"]
        return (event["workflow"] == self.workflow and event["event"] in self.events
                and all(str(given.get(k)) in v for k, v in self.when))


INDICATORS = (
    Indicator("complaints_about_meetings", "Parental complaints about meetings with staff",
              "BEM-7", "contact_log", ("log_contact",),
              (("nature", ("complaint_about_meeting",)),)),
    Indicator("lone_visits", "Lone visits made", "BEM-7", "home_visit", ("set_out",)),
    Indicator("visit_incidents", "Accidents and incidents of aggression on visits", "BEM-6",
              "home_visit", ("report_incident",)),
    Indicator("disrespectful_incidents", "Incidents of disrespectful behaviour recorded",
              "HSP-9", "conduct_escalation", ("open", "repeat_incident")),
    Indicator("site_bans_issued", "Site bans issued", "HSP-5", "conduct_escalation",
              ("issue_site_ban",)),
    Indicator("site_bans_lifted", "Site bans lifted", "HSP-5", "conduct_escalation",
              ("lift_ban",)),
    Indicator("concerns_recorded", "Conversations and emails of concern recorded", "HSP-1",
              "contact_log", ("log_contact",), (("nature", ("concern", "challenge")),)),
    Indicator("positive_contacts", "Positive contacts with home", "NSW-6", "contact_log",
              ("log_contact",), (("nature", ("positive",)),)),
)


@dataclass
class Report:
    start: str
    end: str
    months: list[str]
    indicators: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    deadlines: list[dict[str, Any]] = field(default_factory=list)
    visits: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    def parts(self) -> list[Any]:
        """The report as tables and notes, in the order they print."""
        months = self.months
        out: list[Any] = [listing(
            f"Indicators {self.start} to {self.end}", ("indicator", "clause", *months, "total"),
            [Row(i, (i["title"], i["clause"], *[i["by_month"].get(m, 0) for m in months],
                     i["total"] if i["recorded"] else "-")) for i in self.indicators])]
        unrecorded = [f"  not recorded: {i['title']} (no workflow '{i['workflow']}')"
                      for i in self.indicators if not i["recorded"]]
        if unrecorded:
            out.append(Message(tuple(unrecorded)))
        out.append(listing("Outcomes by workflow", ("workflow", "outcome", "month", "count"),
                           [Row(e, (e["workflow"], e["outcome"], e["month"], e["count"]))
                            for e in self.events]))
        out.append(listing("Deadlines", ("workflow", "month", *STATUSES),
                           [Row(d, (d["workflow"], d["month"], *[d[s] for s in STATUSES]))
                            for d in self.deadlines]))
        out.append(listing("Lone visits (BEM-7)", ("case", "student", "visitor", "reason",
                                                   "set out"),
                           [Row(v, (v["case"], v["student"], v["visitor"], v["reason"],
                                    v["set_out_at"])) for v in self.visits]))
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
    """The report over ``events`` and ``deadlines`` (already limited to visible cases)."""
    out = Report(start.isoformat(), end.isoformat(), months(start, end))
    by_event: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for e in events:
        by_event.setdefault((e["workflow"], e["event"]), []).append(e)
    out.indicators = [_indicator(i, workflows, [e for name in i.events
                                                for e in by_event.get((i.workflow, name), [])])
                      for i in INDICATORS]
    tally = Counter((e["workflow"], e["event"], e["occurred_at"][:7]) for e in events)
    out.events = [{"workflow": w, "outcome": ev, "month": m, "count": n}
                  for (w, ev, m), n in sorted(tally.items())]
    out.deadlines = _deadlines(deadlines, now)
    lone = next(i for i in INDICATORS if i.name == "lone_visits")
    out.visits = [_visit(e, cases[e["case_id"]]) for e in events if lone.counts(e)]
    return out


def _indicator(indicator: Indicator, workflows: Mapping[str, Workflow],
               events: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    by_month = Counter(e["occurred_at"][:7] for e in events if indicator.counts(e))
    return {"name": indicator.name, "title": indicator.title, "clause": indicator.clause,
            "workflow": indicator.workflow, "recorded": indicator.workflow in workflows,
            "by_month": dict(sorted(by_month.items())), "total": sum(by_month.values())}


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
    keys = sorted({(w, m) for w, m, _ in tally})
    return [{"workflow": w, "month": m, **{s: tally[(w, m, s)] for s in STATUSES}}
            for w, m in keys]


def _visit(event: Mapping[str, Any], case: CaseRow) -> dict[str, Any]:
    """One line of the record of lone visits (BEM-7)."""
    return {"case": case.id, "student": case.student_id, "set_out_at": event["occurred_at"],
            "visitor": case.fields.get("visitor"), "reason": case.fields.get("reason"),
            "visit_at": case.fields.get("visit_at"), "state": case.state}


def report(engine: Liaison, actor_id: str, start: dt.date, end: dt.date) -> Report:
    """The indicators from ``start`` to ``end`` (inclusive) over the cases ``actor_id``
    may see."""
    if end < start:
        raise InputError(f"--to {end} is before --from {start}")
    visible = {c.id: c for c in engine.visible_cases(actor_id)}
    after_end = (end + dt.timedelta(days=1)).isoformat()
    events = [e for e in engine.store.events_between(start.isoformat(), after_end)
              if e["case_id"] in visible]
    deadlines = [d for d in engine.store.deadlines_between(start.isoformat(), end.isoformat())
                 if d["case_id"] in visible]
    return build(engine.school.workflows, events, deadlines, visible, start, end, engine.clock())


def school_year_start(today: dt.date) -> dt.date:
    """1 September of the school year ``today`` falls in: the report's default start."""
    return dt.date(today.year if today.month >= 9 else today.year - 1, 9, 1)
