"""An event's fields as a form, and a posted form back as the values the service takes.

Built from the view of each field (``engine.service.views.FieldView``): a date is a date
input, a date and time a datetime-local input, staff and contacts are chosen by name, a
choice is radios (a select when it has many options), a list is repeatable inputs. The
service checks every value; nothing is checked here that it would not check again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from engine.service.views import FieldView

LIST_INPUTS = 4  # empty inputs offered for a list, beyond those already typed
RADIOS_UP_TO = 5


@dataclass(frozen=True)
class Input:
    """One field of a form, ready for the template."""

    id: str
    name: str
    title: str
    kind: str  # text | textarea | date | datetime-local | select | radios | repeat
    optional: bool
    values: tuple[str, ...] = ()
    options: tuple[tuple[str, str], ...] = ()  # (value, label)
    item_kind: str = "text"  # a repeat's inputs: text or select
    hint: str = ""

    @property
    def value(self) -> str:
        return self.values[0] if self.values else ""


@dataclass(frozen=True)
class People:
    """Who a staff, contact or attendee field may name, as (id, label) pairs."""

    staff: Sequence[tuple[str, str]] = ()
    contacts: Sequence[tuple[str, str]] = ()
    student: Sequence[tuple[str, str]] = field(default_factory=tuple)


def inputs(fields: Sequence[FieldView], people: People, typed: Mapping[str, list[str]],
           prefix: str) -> list[Input]:
    """The inputs of a form, holding what was typed (after a refusal) or nothing."""
    return [_input(f, people, typed.get(f.name, []), f"{prefix}-{f.name}") for f in fields]


def _input(f: FieldView, people: People, typed: list[str], id_: str) -> Input:
    base = dict(id=id_, name=f.name, title=f.title, optional=f.optional, values=tuple(typed))
    if f.type == "date":
        return Input(kind="date", **base)
    if f.type == "datetime":
        return Input(kind="datetime-local", **base)
    if f.type == "staff":
        return Input(kind="select", options=tuple(people.staff), **base)
    if f.type == "contact":
        return Input(kind="select", options=tuple(people.contacts), **base)
    if f.type == "choice":
        options = tuple((c, c.replace("_", " ")) for c in f.choices)
        kind = "radios" if len(options) <= RADIOS_UP_TO else "select"
        return Input(kind=kind, options=options, **base)
    if f.type in ("list", "attendees", "staff_list"):
        values = tuple(v for v in typed if v) + ("",) * LIST_INPUTS
        if f.type == "attendees":
            everyone = (*people.student, *people.contacts, *people.staff)
            return Input(kind="repeat", item_kind="select", options=everyone,
                         **{**base, "values": values})
        return Input(kind="repeat", **{**base, "values": values})
    return Input(kind="textarea", **base)


def given(fields: Sequence[FieldView], form: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """The posted values of these fields, as ``--set`` would give them: a list's empty
    inputs dropped, a field left empty left out (the service says if it is needed)."""
    out: dict[str, list[str]] = {}
    for f in fields:
        values = [v.replace("\r\n", "\n") for v in form.get(f.name, [])]
        if f.type in ("list", "attendees", "staff_list"):
            values = [v for v in values if v.strip()]
        elif f.type == "datetime" and values and len(values[0]) == 16:
            values = [values[0]]  # datetime-local sends YYYY-MM-DDTHH:MM, as the CLI takes
        values = [v for v in values if v.strip()]
        if values:
            out[f.name] = values
    return out


# A batch letter's declared field types (letters/NAME.yaml) as inputs: the service checks
# and formats each value (a date printed in full, money with its pound sign).
BATCH_KINDS = {"date": "date", "time": "time", "text": "text", "money": "text",
               "percent": "text"}
BATCH_HINTS = {"money": "In pounds, for example 12.50", "percent": "For example 92.5"}


def batch_inputs(types: Mapping[str, str], typed: Mapping[str, list[str]]) -> list[Input]:
    """The shared fields of a batch letter, each by its declared type."""
    out = []
    for name, kind in types.items():
        values = tuple(typed.get(name, []))
        base = dict(id=f"batch-{name}", name=name, title=name.replace("_", " ").capitalize(),
                    optional=False)
        if kind == "list":
            out.append(Input(kind="repeat", values=tuple(v for v in values if v)
                             + ("",) * LIST_INPUTS, **base))
        else:
            out.append(Input(kind=BATCH_KINDS.get(kind, "text"), values=values,
                             hint=BATCH_HINTS.get(kind, ""), **base))
    return out


def batch_given(types: Mapping[str, str], form: Mapping[str, list[str]],
                columns: set[str]) -> dict[str, list[str]]:
    """The posted shared values of a batch letter; those a student list gives per student
    (``columns``) and empty inputs left out."""
    out: dict[str, list[str]] = {}
    for name in types:
        values = [v.replace("\r\n", "\n") for v in form.get(name, []) if v.strip()]
        if values and name not in columns:
            out[name] = values
    return out
