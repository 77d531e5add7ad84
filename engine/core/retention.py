"""How long a case is kept, and whether it is due for review (pure; issue 11, PWP-5.6).

A workflow says ``retain: {years: 6, from: resolved}`` (after the case was closed),
``from: opened``, or ``from: student.date_of_birth`` (a pupil's file, kept until the date
of birth + 25 years on the common schools' schedule). A case marked child protection
(PWP-4.3) is kept at least as long as a safeguarding file, and is never disposed of with
the others: it needs a review of its own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from engine.core.definitions import Retention
from engine.core.rows import CaseRow

# A child-protection file: the date of birth + 25 years, whatever its workflow says.
CHILD_PROTECTION_YEARS = 25


@dataclass(frozen=True)
class Kept:
    """Until when a case is kept (None: it cannot be dated yet) and why not (``waiting``)."""

    until: dt.date | None
    waiting: str = ""  # why there is no date: the case is open, no date of birth known


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` on; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def kept_until(retain: Retention, case: CaseRow, date_of_birth: str | None) -> Kept:
    """When the case's retention period ends, by its workflow's ``retain:``; a case marked
    child protection is kept to the date of birth + 25 years at least."""
    if retain.start == "resolved":
        start, waiting = case.closed_at, "open"
    elif retain.start == "opened":
        start, waiting = case.opened_at, ""
    else:
        start, waiting = date_of_birth, "no date of birth known"
    until = add_years(dt.date.fromisoformat(start[:10]), retain.years) if start else None
    if case.child_protection:
        if not date_of_birth:
            return Kept(None, "child protection, and no date of birth known")
        safeguarding = add_years(dt.date.fromisoformat(date_of_birth), CHILD_PROTECTION_YEARS)
        until = max(until, safeguarding) if until else None
    return Kept(until, "" if until else waiting)
