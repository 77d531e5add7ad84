"""``liaison try WORKFLOW``: a whole workflow walked in a sandbox (issue 16).

An author writing a workflow wants to see it run, event by event, with its letters, before
a real case is ever opened (a real case stays in the audit trail for ever). The sandbox is
a throwaway copy of the school: its ``school.yaml``, workflows and letters as they are now
(so the author's edits are what runs), and the sample pupils and parents of ``samples/``,
never the school's own people. Its store is a new SQLite file in a temporary folder, and
``LIAISON_DATABASE_URL`` and ``database:`` are not read, so the real store is never
opened. Closing the sandbox removes the folder: nothing is left behind.

Each step is one line, as an author would type it: ``EVENT [--as STAFF] [NAME=VALUE ...]``.
A field not given takes a sample value (a date of the sandbox's day, the student's first
parent, the member of staff acting ...), and the member of staff acting is, unless named,
the first in school.yaml who may fire the event. The sandbox's clock starts on a school
day and moves on one school day a step, at 10:00.
"""

from __future__ import annotations

import datetime as dt
import shlex
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.core import machine, rules
from engine.core.definitions import Event, Workflow
from engine.core.school import SCHOOL_FILE
from engine.errors import InputError, LetterError, NotFound, PermissionDenied, TransitionNotAllowed
from engine.service import shipped
from engine.service.liaison import Liaison
from engine.service.sources import open_school
from engine.store.database import Store

COPIED = ("workflows", "letters")
# What a step may be refused with, and the author told why; anything else (a broken
# workflow, a full disk) ends the sandbox.
REFUSALS = (InputError, PermissionDenied, TransitionNotAllowed, NotFound, LetterError)
AT = dt.time(10, 0)


@dataclass
class Letter:
    template: str
    recipient: str
    text: str
    path: Path  # inside the sandbox: gone when it closes


@dataclass
class Step:
    """What one step did: the event, who, when, the state after it, the deadlines it set,
    the letters it wrote (their text), the events possible next, or why it was refused."""

    event: str
    actor: str = ""
    at: str = ""
    state: str = ""
    deadlines: list[dict[str, str]] = field(default_factory=list)
    letters: list[Letter] = field(default_factory=list)
    next: list[str] = field(default_factory=list)
    refused: str = ""
    opened: list[str] = field(default_factory=list)  # follow-on cases (a readmission)

    def as_json(self) -> dict[str, Any]:
        return {"event": self.event, "actor": self.actor, "at": self.at, "state": self.state,
                "deadlines": self.deadlines, "refused": self.refused, "next": self.next,
                "opened": self.opened,
                "letters": [{"template": x.template, "recipient": x.recipient, "text": x.text}
                            for x in self.letters]}


class Sandbox:
    """A copy of the school in a temporary folder, one case of ``workflow`` walked in it."""

    def __init__(self, root: Path, workflow: str, student: str | None = None,
                 on: dt.date | None = None) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="liaison-try-"))
        try:
            self._copy(root)
            school = open_school(self.folder)
            self.workflow: Workflow = school.workflow(workflow)
            store = Store(school.database, school.school_id or "sandbox")
            self.day = school.calendar.add_school_days(on or dt.date.today(), 0)
            self.engine = Liaison(school, store, lambda: dt.datetime.combine(self.day, AT))
            self.engine.import_students(self.folder / "samples" / "students.csv")
            self.engine.import_contacts(self.folder / "samples" / "contacts.csv")
            with store.reads() as r:
                self.student = student or sorted(r.all_student_ids())[0]
            self.case = ""
        except BaseException:
            self.close()
            raise

    def _copy(self, root: Path) -> None:
        """The school's definitions as they are now, the sample people, no cases and no
        database setting (the sandbox's store is its own SQLite file)."""
        text = (root / SCHOOL_FILE).read_text(encoding="utf-8")
        kept = [ln for ln in text.splitlines(keepends=True) if not ln.startswith("database:")]
        (self.folder / SCHOOL_FILE).write_text("".join(kept), encoding="utf-8")
        for part in COPIED:
            shutil.copytree(root / part, self.folder / part)
        samples = root / "samples"
        if not (samples / "students.csv").is_file():
            samples = shipped.source() / "samples"
        shutil.copytree(samples, self.folder / "samples")
        (self.folder / "cases").mkdir(mode=0o700)

    def close(self) -> None:
        engine = getattr(self, "engine", None)
        if engine is not None:
            engine.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # ------------------------------------------------------------------ steps

    def step(self, line: str) -> Step:
        """One line, ``EVENT [--as STAFF] [NAME=VALUE ...]`` (``open`` first): fired in the
        sandbox; a refusal is given back as such, with nothing changed."""
        name, actor, given = _parse(line)
        event = self.workflow.opening if name == "open" else self.workflow.events.get(name)
        out = Step(event=name)
        try:
            if event is None:
                raise InputError(f"no event '{name}' in {self.workflow.name} (the events "
                                 f"possible now: {', '.join(self.possible()) or 'none'})")
            if (name == "open") == bool(self.case):
                raise InputError("the case is already open" if self.case
                                 else "open the case first: 'open'")
            out.actor = actor or self._actor(event)
            values = self._samples(event, out.actor, given)
            if name == "open":
                done = self.engine.open(self.workflow.name, self.student, out.actor, values)
                self.case = done.case
            else:
                done = self.engine.advance(self.case, name, out.actor, values)
        except REFUSALS as exc:
            out.refused = str(exc)
            return out
        out.at = dt.datetime.combine(self.day, AT).isoformat(timespec="minutes")
        out.state, out.deadlines = done.state, list(done.deadlines)
        out.letters = [self._letter(d) for d in done.documents]
        out.opened = [f"{o.case} ({o.workflow}) is now {o.state}" for o in done.opened]
        out.next = self.possible()
        self.day = self.engine.school.calendar.next_school_day(self.day)
        return out

    def possible(self) -> list[str]:
        """The events that may fire on the case now (before any new input)."""
        if not self.case:
            return ["open"]
        with self.engine.store.reads() as r:
            case = r.case(self.case)
        return machine.possible(self.workflow, case.state, case.fields)

    def _letter(self, made: Any) -> Letter:
        from engine.letters import renderer

        path = self.folder / made.path
        return Letter(made.template, made.recipient, renderer.docx_text(path.read_bytes()),
                      path)

    def _actor(self, event: Event) -> str:
        """The first member of staff in school.yaml who may fire the event."""
        staff = self.engine.school.staff.values()
        chosen = next((s.id for s in staff if s.roles & event.roles), None)
        if chosen is None:
            raise InputError(f"nobody in school.yaml may fire {event.name}: it needs one of "
                             f"{', '.join(sorted(event.roles))}")
        return chosen

    def _samples(self, event: Event, actor: str,
                 given: dict[str, list[str]]) -> dict[str, list[str]]:
        """``given``, and a value for each field the event asks for and must have: the
        required ones, and an optional one a ``required_when`` rule asks for here (a
        suspension's end_on; not the member of staff a complaint about the school is not
        about)."""
        with self.engine.store.reads() as r:
            parents = [c["id"] for c in r.contacts_of(self.student)
                       if c.get("kind", "parent") == "parent"]
        day = self.day.isoformat()
        by_type: Mapping[str, list[str]] = {
            "date": [day], "datetime": [f"{day}T09:00"], "staff": [actor],
            "staff_list": [actor], "contact": parents[:1],
            "attendees": [*parents[:1], self.student, actor]}

        def sample(f: Any) -> list[str]:
            if f.type == "choice":
                return [f.choices[0]]
            return list(by_type.get(f.type, [f"Sample {f.name.replace('_', ' ')}"]))

        out = {f.name: sample(f) for f in event.fields if not f.optional}
        out |= given
        fields = {f.name: f for f in event.fields}
        for guard in event.guards:
            arg = guard.arg
            if guard.name != "required_when" or arg.get("field") not in fields:
                continue
            values = {**self._case_fields(), **{k: v[0] for k, v in out.items() if v}}
            if rules.required_when(arg, rules.Facts(values, dt.datetime.combine(self.day, AT), "")):
                out.setdefault(arg["field"], sample(fields[arg["field"]]))
        return out

    def _case_fields(self) -> dict[str, Any]:
        if not self.case:
            return {}
        with self.engine.store.reads() as r:
            return dict(r.case(self.case).fields)


def _parse(line: str) -> tuple[str, str, dict[str, list[str]]]:
    """``EVENT [--as STAFF] [NAME=VALUE ...]``; a name given twice is a list."""
    try:
        words = shlex.split(line)
    except ValueError as exc:
        raise InputError(f"'{line}': {exc}") from None
    if not words:
        raise InputError("an empty step: give an event's name")
    name, actor, given = words[0], "", {}
    rest = iter(words[1:])
    for word in rest:
        if word == "--as":
            actor = next(rest, "")
            continue
        key, eq, value = word.partition("=")
        if not eq or not key:
            raise InputError(f"'{word}': give NAME=VALUE")
        given.setdefault(key, []).append(value)
    return name, actor, given
