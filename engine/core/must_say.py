"""What a statutory letter must say, proved before it is sent (``must_say:``; pure).

A document spec may list what its letter must say: fields it must print, and fixed phrases
or clause IDs it must contain (EXC-2: the reasons, the dates, the first five school days
named, the right to make representations and how ...). ``liaison check`` renders the
template with sample values, once for each option of every choice field the workflow has
(so a sentence that appears only for a permanent exclusion, or only for a short
suspension, is seen missing from the others), and reports each item missing from any
rendering at the item's ``FILE:LINE``. This module makes the sample contexts and finds the
items in the rendered text; rendering is the caller's (engine.letters).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from typing import Any

from engine.core import context as ctx
from engine.core.definitions import DocumentSpec, Event, Field, MustSay, Workflow
from engine.core.people import Student
from engine.core.rows import DeadlineRow
from engine.core.school import Profile

SAMPLE_DAY = dt.date(2031, 3, 3)  # a Monday: sample dates are distinct days after it
SAMPLE_STUDENT = Student("S0", "Sample", "Pupil", 9, "9S", "Sample House")


def sample_values(workflow: Workflow) -> dict[str, Any]:
    """A distinct, recognisable value for every field of the workflow (ISO, as stored)."""
    out: dict[str, Any] = {}
    for i, f in enumerate(workflow.field_types().values()):
        out[f.name] = _sample(f, i)
    return out


def _sample(f: Field, i: int) -> Any:
    day = SAMPLE_DAY + dt.timedelta(days=7 * i)
    if f.type == "date":
        return day.isoformat()
    if f.type == "datetime":
        return f"{day.isoformat()}T10:{i % 60:02d}"
    if f.type == "dates":
        # six days: longer than the first five, so a letter's sixth-day paragraph shows
        return [(day + dt.timedelta(days=d)).isoformat() for d in range(6)]
    if f.type == "number":
        return 900 + i
    if f.type == "choice":
        return f.choices[0]
    if f.type == "list":
        return [f"Sample {f.name} one", f"Sample {f.name} two"]
    if f.type in ("attendees", "staff_list"):
        return [f"sample-{f.name}"]
    if f.type in ("staff", "contact"):
        return f"sample-{f.name}"
    return f"Sample {f.name.replace('_', ' ')} text"


def variants(workflow: Workflow, base: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The sample values, then once more for each other option of each choice field."""
    yield dict(base)
    for f in workflow.field_types().values():
        for option in f.choices[1:]:
            yield {**base, f.name: option}


def sample_context(workflow: Workflow, event: Event, doc: DocumentSpec,
                   values: Mapping[str, Any], letterhead: Profile) -> dict[str, Any]:
    """A whole letter context as compose builds it, from sample people and ``values``."""
    names = {v: f"Sample Person {k.replace('_', ' ')}" for k, v in values.items()
             if isinstance(v, str) and v.startswith("sample-")}
    names |= {f"sample-{k}": f"Sample Person {k.replace('_', ' ')}"
              for k, v in values.items() if isinstance(v, list)}
    shown = ctx.shown_fields(workflow, values, names)
    state = workflow.states[next((t.state for t in event.targets if t.state),
                                 next(iter(workflow.states)))]
    recipient = ctx.Recipient(id="sample", name="Ms Sample Parent", salutation="Dear Ms Parent",
                              address_lines=("1 Sample Street", "Sampletown", "SA1 1AA"))
    return ctx.letter_context(
        letterhead=letterhead, when=SAMPLE_DAY, recipient=recipient, student=SAMPLE_STUDENT,
        case={"id": "SMP-2031-0001", "title": workflow.title, "state": state.name,
              "state_title": state.title, "opened_by": "Sample Head"},
        fields=shown, signatory=("Sample Head", "Headteacher"),
        actor=("Sample Head", "Headteacher"), ban=None, deadlines=sample_deadlines(workflow),
        titles=ctx.staff_titles(workflow, values, {v: f"Sample title of {v[7:].replace('_', ' ')}"
                                                   for v in names}))


def sample_deadlines(workflow: Workflow) -> dict[str, Any]:
    """Every deadline of the workflow open, each on a distinct sample day (in 2031)."""
    rows = [DeadlineRow(name, specs[0].title, specs[0].clause,
                        (SAMPLE_DAY + dt.timedelta(days=3 + 7 * i)).isoformat())
            for i, (name, specs) in enumerate(ctx.deadline_specs(workflow).items())]
    return ctx.deadlines_context(workflow, rows)


def missing(items: tuple[MustSay, ...], text: str, context: Mapping[str, Any],
            values: Mapping[str, Any]) -> list[MustSay]:
    """The items a rendered letter's text does not say: a field whose shown value (each
    of them, for a list) is not printed, or a phrase not found (case and spacing aside)."""
    flat = _normal(text)
    out = []
    for item in items:
        if item.when and not item.when.holds(values):
            continue
        if item.field:
            value = context["fields"].get(item.field)
            wanted = value if isinstance(value, list) else [value]
            if value in (None, []) or any(_normal(str(v)) not in flat for v in wanted):
                out.append(item)
        elif _normal(item.says) not in flat:
            out.append(item)
    return out


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()
