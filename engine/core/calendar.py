"""The school-day calendar: which days count, and deadlines counted in school days.

The policy's deadlines are in *working days* (PWP-5.2 letters, PWP-5.3 emails, PWP-5.4
telephone calls), and messages that arrive at the weekend, outside the school day or in a
holiday only count from the next school day. A school day here is a weekday inside a
configured term that is not in one of the term's breaks (half terms), not a bank holiday
of the school's nation and not a closure (INSET) day.

Bank holidays always come from the ``holidays`` library for the nation's subdivision; a
school never types them in, so Scotland's St Andrew's Day or Northern Ireland's Battle of
the Boyne are right without anyone remembering them.

Only the configured terms are known. Counting forwards past the last term, or from a day
before the first term, raises ``InputError`` rather than guessing: a wrong deadline on a
letter is worse than a refusal that says "add next year's terms to school.yaml".

Pure: no file or console I/O. Build one with ``calendar_from_config`` (the ``calendar:``
mapping of school.yaml) or directly with ``SchoolCalendar(...)``.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from types import MappingProxyType
from typing import Any, TypeVar

from engine.core.yamlfile import line_of
from engine.errors import DefinitionError, InputError

T = TypeVar("T")

#: The nations a school can be in, and the ``holidays`` subdivision of each.
NATIONS: dict[str, str] = {
    "england": "ENG",
    "wales": "WLS",
    "scotland": "SCT",
    "northern_ireland": "NIR",
}

# The kinds ``day_kind`` returns. Every break inside a term is a HALF_TERM whatever the
# school calls it; the break's own name says which one.
SCHOOL_DAY = "school_day"
WEEKEND = "weekend"
BANK_HOLIDAY = "bank_holiday"
HALF_TERM = "half_term"
CLOSURE = "closure"
HOLIDAY = "holiday"

#: Naive datetimes are taken to be in this zone (the schools are all in the UK).
UK_ZONE = "Europe/London"

# A ``days`` listing longer than this is a typo in a date, not a request.
MAX_LISTING_DAYS = 3700

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Break:
    """A break inside a term (a half term), first and last day inclusive."""

    name: str
    start: date
    end: date

    def contains(self, d: date) -> bool:
        """True if ``d`` is one of the break's days."""
        return self.start <= d <= self.end


@dataclass(frozen=True)
class Term:
    """A term, first and last day inclusive, with the breaks inside it."""

    name: str
    start: date
    end: date
    breaks: tuple[Break, ...] = ()

    def contains(self, d: date) -> bool:
        """True if ``d`` lies between the term's first and last day (breaks included)."""
        return self.start <= d <= self.end

    def break_on(self, d: date) -> Break | None:
        """The break ``d`` falls in, if any."""
        return next((b for b in self.breaks if b.contains(d)), None)


@dataclass(frozen=True)
class Closure:
    """A day in term on which the school is closed to pupils (an INSET day)."""

    date: date
    name: str


@dataclass(frozen=True)
class SchoolCalendar:
    """A school's calendar: nation (for bank holidays), school hours, terms, closures.

    Immutable. The school days of every configured term are worked out once, when first
    asked for (a sorted tuple searched with ``bisect``), so each deadline costs a couple
    of binary searches however many a due list computes, and a command that needs no date
    (``liaison staff``) never pays the ~120 ms that ``holidays`` takes to load and compute.
    """

    nation: str
    day_start: time
    day_end: time
    terms: tuple[Term, ...]
    closures: tuple[Closure, ...] = ()
    _closure_names: MappingProxyType[date, str] = field(init=False, repr=False, compare=False)
    _term_starts: tuple[date, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.nation not in NATIONS:
            raise DefinitionError([f"calendar.nation: unknown nation '{self.nation}' "
                                   f"(expected one of: {', '.join(NATIONS)})"])
        if not self.terms:
            raise DefinitionError(["calendar.terms: at least one term is needed"])
        if self.day_end <= self.day_start:
            raise DefinitionError(["calendar.hours: the school day ends before it starts"])
        # Frozen dataclass: the derived tables are set once, here, and never again.
        terms = tuple(sorted(self.terms, key=lambda t: t.start))
        object.__setattr__(self, "terms", terms)
        object.__setattr__(self, "_term_starts", tuple(t.start for t in terms))
        object.__setattr__(self, "closures", tuple(self.closures))
        object.__setattr__(self, "_closure_names",
                           MappingProxyType({c.date: c.name for c in self.closures}))

    # Derived once, on first use (cached_property writes the instance's __dict__, which a
    # frozen dataclass allows: the value never changes once computed).
    @cached_property
    def _bank_holidays(self) -> MappingProxyType[date, str]:
        # Whole calendar years around the terms, so a listing of Christmas after the last
        # term still names the bank holidays. A plain dict: ``holidays`` objects grow new
        # years when asked about them, which would make this calendar quietly mutable.
        import holidays  # here, not at the top: see the class's docstring

        years = range(self.terms[0].start.year, self.terms[-1].end.year + 1)
        found = holidays.country_holidays("GB", subdiv=NATIONS[self.nation], years=years)
        return MappingProxyType({d: str(name) for d, name in found.items()})

    @cached_property
    def _school_days(self) -> tuple[date, ...]:
        return tuple(sorted({d for t in self.terms for d in _each_day(t.start, t.end)
                             if self.day_kind(d)[0] == SCHOOL_DAY}))

    @cached_property
    def _school_day_set(self) -> frozenset[date]:
        return frozenset(self._school_days)

    # -- what a day is -------------------------------------------------------------------

    @property
    def first_day(self) -> date:
        """The first day of the first configured term."""
        return self.terms[0].start

    @property
    def last_day(self) -> date:
        """The last day of the last configured term."""
        return self.terms[-1].end

    def is_school_day(self, d: date) -> bool:
        """True for a weekday in a term, not in a break, bank holiday or closure."""
        return _as_day(d) in self._school_day_set

    def term_on(self, d: date) -> Term | None:
        """The term ``d`` falls in (breaks included), or None in a holiday."""
        d = _as_day(d)
        i = bisect_right(self._term_starts, d) - 1
        if i >= 0 and self.terms[i].contains(d):
            return self.terms[i]
        return None

    def day_kind(self, d: date) -> tuple[str, str]:
        """What ``d`` is, as ``(kind, name)``.

        Kinds: ``school_day``, ``weekend``, ``bank_holiday`` (name from ``holidays``),
        ``half_term`` (the break's name), ``closure`` (its name) and ``holiday`` (outside
        every term). A bank holiday is named even at a weekend or in a holiday, because
        the name is the more useful thing to show; a weekend inside a half term is a
        weekend.
        """
        d = _as_day(d)
        bank_holiday = self._bank_holidays.get(d)
        if bank_holiday:
            return BANK_HOLIDAY, bank_holiday
        if d.weekday() >= 5:
            return WEEKEND, ""
        term = self.term_on(d)
        if term is None:
            return HOLIDAY, ""
        half_term = term.break_on(d)
        if half_term is not None:
            return HALF_TERM, half_term.name
        closure = self._closure_names.get(d)
        if closure is not None:
            return CLOSURE, closure
        return SCHOOL_DAY, ""

    def days(self, start: date, end: date) -> list[tuple[date, str, str]]:
        """Every day from ``start`` to ``end`` inclusive as ``(day, kind, name)``."""
        start, end = _as_day(start), _as_day(end)
        if end < start:
            raise InputError(f"the listing ends ({end}) before it starts ({start})")
        if (end - start).days >= MAX_LISTING_DAYS:
            raise InputError(f"a listing covers at most {MAX_LISTING_DAYS} days; "
                             f"{start} to {end} is {(end - start).days + 1}")
        return [(d, *self.day_kind(d)) for d in _each_day(start, end)]

    # -- counting school days ------------------------------------------------------------

    def next_school_day(self, d: date) -> date:
        """The first school day strictly after ``d``."""
        d = _as_day(d)
        self._require_known(d + _ONE_DAY, d)
        return self._school_day_at(bisect_right(self._school_days, d), f"after {d}")

    def add_school_days(self, d: date, n: int) -> date:
        """The ``n``-th school day after ``d``.

        ``n == 0`` gives ``d`` itself if it is a school day, else the next school day.
        ``add_school_days(d, 1)`` is therefore ``next_school_day(d)``. Raises InputError
        for a negative ``n`` or when the answer lies beyond the configured terms.
        """
        d = _as_day(d)
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise InputError(f"a number of school days must be a whole number >= 0, not {n!r}")
        if n == 0:
            self._require_known(d, d)
            return self._school_day_at(bisect_left(self._school_days, d), f"on or after {d}")
        self._require_known(d + _ONE_DAY, d)
        index = bisect_right(self._school_days, d) + n - 1
        return self._school_day_at(index, f"{n} school day{'s' * (n > 1)} after {d}")

    def school_days_between(self, start: date, end: date) -> int:
        """How many school days fall after ``start`` and on or before ``end``.

        So ``school_days_between(d, add_school_days(d, n)) == n`` for ``n >= 1``. Only
        the configured terms are counted; 0 when ``end <= start``.
        """
        start, end = _as_day(start), _as_day(end)
        if end <= start:
            return 0
        return bisect_right(self._school_days, end) - bisect_right(self._school_days, start)

    def months_after(self, d: date, n: int) -> date:
        """A time limit in calendar months, as the ICO counts one for a subject access
        request (SAR-2): the same day ``n`` months on, or that month's last day when it
        has no such day (31 January -> 28 or 29 February); on a weekend or bank holiday,
        the next working day. School holidays count: the limit is not in school days."""
        month = d.month - 1 + n
        year, month = d.year + month // 12, month % 12 + 1
        last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
        due = date(year, month, min(d.day, last))
        while due.weekday() >= 5 or self.day_kind(due)[0] == "bank_holiday":
            due += timedelta(days=1)
        return due

    def counts_as_received(self, at: datetime) -> date:
        """The school day a message sent at ``at`` counts as received (PWP-5.2, PWP-5.3).

        On a school day, before the end of the school day: that day. After the end of
        the school day: the next school day. At a weekend, on a bank holiday, in a half
        term, on a closure day or in a holiday: the next school day (the following
        working week; the first school day of the next term). A naive ``at`` is UK local
        time; an aware one is converted to UK time first.
        """
        at = _uk_local(at)
        d = at.date()
        # Before school hours on a school day counts as that same day. PWP-5.3 says
        # "emails sent outside the school day [are dealt with] on the following day": the
        # day following the out-of-hours period, which for 07:00 on a Tuesday is Tuesday.
        # The out-of-hours stretch from Monday 16:00 to Tuesday 08:30 is one period: staff
        # first see everything sent in it on Tuesday morning, so an email at 23:59 Monday
        # and one at 00:01 Tuesday must count from the same day; reading "following day"
        # as the next calendar day would push the later one to Wednesday. It is also the
        # reading that never gives the parent a later deadline.
        if self.is_school_day(d) and at.time() < self.day_end:
            return d
        return self.next_school_day(d)

    def due_after_receipt(self, at: datetime, n: int) -> date:
        """The day ``n`` school days after a message sent at ``at`` counts as received.

        E.g. acknowledge a letter within 2 and answer within 10 (PWP-5.2).
        """
        return self.add_school_days(self.counts_as_received(at), n)

    # -- helpers -------------------------------------------------------------------------

    def _require_known(self, first_needed: date, asked: date) -> None:
        # Days before the first term are unknown (there may be an unconfigured term), so
        # a count that has to look at them would be a guess.
        if first_needed < self.first_day:
            raise InputError(f"{asked} is before the school calendar starts "
                             f"({self.terms[0].name} begins {self.first_day}); "
                             "add the earlier terms to school.yaml")

    def _school_day_at(self, index: int, wanted: str) -> date:
        if index < len(self._school_days):
            return self._school_days[index]
        last = self.terms[-1]
        raise InputError(f"no school day {wanted} in the school calendar: the last term "
                         f"({last.name}) ends {last.end}; add the next terms to school.yaml")


def _as_day(d: Any) -> date:
    # A datetime is a date too, but comparing one with the stored dates raises deep in
    # bisect; and passing one here (not to counts_as_received) is a caller's mistake.
    if isinstance(d, datetime) or not isinstance(d, date):
        raise TypeError(f"expected a date, got {type(d).__name__}: {d!r}")
    return d


def _uk_local(at: Any) -> datetime:
    if not isinstance(at, datetime):
        raise TypeError(f"expected a datetime, got {type(at).__name__}: {at!r}")
    if at.tzinfo is None:
        return at
    from zoneinfo import ZoneInfo  # only needed for aware datetimes

    return at.astimezone(ZoneInfo(UK_ZONE)).replace(tzinfo=None)


def _each_day(start: date, end: date) -> Iterator[date]:
    d = start
    while d <= end:
        yield d
        d += _ONE_DAY


# -- reading the ``calendar:`` mapping of school.yaml --------------------------------------
#
# Parsing keeps going after a problem so that one run lists them all. Convention: a value
# of None means "the key is missing", which the enclosing mapping has already reported,
# so the parsers below stay quiet about it.

_DATE_FORMAT = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME_FORMAT = re.compile(r"\d{2}:\d{2}")

# (required keys, optional keys) of each mapping.
_Keys = tuple[frozenset[str], frozenset[str]]
_CALENDAR_KEYS: _Keys = (frozenset({"nation", "hours", "terms"}), frozenset({"closures"}))
_HOURS_KEYS: _Keys = (frozenset({"start", "end"}), frozenset())
_TERM_KEYS: _Keys = (frozenset({"name", "start", "end"}), frozenset({"breaks"}))
_BREAK_KEYS: _Keys = (frozenset({"name", "start", "end"}), frozenset())
_CLOSURE_KEYS: _Keys = (frozenset({"date", "name"}), frozenset())


@dataclass
class _Where:
    """Where a parsed item came from: its path (``calendar.terms[2]``) and key lines."""

    path: str
    line: int
    key_lines: dict[str, int]

    def at(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class _Problems:
    """Collects every problem as ``FILE:LINE: path: message``."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.lines: list[str] = []

    def add(self, line: int, path: str, message: str) -> None:
        where = f"{self.source}:{line}" if line else self.source
        self.lines.append(f"{where}: {path}: {message}")


@dataclass
class _Parsed:
    """What could be read of the ``calendar:`` mapping; None/partial where it was wrong."""

    nation: str | None = None
    hours: tuple[time, time] | None = None
    hours_where: _Where | None = None
    terms: list[tuple[Term, _Where, list[_Where]]] = field(default_factory=list)
    all_terms_read: bool = False
    closures: list[tuple[Closure, _Where]] = field(default_factory=list)


def calendar_from_config(config: Any, source: str) -> SchoolCalendar:
    """Build a SchoolCalendar from the ``calendar:`` mapping of school.yaml.

    ``config`` is the mapping under ``calendar:`` (not the whole file) as loaded by
    ``engine.core.yamlfile``: every scalar a string that knows its line. ``source`` names the
    file in messages. Every problem found is collected and raised together as one
    DefinitionError, each line reading ``FILE:LINE: calendar.terms[2].end: what is wrong``.
    """
    problems = _Problems(source)
    if config is None:
        problems.add(0, "calendar", "missing")
        raise DefinitionError(problems.lines)
    parsed = _parse_calendar(config, problems)
    _check_calendar(parsed, problems)
    if problems.lines:
        raise DefinitionError(problems.lines)
    assert parsed.nation is not None and parsed.hours is not None  # no problems: all read
    return SchoolCalendar(nation=parsed.nation, day_start=parsed.hours[0],
                          day_end=parsed.hours[1], terms=tuple(t for t, _, _ in parsed.terms),
                          closures=tuple(c for c, _ in parsed.closures))


def _parse_calendar(config: Any, problems: _Problems) -> _Parsed:
    parsed = _Parsed()
    where = _mapping(config, "calendar", 0, _CALENDAR_KEYS, problems)
    if where is None:
        return parsed
    parsed.nation = _nation(config.get("nation"), where, problems)
    hours = _mapping(config.get("hours"), "calendar.hours", where.at("hours"), _HOURS_KEYS,
                     problems)
    if hours is not None:
        start = _time(config["hours"].get("start"), hours, "start", problems)
        end = _time(config["hours"].get("end"), hours, "end", problems)
        if start is not None and end is not None:
            parsed.hours, parsed.hours_where = (start, end), hours
    terms = _items(config.get("terms"), where, "terms", _term, problems, required=True)
    parsed.terms, parsed.all_terms_read = terms
    parsed.closures = _items(config.get("closures"), where, "closures", _closure, problems)[0]
    return parsed


def _mapping(value: Any, path: str, line: int, keys: _Keys,
             problems: _Problems) -> _Where | None:
    """Report unknown and missing keys; None only if ``value`` is not a mapping at all."""
    if value is None:
        return None
    if not isinstance(value, dict):
        problems.add(line_of(value, line), path, "must be a mapping")
        return None
    required, optional = keys
    where = _Where(path, line_of(value, line), dict(getattr(value, "key_lines", {})))
    for key in value:
        if key not in required | optional:
            allowed = ", ".join(sorted(required | optional))
            problems.add(where.at(key), f"{path}.{key}", f"unknown key (allowed: {allowed})")
    for key in sorted(required - set(value)):
        problems.add(where.line, f"{path}.{key}", "missing")
    return where


def _text(value: Any, where: _Where, key: str, problems: _Problems) -> str | None:
    if value is None:
        return None
    path, line = f"{where.path}.{key}", line_of(value, where.at(key))
    if not isinstance(value, str):
        problems.add(line, path, "must be text")
        return None
    if not value.strip():
        problems.add(line, path, "must not be empty")
        return None
    return str(value)


def _date(value: Any, where: _Where, key: str, problems: _Problems) -> date | None:
    return _parsed(value, where, key, problems, _DATE_FORMAT, date.fromisoformat,
                   "not a date (YYYY-MM-DD)")


def _time(value: Any, where: _Where, key: str, problems: _Problems) -> time | None:
    return _parsed(value, where, key, problems, _TIME_FORMAT, time.fromisoformat,
                   "not a time (HH:MM)")


def _parsed(value: Any, where: _Where, key: str, problems: _Problems,
            pattern: re.Pattern[str], parse: Callable[[str], T], what: str) -> T | None:
    """``value`` converted by ``parse`` when it matches ``pattern`` exactly, else a problem."""
    text = _text(value, where, key, problems)
    if text is None:
        return None
    try:
        if not pattern.fullmatch(text):
            raise ValueError(text)
        return parse(text)
    except ValueError:
        problems.add(line_of(value, where.at(key)), f"{where.path}.{key}", f"{what}: '{text}'")
        return None


def _nation(value: Any, where: _Where, problems: _Problems) -> str | None:
    text = _text(value, where, "nation", problems)
    if text is not None and text not in NATIONS:
        problems.add(line_of(value, where.at("nation")), "calendar.nation",
                     f"unknown nation '{text}' (expected one of: {', '.join(NATIONS)})")
        return None
    return text


def _items(value: Any, parent: _Where, key: str, parse_one: Any, problems: _Problems,
           required: bool = False) -> tuple[list[Any], bool]:
    """Parse a list with ``parse_one``: (the items that could be read, whether all could)."""
    path, line = f"{parent.path}.{key}", line_of(value, parent.at(key))
    if value is None:
        return [], not required
    if not isinstance(value, list):
        problems.add(line, path, "must be a list")
        return [], False
    if required and not value:
        problems.add(line, path, "must list at least one")
        return [], False
    items = [parse_one(item, f"{path}[{i}]", line, problems) for i, item in enumerate(value)]
    read = [item for item in items if item is not None]
    return read, len(read) == len(items)


def _term(value: Any, path: str, line: int, problems: _Problems) -> Any:
    where = _mapping(value, path, line, _TERM_KEYS, problems)
    if where is None:
        return None
    span = _span(value, where, problems)
    breaks, all_read = _items(value.get("breaks"), where, "breaks", _break, problems)
    if span is None or not all_read:
        return None
    return Term(*span, tuple(b for b, _ in breaks)), where, [w for _, w in breaks]


def _break(value: Any, path: str, line: int, problems: _Problems) -> Any:
    where = _mapping(value, path, line, _BREAK_KEYS, problems)
    if where is None:
        return None
    span = _span(value, where, problems)
    return None if span is None else (Break(*span), where)


def _span(value: Any, where: _Where, problems: _Problems) -> tuple[str, date, date] | None:
    """The name, start and end of a term or a break, or None when one is missing or bad."""
    name = _text(value.get("name"), where, "name", problems)
    start = _date(value.get("start"), where, "start", problems)
    end = _date(value.get("end"), where, "end", problems)
    if name is None or start is None or end is None:
        return None
    return name, start, end


def _closure(value: Any, path: str, line: int, problems: _Problems) -> Any:
    where = _mapping(value, path, line, _CLOSURE_KEYS, problems)
    if where is None:
        return None
    day = _date(value.get("date"), where, "date", problems)
    name = _text(value.get("name"), where, "name", problems)
    if day is None or name is None:
        return None
    return Closure(day, name), where


# -- checks across values, on whatever could be read ---------------------------------------

def _check_calendar(parsed: _Parsed, problems: _Problems) -> None:
    if parsed.hours is not None and parsed.hours_where is not None:
        _check_hours(parsed.hours, parsed.hours_where, problems)
    for term, where, break_wheres in parsed.terms:
        _check_term(term, where, break_wheres, problems)
    _check_term_overlaps(parsed.terms, problems)
    # "Not in any term" would be a false alarm if the term it is in could not be read.
    if parsed.all_terms_read:
        _check_closures(parsed.closures, [t for t, _, _ in parsed.terms], problems)


def _check_hours(hours: tuple[time, time], where: _Where, problems: _Problems) -> None:
    start, end = hours
    if end <= start:
        problems.add(where.at("end"), f"{where.path}.end",
                     f"the school day ends ({end:%H:%M}) before it starts ({start:%H:%M})")


def _check_span(start: date, end: date, where: _Where, problems: _Problems) -> bool:
    if end < start:
        problems.add(where.at("end"), f"{where.path}.end",
                     f"ends ({end}) before it starts ({start})")
        return False
    return True


def _check_term(term: Term, where: _Where, break_wheres: list[_Where],
                problems: _Problems) -> None:
    if not _check_span(term.start, term.end, where, problems):
        return
    previous: tuple[Break, _Where] | None = None
    for brk, brk_where in sorted(zip(term.breaks, break_wheres, strict=True),
                                 key=lambda pair: pair[0].start):
        if not _check_span(brk.start, brk.end, brk_where, problems):
            continue
        if brk.start < term.start or brk.end > term.end:
            problems.add(brk_where.at("start"), brk_where.path,
                         f"{brk.start} to {brk.end} is not inside the term "
                         f"'{term.name}' ({term.start} to {term.end})")
        if previous is not None and brk.start <= previous[0].end:
            problems.add(brk_where.at("start"), brk_where.path,
                         f"overlaps {previous[1].path} '{previous[0].name}'")
        previous = brk, brk_where


def _check_term_overlaps(terms: list[tuple[Term, _Where, list[_Where]]],
                         problems: _Problems) -> None:
    # Sorted by start, an overlap always shows between neighbours. Terms that end before
    # they start were reported already and are left out.
    ordered = sorted(((t, w) for t, w, _ in terms if t.end >= t.start),
                     key=lambda pair: pair[0].start)
    for (before, before_where), (term, where) in zip(ordered, ordered[1:], strict=False):
        if term.start <= before.end:
            problems.add(where.at("start"), where.path,
                         f"'{term.name}' ({term.start} to {term.end}) overlaps "
                         f"{before_where.path} '{before.name}' ({before.start} to {before.end})")


def _check_closures(closures: list[tuple[Closure, _Where]], terms: list[Term],
                    problems: _Problems) -> None:
    # A closure takes away a day that would otherwise be a school day; one at a weekend,
    # in a half term or outside every term is almost certainly a mistyped date. One on a
    # bank holiday is not refused: the holidays library can add bank holidays (it did for
    # a football final), and an upgrade must not make a school's file invalid.
    seen: dict[date, str] = {}
    for closure, where in closures:
        problem = _closure_problem(closure.date, terms, seen)
        if problem:
            problems.add(where.at("date"), f"{where.path}.date", problem)
        seen.setdefault(closure.date, where.path)


def _closure_problem(day: date, terms: list[Term], seen: dict[date, str]) -> str:
    if day in seen:
        return f"{day} is already closed by {seen[day]}"
    if day.weekday() >= 5:
        return f"{day} is a {day:%A}"
    term = next((t for t in terms if t.contains(day)), None)
    if term is None:
        return f"{day} is not in any term"
    half_term = term.break_on(day)
    if half_term is not None:
        return f"{day} is in '{half_term.name}' of '{term.name}'"
    return ""
