"""Turning ``--set key=value`` text into a case's typed field values (pure, stdlib only).

Values are kept as JSON-ready text (ISO dates, ids), so the audit trail stores exactly what
was decided, and every piece of text passes ``clean_text`` before it can reach a letter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from engine.core.context import long_date
from engine.core.definitions import Field
from engine.core.text import clean_text, clock, money, percent
from engine.errors import FieldError, InputError


def parse_assignments(pairs: Iterable[str]) -> dict[str, list[str]]:
    """``["a=1", "b=2", "b=3"]`` -> ``{"a": ["1"], "b": ["2", "3"]}`` (repeat for lists)."""
    out: dict[str, list[str]] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--set '{pair}': expected key=value")
        out.setdefault(key.strip(), []).append(value)
    return out


class People:
    """Who a staff, contact or attendee field may name, for one case."""

    def __init__(self, student_id: str, contact_ids: Collection[str],
                 staff_ids: Collection[str]) -> None:
        self.student_id = student_id
        self.contact_ids = contact_ids
        self.staff_ids = staff_ids


def parse_fields(specs: Iterable[Field], given: Mapping[str, list[str]], people: People,
                 what: str) -> dict[str, Any]:
    """Check and convert the values given for an event; FieldError names the field."""
    specs = list(specs)
    known = {f.name for f in specs}
    for name in given:
        if name not in known:
            expected = ", ".join(sorted(known)) or "none"
            raise FieldError(f"{what}: unknown field '{name}' (expected: {expected})")
    out: dict[str, Any] = {}
    for spec in specs:
        values = given.get(spec.name, [])
        if not values or values == [""]:
            if not spec.optional:
                raise FieldError(f"{what}: missing field '{spec.name}' ({spec.type}); "
                                 f"give --set {spec.name}=...")
            continue
        out[spec.name] = _value(spec, values, people, what)
        if not spec.optional and spec.type == "text" and not any(
                c.isalnum() for c in out[spec.name]):
            raise FieldError(f"{what}: field '{spec.name}' has no letter or digit in it; it "
                             "is required: say what it asks")
    return out


def _value(spec: Field, values: list[str], people: People, what: str) -> Any:
    where = f"{what}: field '{spec.name}'"
    if spec.type in ("list", "attendees", "staff_list"):
        items = [clean_text(v, where, spec.max_length).strip() for v in values]
        items = [i for i in items if i]
        for item in items:
            if spec.type == "attendees":
                _person(item, people, where)
            elif spec.type == "staff_list":  # a panel: printed by name, not "GV02, GV03"
                _staff(spec, item, people, where)
        return items
    if len(values) > 1:
        raise FieldError(f"{where}: given {len(values)} times, but it holds one value")
    value = clean_text(values[0], where, spec.max_length).strip()
    return _CONVERT[spec.type](spec, value, people, where)


def _text(spec: Field, value: str, people: People, where: str) -> str:
    return value


# The years a date given to Liaison may fall in: a school's records, not history (a date
# such as 0001-01-01 overflowed the calendar's arithmetic; 1900 numbered a case CON-1900).
YEARS = (2000, 2100)


def sensible(moment: dt.date, value: str, where: str) -> None:
    """FieldError unless ``moment`` falls in YEARS and (a datetime) has no offset: the
    school's times are its own local times, and an offset was silently dropped."""
    if not YEARS[0] <= moment.year <= YEARS[1]:
        raise FieldError(f"{where}: '{value}' is outside the years {YEARS[0]} to {YEARS[1]}")
    if isinstance(moment, dt.datetime) and moment.tzinfo is not None:
        raise FieldError(f"{where}: '{value}' has a time zone offset: give the school's "
                         "local time, without one (2026-11-24T10:30)")


def _date(spec: Field, value: str, people: People, where: str) -> str:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise FieldError(f"{where}: '{value}' is not a date (YYYY-MM-DD)") from None
    sensible(day, value, where)
    return day.isoformat()


def _datetime(spec: Field, value: str, people: People, where: str) -> str:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise FieldError(f"{where}: '{value}' is not a date and time (YYYY-MM-DDTHH:MM)") from None
    sensible(moment, value, where)
    return moment.isoformat(timespec="minutes")


def _choice(spec: Field, value: str, people: People, where: str) -> str:
    if value not in spec.choices:
        raise FieldError(f"{where}: '{value}' is not one of: {', '.join(spec.choices)}")
    return value


def _staff(spec: Field, value: str, people: People, where: str) -> str:
    if value not in people.staff_ids:
        raise FieldError(f"{where}: no member of staff '{value}' (see 'liaison staff')")
    return value


def _contact(spec: Field, value: str, people: People, where: str) -> str:
    if value not in people.contact_ids:
        raise FieldError(f"{where}: '{value}' is not a contact of student {people.student_id}")
    return value


def _person(value: str, people: People, where: str) -> None:
    if value != people.student_id and value not in people.contact_ids \
            and value not in people.staff_ids:
        raise FieldError(f"{where}: '{value}' is neither the student, one of their contacts, "
                         "nor a member of staff")


_CONVERT = {"text": _text, "date": _date, "datetime": _datetime, "choice": _choice,
            "staff": _staff, "contact": _contact}


def as_datetime(value: str) -> dt.datetime:
    """A stored date or datetime value as a datetime (a date means its start)."""
    return dt.datetime.fromisoformat(value)


# ----------------------------------------------------------------- batch letters' fields

# The types a batch letter's field may declare (letters/NAME.yaml beside NAME.docx), and
# how each is printed: one place for "£12.50", "89.5%", "6.30pm" and dates in full.
BATCH_TYPES = {"text": "any wording", "date": "YYYY-MM-DD", "time": "HH:MM, e.g. 18:30",
               "money": "pounds, e.g. 12.50", "percent": "a number, e.g. 89.5",
               "list": "repeat --set for each item"}


def batch_types(data: Any, where: str) -> tuple[dict[str, str], list[str]]:
    """A batch letter's declared field types from its YAML (``name: type`` pairs), and
    every problem with them, each naming ``where``."""
    if not isinstance(data, Mapping):
        return {}, [f"{where}: expected 'field: type' lines"]
    out, problems = {}, []
    for name, kind in data.items():
        if kind not in BATCH_TYPES:
            problems.append(f"{where}: {name}: unknown type '{kind}' (one of: "
                            f"{', '.join(BATCH_TYPES)})")
        else:
            out[str(name)] = str(kind)
    return out, problems


def batch_value(kind: str, value: str, where: str) -> str:
    """A batch letter's value checked as its declared type, written as the letter prints
    it: a date in full, a time as 6.30pm, money as £12.50, a percentage with %."""
    value = value.strip()
    if kind in ("text", "list") or not value:
        return value
    if kind == "date":
        return long_date(dt.date.fromisoformat(_date(_SPEC, value, _NOBODY, where)))
    if kind == "time":
        try:
            return clock(dt.time.fromisoformat(value))
        except ValueError:
            raise FieldError(f"{where}: '{value}' is not a time (HH:MM, e.g. 18:30)") from None
    number = _number(value.removeprefix("£") if kind == "money" else value.removesuffix("%"),
                     kind, where)
    return money(number) if kind == "money" else percent(number)


def _number(text: str, kind: str, where: str) -> str:
    try:
        amount = Decimal(text.replace(",", "") if kind == "money" else text)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount < 0 or (
            kind == "percent" and amount > 100):
        raise FieldError(f"{where}: '{text}' is not {BATCH_TYPES[kind]}")
    return str(amount)


_SPEC = Field(name="date", type="date", title="")
_NOBODY = People("", (), ())
