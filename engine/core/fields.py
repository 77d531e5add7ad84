"""Turning ``--set key=value`` text into a case's typed field values (pure, stdlib only).

Values are kept as JSON-ready text (ISO dates, ids), so the audit trail stores exactly what
was decided, and every piece of text passes ``clean_text`` before it can reach a letter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from engine.core.definitions import Field
from engine.core.text import clean_text
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
    return out


def _value(spec: Field, values: list[str], people: People, what: str) -> Any:
    where = f"{what}: field '{spec.name}'"
    if spec.type in ("list", "attendees"):
        items = [clean_text(v, where, spec.max_length).strip() for v in values]
        items = [i for i in items if i]
        if spec.type == "attendees":
            for item in items:
                _person(item, people, where)
        return items
    if len(values) > 1:
        raise FieldError(f"{where}: given {len(values)} times, but it holds one value")
    value = clean_text(values[0], where, spec.max_length).strip()
    return _CONVERT[spec.type](spec, value, people, where)


def _text(spec: Field, value: str, people: People, where: str) -> str:
    return value


def _date(spec: Field, value: str, people: People, where: str) -> str:
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise FieldError(f"{where}: '{value}' is not a date (YYYY-MM-DD)") from None


def _datetime(spec: Field, value: str, people: People, where: str) -> str:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise FieldError(f"{where}: '{value}' is not a date and time (YYYY-MM-DDTHH:MM)") from None
    return moment.replace(tzinfo=None).isoformat(timespec="minutes")


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
