"""What the use cases return: frozen views that every door prints the same way.

A view is plain data with ``as_json()`` (the shape ``--json`` prints, and a web page's
template reads). A ``Listing`` is a titled sequence of rows with the columns a table of
them shows; the CLI prints it as a table, a web page as an HTML table. Nothing here reads
the store or prints.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from engine.core.definitions import Event, Field
from engine.core.rows import EventRow

T = TypeVar("T")


class _Items(Generic[T]):
    """A view that is a sequence of ``items``, each with ``as_json()``."""

    items: tuple[T, ...]

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> T:
        return self.items[index]

    def as_json(self) -> list[Any]:
        return [item.as_json() for item in self.items]  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Listing(_Items[T]):
    """Rows with a title and the columns a table of them shows (``cells`` of each row)."""

    title: str
    columns: tuple[str, ...]
    items: tuple[T, ...]

    def rows(self) -> list[list[Any]]:
        return [item.cells() for item in self.items]  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Page(Listing[T]):
    """One page of a longer listing: ``more`` rows come after it, from the one after
    ``last`` (the key of its last row)."""

    more: int = 0
    last: str | None = None


def listing(title: str, columns: Sequence[str], items: Sequence[T]) -> Listing[T]:
    return Listing(title, tuple(columns), tuple(items))


@dataclass(frozen=True)
class Made:
    """A document written for an accepted event."""

    template: str
    recipient: str
    path: str
    sha256: str


@dataclass
class Outcome:
    """What open/advance did: printed by the CLI, as JSON with --json."""

    case: str
    workflow: str
    state: str
    documents: list[Made] = field(default_factory=list)
    deadlines: list[dict[str, str]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    opened: list[Outcome] = field(default_factory=list)  # follow-on cases (PWP-5.4a)
    pdfs: list[str] | None = None  # the print copies, when asked for

    def as_json(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
               if f.name not in ("opened", "pdfs")}
        out["documents"] = [dataclasses.asdict(d) for d in self.documents]
        out["opened"] = [o.as_json() for o in self.opened]
        if self.pdfs is not None:
            out["pdfs"] = list(self.pdfs)
        return out

    def written(self) -> list[str]:
        """The letters written, with those of the cases it opened."""
        return [d.path for d in self.documents] + [p for o in self.opened for p in o.written()]


@dataclass(frozen=True)
class FieldView:
    """A field an event asks for, as a form or ``actions`` shows it."""

    name: str
    type: str
    title: str
    optional: bool
    choices: tuple[str, ...] = ()

    @classmethod
    def of(cls, f: Field) -> FieldView:
        return cls(f.name, f.type, f.title, f.optional, f.choices)

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "optional": self.optional,
                **({"choices": list(self.choices)} if self.choices else {})}

    def describe(self) -> str:
        return f"{self.name} ({self.type}{', optional' if self.optional else ''})"


@dataclass(frozen=True)
class Action:
    """An event a member of staff may fire now."""

    name: str
    title: str
    fields: tuple[FieldView, ...]

    @classmethod
    def of(cls, event: Event) -> Action:
        return cls(event.name, event.title, tuple(FieldView.of(f) for f in event.fields))

    def as_json(self) -> dict[str, Any]:
        return {"event": self.name, "title": self.title,
                "fields": [f.as_json() for f in self.fields]}

    def cells(self) -> list[Any]:
        return [self.name, self.title, ", ".join(f.describe() for f in self.fields)]


@dataclass(frozen=True)
class HistoryEntry:
    """One row of a case's audit trail: the event row as stored, shown."""

    row: EventRow

    @classmethod
    def of(cls, e: EventRow) -> HistoryEntry:
        return cls(e)

    def __getattr__(self, name: str) -> Any:  # entry.event, entry.fields: the row's
        if name == "row":  # not yet set (copy, pickle): no recursion
            raise AttributeError(name)
        return getattr(self.row, name)

    def as_json(self) -> dict[str, Any]:
        e = self.row
        return {"seq": e.seq, "event": e.event, "from": e.from_state, "to": e.to_state,
                "actor": e.actor, "actor_name": e.actor_name, "occurred_at": e.occurred_at,
                "recorded_at": e.recorded_at, "fields": e.fields, "hash": e.hash}

    def cells(self) -> list[Any]:
        e = self.row
        return [e.seq, e.event, e.from_state, e.to_state, f"{e.actor} {e.actor_name}",
                e.occurred_at, e.recorded_at]


@dataclass(frozen=True)
class CaseRead:
    """One reading of a restricted case (CLA-3): who, what, through which door, when."""

    staff: str
    name: str
    what: str
    door: str
    at: str

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> CaseRead:
        return cls(row["staff_id"], row["staff_name"], row["what"], row["door"],
                   row["viewed_at"])

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def cells(self) -> list[Any]:
        return [f"{self.staff} {self.name}", self.what, self.door, self.at]


@dataclass(frozen=True)
class CaseSummary:
    """A case in a list of cases."""

    case: str
    workflow: str
    state: str
    student: str
    holder: str | None
    opened_at: str

    def as_json(self) -> dict[str, Any]:
        # Not dataclasses.asdict: it deep-copies each value, 55 µs a case of 100,000.
        return {"case": self.case, "workflow": self.workflow, "state": self.state,
                "student": self.student, "holder": self.holder, "opened_at": self.opened_at}

    def cells(self) -> list[Any]:
        return [self.case, self.workflow, self.state, self.student, self.holder,
                self.opened_at]


@dataclass(frozen=True)
class DocumentEntry:
    """A document in the documents listing."""

    case: str | None
    student: str
    template: str
    recipient: str
    created_at: str
    path: str
    sha256: str

    @classmethod
    def of(cls, row: dict[str, Any]) -> DocumentEntry:
        return cls(row["case_id"], row["student_id"], row["template"], row["recipient_name"],
                   row["created_at"], row["path"], row["sha256"])

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def cells(self) -> list[Any]:
        return [self.case, self.student, self.template, self.recipient, self.created_at,
                self.path]


@dataclass(frozen=True)
class CaseView:
    """Everything ``show`` prints about a case."""

    case: str
    workflow: str
    title: str
    state: str
    state_title: str
    student: str
    contact: str | None
    holder: str | None
    version: int
    opened_at: str
    opened_by: str
    closed_at: str | None
    child_protection: bool
    fields: dict[str, Any]
    bans: list[dict[str, str]]
    deadlines: list[dict[str, Any]]
    documents: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class StudentRecord:
    """A student, their contacts, and where each workflow stands for them."""

    student: dict[str, Any]
    contacts: list[dict[str, Any]]
    status: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Row:
    """A row of plain values (the staff, the workflows, days of the calendar): its JSON is
    ``data``, its cells a table's."""

    data: dict[str, Any]
    shown: tuple[Any, ...]

    def as_json(self) -> dict[str, Any]:
        return self.data

    def cells(self) -> list[Any]:
        return list(self.shown)


@dataclass(frozen=True)
class Message:
    """What a command did, in a line or a few (``import``, ``doctor``, ``check``)."""

    lines: tuple[str, ...]
    data: Any = None

    def as_json(self) -> Any:
        return self.data if self.data is not None else {"lines": list(self.lines)}


@dataclass(frozen=True)
class Followed:
    """A view and what to do next: the JSON is the view's alone."""

    view: Any
    then: Message

    def as_json(self) -> Any:
        return self.view.as_json()


OVERDUE = "overdue"
DUE_TODAY = "due_today"
UPCOMING = "upcoming"
ORDER = (OVERDUE, DUE_TODAY, UPCOMING)


@dataclass(frozen=True)
class Due:
    """One deadline on the due list."""

    case: str
    deadline: str  # the deadline's name, e.g. acknowledge_by
    due: str  # ISO date, or date and time for a deadline with a time
    status: str  # overdue | due_today | upcoming
    holder: str | None  # a staff id or "role:NAME"
    holder_name: str
    title: str  # what is due, in words
    clause: str
    student: str
    student_name: str
    workflow: str
    state: str

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class DueList(_Items[Due]):
    """The due list of one member of staff, in the order to deal with it."""

    actor: str
    items: tuple[Due, ...]

    def by_status(self) -> list[tuple[str, list[Due]]]:
        """(heading, items) of each status that has any, overdue first."""
        return [(TITLES[s], rows) for s in ORDER if (rows := [i for i in self.items
                                                               if i.status == s])]


TITLES = {OVERDUE: "Overdue", DUE_TODAY: "Due today", UPCOMING: "Rest of the week"}


@dataclass(frozen=True)
class DuePage:
    """One page of a due list (the web page's Today): how many deadlines of each status
    there are in all, the letters that did not go, and this page's deadlines in order."""

    actor: str
    counts: Mapping[str, int]  # deadlines by status, on every page
    unsent: tuple[Due, ...]  # letters not sent: few, each overdue
    items: tuple[Due, ...]  # this page's deadlines
    start: int  # how many deadlines come before this page

    @property
    def total(self) -> int:
        """Everything due: the header's count."""
        return sum(self.counts.values()) + len(self.unsent)

    @property
    def more(self) -> int:
        """How many deadlines come after this page."""
        return sum(self.counts.values()) - self.start - len(self.items)

    def by_status(self) -> list[tuple[str, int, list[Due]]]:
        """(heading, how many in all, this page's items) of each status on this page."""
        return [(TITLES[s], self.counts.get(s, 0), rows) for s in ORDER
                if (rows := [i for i in self.items if i.status == s])]

    def as_json(self) -> dict[str, Any]:
        return {"actor": self.actor, "counts": dict(self.counts), "start": self.start,
                "more": self.more, "unsent": [u.as_json() for u in self.unsent],
                "items": [i.as_json() for i in self.items]}


@dataclass(frozen=True)
class Sections:
    """A view in parts (tables and lines, each a view); its JSON is ``data``."""

    data: Any
    sections: tuple[Any, ...]

    def as_json(self) -> Any:
        return self.data

    def parts(self) -> tuple[Any, ...]:
        return self.sections


@dataclass(frozen=True)
class LetterStep:
    """A letter's way out, as a line of its case's chronology: queued, emailed, failed,
    posted (from the outbox's history)."""

    at: str
    status: str
    detail: str
    template: str
    recipient: str
    channel: str

    def as_json(self) -> dict[str, Any]:
        return {"delivery": self.status, "at": self.at, "detail": self.detail,
                "template": self.template, "recipient": self.recipient,
                "channel": self.channel}

    def cells(self) -> list[Any]:
        return ["", f"letter {self.status}", "", "", f"{self.template} for {self.recipient}: "
                f"{self.detail}", self.at, self.at]


@dataclass(frozen=True)
class Impersonation:
    """An administrator acting as another member of staff on this case (who, as whom, why,
    the command, when), as a line of its history."""

    at: str
    by: str
    by_name: str
    as_staff: str
    as_name: str
    reason: str
    command: str

    @classmethod
    def of(cls, row: dict[str, Any]) -> Impersonation:
        return cls(row["at"], row["by_staff"], row["by_name"], row["as_staff"],
                   row["as_name"], row["reason"], row["command"])

    def as_json(self) -> dict[str, Any]:
        return {"impersonation": self.command, "at": self.at, "by": self.by,
                "by_name": self.by_name, "as": self.as_staff, "as_name": self.as_name,
                "reason": self.reason}

    def cells(self) -> list[Any]:
        return ["", "acting as", "", "", f"{self.by} {self.by_name} as {self.as_staff} "
                f"{self.as_name} ({self.command}): {self.reason}", self.at, self.at]


@dataclass(frozen=True)
class OutboxEntry:
    """One letter on its way (``liaison outbox``)."""

    id: int
    case: str | None
    template: str
    recipient: str
    channel: str
    status: str
    attempts: int
    queued_at: str
    sent_at: str | None
    error: str | None

    def as_json(self) -> dict[str, Any]:
        return dict(vars(self))

    def cells(self) -> list[Any]:
        return [self.id, self.case or "", self.template, self.recipient, self.channel,
                self.status, self.attempts, self.sent_at or self.queued_at, self.error or ""]
