"""Co-ordinating visits and letters to one family (BEM-5). Pure: no I/O.

The Bemrose policy asks that "visits to parents/carers, visits by parents/carers to school
and letters to parents/carers should be co-ordinated, to avoid duplication or confusion".
Before a case is opened, or an event sends a letter home, the service gathers what the
family already has in hand (letters to its parents in the last ``LETTER_DAYS`` days, home
visits not yet made) and this module words one warning for each case they came from, naming
it, so the member of staff can speak to its holder before a second letter or visit crosses
the first. A warning never stops the work: two letters may both be right.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

LETTER_DAYS = 10  # two school weeks: a letter older than this has been read and answered


@dataclass(frozen=True)
class SentLetter:
    """A letter already sent to one of the family's parents."""

    case_id: str  # "" for a letter made outside any case (a batch letter)
    workflow_title: str
    template: str
    recipient: str
    sent_at: str  # ISO date and time


@dataclass(frozen=True)
class PendingVisit:
    """A home visit proposed or arranged but not yet made (a state flagged ``open_visit``)."""

    case_id: str
    state_title: str
    visit_at: str | None = None  # ISO date and time, once arranged


def since(moment: dt.datetime, days: int = LETTER_DAYS) -> str:
    """The earliest sending time (ISO) that still counts as recent at ``moment``."""
    return (moment - dt.timedelta(days=days)).isoformat(timespec="seconds")


def warnings(letters: Iterable[SentLetter], visits: Iterable[PendingVisit]) -> list[str]:
    """One line per case the family already has a recent letter or a pending visit from."""
    latest: dict[str, SentLetter] = {}
    count: dict[str, int] = {}
    for letter in letters:
        key = letter.case_id or letter.template
        count[key] = count.get(key, 0) + 1
        if key not in latest or letter.sent_at > latest[key].sent_at:
            latest[key] = letter
    out = [_letter_line(letter, count[key]) for key, letter in latest.items()]
    out += [_visit_line(visit) for visit in visits]
    return out


def _letter_line(letter: SentLetter, count: int) -> str:
    where = f"{letter.case_id} ({letter.workflow_title})" if letter.case_id else "a batch letter"
    many = f"{count} letters" if count > 1 else "a letter"
    return (f"{where}: {many} to {letter.recipient} in the last {LETTER_DAYS} days, the "
            f"latest {letter.template} on {letter.sent_at[:10]}; co-ordinate with it (BEM-5)")


def _visit_line(visit: PendingVisit) -> str:
    when = f", arranged for {visit.visit_at.replace('T', ' ')}" if visit.visit_at else ""
    return (f"{visit.case_id}: a home visit is pending ({visit.state_title}{when}); "
            "co-ordinate with it (BEM-5)")
