"""The due list: the deadlines of open cases, overdue first, then due today, then the rest
of the week (PWP-5.2, 5.3, 5.4, 5.6: acknowledge, call back, reply and respond in time).

By default a member of staff sees the cases they hold or manage: a case is held by a
member of staff (``HD01``) or by everyone with a role (``role:office``), and managed by
the line manager (school.yaml) of whoever holds it. Office staff and leaders may ask for
every case. A restricted case (CLA-3) never shows to someone who may not see it, whoever
holds it.

A deadline with a time (a home visit's report-in, a meeting) is overdue from that moment;
one with only a date is overdue from the next day. "The rest of the week" runs to Sunday.

The store answers from a partial index over open deadlines (bench/due.py measures it at
100,000 cases); everything here is filtering and ordering what it returns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from engine.core.rows import CaseRow
from engine.core.school import Staff
from engine.errors import PermissionDenied
from engine.service.views import DUE_TODAY, ORDER, OVERDUE, UPCOMING, Due, DueList, DuePage

if TYPE_CHECKING:  # the due list reads through Records alone (a listing starts sooner)
    from engine.service.records import Records as Liaison


def week_end(day: dt.date) -> dt.date:
    """The Sunday ending the week of ``day``."""
    return day + dt.timedelta(days=6 - day.weekday())


def status_of(due_on: dt.date, due_at: dt.datetime | None, now: dt.datetime) -> str:
    """Overdue, due today or upcoming, as at ``now``."""
    if (due_at is not None and due_at <= now) or due_on < now.date():
        return OVERDUE
    return DUE_TODAY if due_on == now.date() else UPCOMING


def holders_for(who: Staff, staff: Mapping[str, Staff]) -> set[str]:
    """The holders whose cases ``who`` holds or manages: themselves, their roles, and each
    direct report with the report's roles (a case held by ``role:office`` is managed by
    the office staff's line manager)."""
    out = {who.id, *(f"role:{r}" for r in who.roles)}
    for member in staff.values():
        if member.line_manager == who.id:
            out |= {member.id, *(f"role:{r}" for r in member.roles)}
    return out


def may_list_all(engine: Liaison, actor_id: str) -> bool:
    """Whether this member of staff may see every case's deadlines (office and leaders)."""
    return bool(engine.school.member(actor_id).roles & engine.school.group("leaders"))


def _whose(engine: Liaison, actor_id: str, everyone: bool) -> tuple[Staff, set[str] | None]:
    """Who asks, and the holders of the cases they see due (None: every case's)."""
    who = engine.school.member(actor_id)
    if everyone and not may_list_all(engine, actor_id):
        raise PermissionDenied(f"{who.id} ({who.name}) may not list every case's deadlines: "
                               "only office staff and leaders; without --all you see the "
                               "cases you hold or manage")
    return who, None if everyone else holders_for(who, engine.school.staff)


def due_list(engine: Liaison, actor_id: str, now: dt.datetime,
             everyone: bool = False) -> DueList:
    """What is due for this member of staff as at ``now``, in the order to deal with it."""
    who, holders = _whose(engine, actor_id, everyone)
    rows = engine.store.open_deadlines(week_end(now.date()).isoformat(), holders)
    items = [_due(engine, row, now) for row in rows if engine.can_see(_case(engine, row), who)]
    items += _unsent(engine, who, holders)
    return DueList(who.id, tuple(sorted(items, key=_order)))


def due_page(engine: Liaison, actor_id: str, now: dt.datetime, everyone: bool = False,
             start: int = 0, size: int = 50) -> DuePage:
    """``size`` items of ``due_list`` from the ``start``-th, with how many of each status
    there are: the store orders, pages and counts (CLA-3 a condition of its query), so a
    page costs the same whether 20 or 2,000 deadlines are due (the web page's Today)."""
    from engine.store.pages import Pages

    who, holders = _whose(engine, actor_id, everyone)
    counts, rows = Pages(engine.store).due_page(
        week_end(now.date()).isoformat(), now.isoformat(timespec="seconds"), holders,
        engine.visibility(who), max(0, start), size)
    return DuePage(who.id, counts, tuple(sorted(_unsent(engine, who, holders), key=_order)),
                   tuple(_due(engine, row, now) for row in rows), max(0, start))


def due_count(engine: Liaison, actor_id: str, now: dt.datetime) -> int:
    """How many items ``due_list`` holds for this member of staff, counted by the store
    (the web page shows it in every page's header); letters that did not go are few."""
    who = engine.school.member(actor_id)
    holders = holders_for(who, engine.school.staff)
    return engine.store.open_deadline_count(week_end(now.date()).isoformat(), holders,
                                            engine.visibility(who)) \
        + len(_unsent(engine, who, holders))


def _unsent(engine: Liaison, who: Staff, holders: set[str] | None) -> list[Due]:
    """A letter that failed to go (or may not have, after a crash) is due now: someone
    must send it another way (PWP-5.2: written replies in time)."""
    from engine.service.outbox import case_of
    from engine.store.outbox import Outbox

    out = []
    for row in Outbox(engine.store).failed():
        if row["case_id"] is None or not engine.can_see(case_of(row), who):
            continue
        if holders is not None and row["holder"] not in holders:
            continue
        what = {"failed": "not sent", "bounced": "bounced"}.get(row["status"],
                                                                "may not have been sent")
        out.append(Due(case=row["case_id"], deadline="letter", due=row["queued_at"],
                       status=OVERDUE, holder=row["holder"],
                       holder_name=holder_name(engine, row["holder"]),
                       title=f"Letter to {row['recipient_name']} {what}: {row['error']}",
                       clause="", student=row["student_id"],
                       student_name=f"{row['first_name']} {row['last_name']}",
                       workflow=row["workflow"], state=row["state"]))
    return out


def _due(engine: Liaison, row: Mapping[str, Any], now: dt.datetime) -> Due:
    due_on = dt.date.fromisoformat(row["due_on"])
    due_at = dt.datetime.fromisoformat(row["due_at"]) if row["due_at"] else None
    return Due(case=row["case_id"], deadline=row["name"], due=row["due_at"] or row["due_on"],
               status=status_of(due_on, due_at, now), holder=row["holder"],
               holder_name=holder_name(engine, row["holder"]), title=row["title"],
               clause=row["clause"], student=row["student_id"],
               student_name=f"{row['first_name']} {row['last_name']}",
               workflow=row["workflow"], state=row["state"])


def holder_name(engine: Liaison, holder: str | None) -> str:
    """A holder as staff read it: a name, or "any office" for a role."""
    if not holder:
        return ""
    if holder.startswith("role:"):
        return "any " + holder[5:].replace("_", " ")
    member = engine.school.staff.get(holder)
    return member.name if member else holder


def _order(item: Due) -> tuple[int, str, str, str]:
    # A date-only deadline falls due at the end of its day, after the timed ones.
    moment = item.due if "T" in item.due else f"{item.due}T24:00"
    return ORDER.index(item.status), moment, item.case, item.deadline


def _case(engine: Liaison, row: Mapping[str, Any]) -> CaseRow:
    """Enough of the case for Liaison.can_see, which judges workflow and opener (the whole
    case where its workflow hides it from someone its fields name)."""
    workflow = engine.school.workflows.get(row["workflow"])
    if workflow is not None and workflow.hidden_from:
        return engine.store.case(row["case_id"])
    return CaseRow(id=row["case_id"], workflow=row["workflow"], state=row["state"],
                   student_id=row["student_id"], contact_id=None, holder=row["holder"],
                   fields={}, version=0, opened_at="", opened_by=row["opened_by"],
                   closed_at=None, restricted=bool(row["restricted"]), child_protection=False)
