"""Workflow definitions: YAML -> frozen dataclasses, validated in full before use.

A workflow file is the school's policy written as a state machine. Loading it collects
*every* problem (unknown keys, unknown states, unreachable states, unknown roles, missing
letters, fields a letter reads that were never gathered ...) and reports each as
``FILE:LINE: path.to.key: what is wrong``, so a policy author fixes them in one pass.
This module holds the schema and reads the file; the checks that need the whole workflow
(its graph, roles, fields and letters) are ``engine.core.validation``; ``load`` runs both.

The schema (see docs/workflows.md for the long form)::

    workflow: conduct_escalation        # the file's stem
    title: Parent conduct escalation
    policy: Home/School Partnerships Policy (2023)
    review_by: 2027-07-31
    prefix: CON                         # case ids: CON-2026-0001
    clauses: [HSP-2, HSP-3]
    visible_to: {roles: [headteacher], opener: true}   # optional: a restricted workflow
    one_per_student: true               # optional: one open case per student (a log)
    open:    {roles: [...], to: STATE, fields: {...}, documents: [...], deadlines: [...]}
    states:  {NAME: {title, terminal, holder, flags, deadlines}}
    events:  {NAME: {title, from, to, roles, fields, requires, documents, meets, clauses}}
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import replace as changed  # (not Path.replace: no file is touched)
from pathlib import Path
from types import MappingProxyType
from typing import Any

from engine.core import derive, rules
from engine.core.reader import Reader
from engine.core.sending import parse_send
from engine.core.suggest import did_you_mean
from engine.core.yamlfile import Map, Seq, Text, line_of, loads
from engine.errors import DefinitionError

FIELD_TYPES = ("text", "date", "datetime", "staff", "contact", "list", "choice", "attendees",
               "staff_list")
RECIPIENTS = ("contact", "contacts", "each_contact", "file", "line_manager")  # + "role:NAME"
KINDS = ("social_worker", "virtual_school_head")  # "kind:NAME": contacts of that kind (EXC-3)
OCCURRED = ("occurred_on", "occurred_at")  # the event's date / time, for a follow-on case
FLAGS = ("site_ban", "open_visit")
ANY = "any"
# What a retention period counts from (``retain: {years: 6, from: resolved}``): when the
# case was closed, when it was opened, or the student's date of birth (a pupil's file).
RETAIN_FROM = ("resolved", "opened", "student.date_of_birth")

@dataclass(frozen=True)
class Field:
    """A value staff give when opening a case or firing an event."""

    name: str
    type: str
    title: str
    optional: bool = False
    choices: tuple[str, ...] = ()
    max_length: int = 2000


@dataclass(frozen=True)
class When:
    """A condition on the case's fields: every named field holds one of the values."""

    equals: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def holds(self, values: Mapping[str, Any]) -> bool:
        return all(str(values.get(name)) in allowed for name, allowed in self.equals)

    def __bool__(self) -> bool:
        return bool(self.equals)


@dataclass(frozen=True)
class Source:
    state: str
    when: When = When()


@dataclass(frozen=True)
class Target:
    state: str | None  # None: the case stays where it is (an internal event)
    when: When = When()
    source: str | None = None  # only from this state (one step up a chain, PWP-5.1)


@dataclass(frozen=True)
class MustSay:
    """One thing a document must say (``must_say:``): a field it must print (``field``),
    or a fixed phrase or clause ID it must contain (``says``). ``liaison check`` renders
    the template with sample values and fails, at this line, when it is missing."""

    field: str = ""
    says: str = ""
    line: int = 0
    when: When = When()  # only in letters whose fields hold these (a permanent exclusion)

    @property
    def label(self) -> str:
        return f"field '{self.field}'" if self.field else f"'{self.says}'"


@dataclass(frozen=True)
class DocumentSpec:
    """A document an event makes: a template and who receives it."""

    template: str
    to: str  # contact | contacts | each_contact | file | role:NAME | kind:KIND
    title: str = ""
    when: When = When()
    line: int = 0
    entries: Entries | None = None  # earlier events the document lists (a contact sheet)
    must_say: tuple[MustSay, ...] = ()
    send: tuple[str, ...] = ()  # how it goes (email, post, print); empty: the school's default
    # a role whose holder for the student's own year or house signs (head_of_year),
    # instead of the member of staff who acted
    signed_by: str = ""


@dataclass(frozen=True)
class Computed:
    """A value an event works out when it fires (``computes:``): a named calculation of
    ``engine.core.derive`` and its arguments (the first five school days of a suspension)."""

    name: str
    calc: str
    args: tuple[tuple[str, Any], ...]
    line: int = 0

    @property
    def field(self) -> Field:
        spec = derive.CALCS.get(self.calc)
        return Field(self.name, spec.type if spec else "text", self.name.replace("_", " "),
                     optional=True, choices=spec.choices if spec else ())


@dataclass(frozen=True)
class Entries:
    """The case's earlier events of these names, between the dates in two fields: what a
    School–Home Contact Sheet lists (NSW-2), given to the template as ``entries``."""

    events: tuple[str, ...]
    start: str  # a date field: the first day listed
    end: str  # a date field: the last day listed


@dataclass(frozen=True)
class DeadlineSpec:
    """A deadline set when a case enters a state (or is opened)."""

    name: str
    title: str
    clause: str = ""
    school_days: int | None = None
    months: int | None = None  # calendar months, as the ICO counts a SAR's (SAR-2)
    minutes: int | None = None
    at: str | None = None  # due at the moment held by this date/datetime field
    start: str | None = None  # the field counted from; None = when the event happened
    by_time: str | None = None  # due at this time (HH:MM) of the day counted from (NSW-3)
    when: When = When()
    line: int = 0
    # N school days from the deemed receipt of the event's letter when it is posted through
    # the outbox (EXC-6): the deadline moves later if the letter leaves after the day the
    # event counted from, never earlier than the letter said.
    from_receipt: int | None = None


@dataclass(frozen=True)
class FollowOn:
    """A case of another workflow that an event opens for the same student, its open
    fields taken from this case's (PWP-5.4a: an abusive call opens a conduct case)."""

    workflow: str
    fields: tuple[tuple[str, str], ...]  # (field of the new case, field here or OCCURRED)
    when: When = When()
    line: int = 0


@dataclass(frozen=True)
class Guard:
    """A named rule from engine.core.rules with its argument (not_before: representations_by)."""

    name: str
    arg: Any
    line: int = 0


@dataclass(frozen=True)
class Event:
    name: str
    title: str
    sources: tuple[Source, ...]
    targets: tuple[Target, ...]
    roles: frozenset[str]
    fields: tuple[Field, ...] = ()
    guards: tuple[Guard, ...] = ()
    documents: tuple[DocumentSpec, ...] = ()
    deadlines: tuple[DeadlineSpec, ...] = ()
    meets: tuple[str, ...] = ()
    cancels: tuple[str, ...] = ()  # deadlines this event makes moot (a meeting rearranged)
    clauses: tuple[str, ...] = ()
    line: int = 0
    assigns: str | None = None  # a staff field naming who holds the case afterwards
    opens: FollowOn | None = None
    key_lines: tuple[tuple[str, int], ...] = ()  # where each key was written
    computes: tuple[Computed, ...] = ()  # values worked out when it fires (derive)

    @property
    def all_fields(self) -> tuple[Field, ...]:
        """The fields given and the values computed: what the event leaves on the case."""
        return self.fields + tuple(c.field for c in self.computes)

    @property
    def source_states(self) -> tuple[str, ...]:
        return tuple(s.state for s in self.sources)

    def line_of(self, key: str) -> int:
        """The line of one of the event's keys (``from``, ``roles`` ...), else the event's."""
        return dict(self.key_lines).get(key, self.line)


@dataclass(frozen=True)
class State:
    name: str
    title: str
    terminal: bool = False
    holder: str | None = None  # the role that holds a case in this state
    flags: frozenset[str] = frozenset()
    deadlines: tuple[DeadlineSpec, ...] = ()
    line: int = 0


@dataclass(frozen=True)
class Retention:
    """How long a workflow's cases are kept (PWP-5.6: records disposed of by the school's
    schedule): ``years`` after ``start``, one of RETAIN_FROM."""

    years: int
    start: str
    line: int = 0


@dataclass(frozen=True)
class Indicator:
    """What a policy says shows it is working, counted from this workflow's events: those
    named, where their own fields hold the given values (a contact logged as a complaint
    about a meeting). ``record`` names case fields to list for each one counted, as BEM-7
    asks for "a record kept of all lone visits"."""

    name: str
    title: str
    clause: str
    events: tuple[str, ...]
    when: When = When()
    record: tuple[str, ...] = ()
    line: int = 0


@dataclass(frozen=True)
class Workflow:
    name: str
    title: str
    policy: str
    review_by: dt.date | None
    prefix: str
    clauses: tuple[str, ...]
    states: dict[str, State]
    events: dict[str, Event]
    opening: Event  # the "open" event: from nowhere to the first state
    visible_roles: frozenset[str] = frozenset()  # empty: every member of staff
    visible_to_opener: bool = False
    one_per_student: bool = False  # a student has at most one open case of it (a log)
    path: Path = Path()
    key_lines: tuple[tuple[str, int], ...] = ()  # where each top-level key was written
    indicators: tuple[Indicator, ...] = ()  # what `liaison report` counts
    hidden_from: str | None = None  # a staff field: that person may not see the case
    retain: Retention | None = None  # None: kept until the school declares a period
    # A slip in a chain (``chains:``, ``to: {up:}``) leaves the states it links unknown, so
    # which states are reached is not judged: the slip is said once, not as a cascade.
    chain_slips: int = 0

    def line_of(self, key: str) -> int:
        """The line of a top-level key (``prefix``, ``states`` ...), else 1."""
        return dict(self.key_lines).get(key, 1)

    @property
    def restricted(self) -> bool:
        return bool(self.visible_roles)

    def field_types(self) -> dict[str, Field]:
        """Every field of the workflow, by name (open fields and every event's)."""
        out: dict[str, Field] = {}
        for event in (self.opening, *self.events.values()):
            for f in event.all_fields:
                out.setdefault(f.name, f)
        return out

    def flagged(self, flag: str) -> tuple[str, ...]:
        return tuple(s.name for s in self.states.values() if flag in s.flags)


# --------------------------------------------------------------------------- parsing


def _when(r: Reader, value: Any, where: str) -> When:
    pairs = []
    for key, allowed, _line in r.items(value, where):
        pairs.append((key, tuple(r.texts(allowed, f"{where}.{key}"))))
    return When(tuple(pairs))


def _field(r: Reader, name: str, value: Any, where: str) -> Field:
    if isinstance(value, str):  # short form: "meeting_at: datetime"
        value_map = Map({"type": value})
        value_map.line = line_of(value)
        value_map.key_lines = {"type": line_of(value)}
        value = value_map
    spec = r.mapping(value, where, ("type", "title", "optional", "choices", "max_length"),
                     ("type",))
    kind = r.text(spec.get("type"), f"{where}.type", "text")
    if kind not in FIELD_TYPES:
        r.problem(spec.get("type"), f"{where}.type",
                  f"unknown type '{kind}'{did_you_mean(kind, FIELD_TYPES)} (expected one of: "
                  f"{', '.join(FIELD_TYPES)})")
    choices = tuple(r.texts(spec.get("choices"), f"{where}.choices"))
    if (kind == "choice") != bool(choices):
        r.problem(spec, where, "a choice field needs choices, and only a choice field has them")
    return Field(
        name=r.name(_key(name, line_of(spec)), where),
        type=kind,
        title=r.text(spec.get("title"), f"{where}.title", name.replace("_", " ")),
        optional=r.flag(spec.get("optional"), f"{where}.optional"),
        choices=choices,
        max_length=r.number(spec.get("max_length"), f"{where}.max_length") or 2000,
    )


def _key(value: str, line: int) -> Text:
    """A mapping key as a Text, so it can be checked and reported like a value."""
    out = Text(value)
    out.line = line
    return out


def _documents(r: Reader, value: Any, where: str) -> tuple[DocumentSpec, ...]:
    out = []
    for i, item in enumerate(value or []):
        here = f"{where}[{i}]"
        spec = r.mapping(item, here, ("template", "to", "title", "when", "entries",
                                      "must_say", "send", "signed_by"),
                          ("template", "to"))
        # `to: [contacts, file]`: the same letter to each, said once (one spec each)
        to = spec.get("to")
        recipients = r.texts(to, f"{here}.to") if isinstance(to, Seq) else [
            r.text(to, f"{here}.to")]
        doc = DocumentSpec(
            template=r.text(spec.get("template"), f"{here}.template"),
            to="",
            title=r.text(spec.get("title"), f"{here}.title"),
            when=_when(r, spec.get("when"), f"{here}.when"),
            line=line_of(spec),
            entries=_entries(r, spec.get("entries"), f"{here}.entries"),
            must_say=_must_say(r, spec.get("must_say"), f"{here}.must_say"),
            send=parse_send(r, spec.get("send"), f"{here}.send"),
            signed_by=r.name(spec.get("signed_by"), f"{here}.signed_by"),
        )
        out += [changed(doc, to=recipient) for recipient in recipients]
    if value is not None and not isinstance(value, Seq):
        r.problem(value, where, "expected a list")
    return tuple(out)


def _must_say(r: Reader, value: Any, where: str) -> tuple[MustSay, ...]:
    """``- field: reasons`` (printed), ``- says: "a phrase"`` or ``- EXC-2`` (contained),
    each with an optional ``when:`` (said only where the case's fields hold these)."""
    out = []
    for i, item in enumerate(value or []):
        here = f"{where}[{i}]"
        if isinstance(item, str):
            out.append(MustSay(says=str(item), line=line_of(item)))
            continue
        spec = r.mapping(item, here, ("field", "says", "when"))
        if ("field" in spec) == ("says" in spec):
            r.problem(spec, here, "give one of field or says")
        out.append(MustSay(field=r.text(spec.get("field"), f"{here}.field"),
                           says=r.text(spec.get("says"), f"{here}.says"), line=line_of(spec),
                           when=_when(r, spec.get("when"), f"{here}.when")))
    if value is not None and not isinstance(value, Seq):
        r.problem(value, where, "expected a list")
    return tuple(out)


def _computes(r: Reader, value: Any, where: str) -> tuple[Computed, ...]:
    """``NAME: {CALC: {ARG: VALUE}}``: each argument a field name, a number or states."""
    out = []
    for name, item, line in r.items(value, where):
        here = f"{where}.{name}"
        pairs = r.items(item, here)
        if len(pairs) != 1:
            r.problem(item, here, f"give one calculation (one of: {', '.join(derive.CALCS)})",
                      line)
            continue
        calc, raw, calc_line = pairs[0]
        spec = derive.CALCS.get(calc)
        if spec is None:
            r.problem(item, f"{here}.{calc}", "unknown calculation (expected one of: "
                      f"{', '.join(derive.CALCS)})", calc_line)
            continue
        args = r.mapping(raw, f"{here}.{calc}", tuple(spec.args), spec.required)
        parsed: list[tuple[str, Any]] = []
        for arg, kind in spec.args.items():
            if arg not in args:
                continue
            at = f"{here}.{calc}.{arg}"
            if kind == "number":
                parsed.append((arg, r.number(args[arg], at)))
            elif kind == "states":
                parsed.append((arg, tuple(r.texts(args[arg], at))))
            else:
                parsed.append((arg, r.text(args[arg], at)))
        out.append(Computed(r.name(_key(name, line), here), calc, tuple(parsed), line))
    return tuple(out)


def _entries(r: Reader, value: Any, where: str) -> Entries | None:
    if value is None:
        return None
    spec = r.mapping(value, where, ("events", "from", "to"), ("events", "from", "to"))
    return Entries(events=tuple(r.texts(spec.get("events"), f"{where}.events")),
                   start=r.text(spec.get("from"), f"{where}.from"),
                   end=r.text(spec.get("to"), f"{where}.to"))


def _indicators(r: Reader, value: Any) -> tuple[Indicator, ...]:
    out = []
    for name, item, _line in r.items(value, "indicators"):
        where = f"indicators.{name}"
        spec = r.mapping(item, where, ("title", "clause", "events", "when", "record"),
                         ("title", "events"))
        out.append(Indicator(
            name=r.name(name, where), title=r.text(spec.get("title"), f"{where}.title"),
            clause=r.text(spec.get("clause"), f"{where}.clause"),
            events=tuple(r.texts(spec.get("events"), f"{where}.events")),
            when=_when(r, spec.get("when"), f"{where}.when"),
            record=tuple(r.texts(spec.get("record"), f"{where}.record")),
            line=line_of(spec)))
    return tuple(out)


DEADLINE_KEYS = ("name", "title", "clause", "school_days", "months", "minutes", "at", "by_time",
                 "from", "when", "from_receipt")


def _deadline_items(r: Reader, value: Any, where: str) -> list[Any]:
    """A list of deadlines, or ``{from: FIELD, clause: ..., each: [...]}``: what is said
    once above ``each`` holds for every deadline of it that does not say otherwise."""
    if not isinstance(value, Map):
        return list(value or [])
    spec = r.mapping(value, where, (*DEADLINE_KEYS[1:], "each"), ("each",))
    out = []
    for item in spec.get("each") or []:
        if isinstance(item, Map):
            merged = Map({k: v for k, v in spec.items() if k != "each"})
            merged.update(item)
            merged.line = item.line
            merged.key_lines = {**{k: item.line for k in spec if k != "each"},
                                **item.key_lines}
            item = merged
        out.append(item)
    return out


def _deadlines(r: Reader, value: Any, where: str) -> tuple[DeadlineSpec, ...]:
    out = []
    keys = DEADLINE_KEYS
    for i, item in enumerate(_deadline_items(r, value, where)):
        here = f"{where}[{i}]"
        spec = r.mapping(item, here, keys, ("name",))
        counts = [k for k in ("school_days", "months", "minutes", "at", "by_time") if k in spec]
        if len(counts) != 1 and set(spec) <= set(keys):  # else the unknown key is the slip
            r.problem(spec, here, "give exactly one of school_days, months, minutes, at or "
                                  "by_time")
        name = r.name(spec.get("name"), f"{here}.name")
        out.append(DeadlineSpec(
            name=name,
            title=r.text(spec.get("title"), f"{here}.title", name.replace("_", " ")),
            clause=r.text(spec.get("clause"), f"{here}.clause"),
            school_days=r.number(spec.get("school_days"), f"{here}.school_days"),
            months=r.number(spec.get("months"), f"{here}.months"),
            minutes=r.number(spec.get("minutes"), f"{here}.minutes"),
            at=r.text(spec.get("at"), f"{here}.at") or None,
            start=r.text(spec.get("from"), f"{here}.from") or None,
            when=_when(r, spec.get("when"), f"{here}.when"),
            by_time=_time_of_day(r, spec.get("by_time"), f"{here}.by_time"),
            line=line_of(spec),
            from_receipt=r.number(spec.get("from_receipt"),
                                              f"{here}.from_receipt"),
        ))
    return tuple(out)


def _time_of_day(r: Reader, value: Any, where: str) -> str | None:
    """A time of day such as 10:30 ("by the middle of the morning")."""
    text = r.text(value, where)
    if not text:
        return None
    try:
        return dt.time.fromisoformat(text).isoformat(timespec="minutes")
    except ValueError:
        r.problem(value, where, f"'{text}' is not a time of day (HH:MM)")
        return None


def _sources(r: Reader, value: Any, where: str) -> tuple[Source, ...]:
    if isinstance(value, str):
        return (Source(str(value)),)
    out = []
    for i, item in enumerate(value or []):
        if isinstance(item, Map):
            spec = r.mapping(item, f"{where}[{i}]", ("state", "when"), ("state",))
            out.append(Source(r.text(spec.get("state"), f"{where}[{i}].state"),
                              _when(r, spec.get("when"), f"{where}[{i}].when")))
        else:
            out.append(Source(r.text(item, f"{where}[{i}]")))
    return tuple(out)


NO_CHAINS: Mapping[str, tuple[str, ...]] = MappingProxyType({})


def _targets(r: Reader, value: Any, where: str,
             chains: Mapping[str, tuple[str, ...]] = NO_CHAINS) -> tuple[Target, ...]:
    if value is None:
        return (Target(None),)
    if isinstance(value, str):
        return (Target(str(value)),)
    if isinstance(value, Map):  # to: {up: [academic, pastoral]}: one step up its chain
        spec = r.mapping(value, where, ("up",), ("up",))
        return tuple(Target(then, source=now)
                     for name in _chain_names(r, spec.get("up"), f"{where}.up", chains)
                     for now, then in zip(chains[name], chains[name][1:], strict=False))
    out = []
    for i, item in enumerate(value if isinstance(value, Seq) else []):
        spec = r.mapping(item, f"{where}[{i}]", ("state", "when", "from"), ("state",))
        out.append(Target(r.text(spec.get("state"), f"{where}[{i}].state"),
                          _when(r, spec.get("when"), f"{where}[{i}].when"),
                          r.text(spec.get("from"), f"{where}[{i}].from") or None))
    return tuple(out) or (Target(None),)


def _chain_names(r: Reader, value: Any, where: str,
                 chains: Mapping[str, tuple[str, ...]]) -> list[str]:
    """The chains named (``up: [academic, pastoral]``), each one declared in ``chains:``."""
    names = r.texts(value, where)
    for name in names:
        if name not in chains:
            r.chain_slips += 1
            r.problem(value, where, f"unknown chain '{name}'{did_you_mean(name, chains)} "
                      f"(the workflow's chains: {', '.join(chains) or 'none'})")
    return [n for n in names if n in chains]


def _chains(r: Reader, value: Any, states: Mapping[str, State]) -> dict[str, tuple[str, ...]]:
    """``chains: {NAME: [STATE, ...]}``: a chain of responsibility, lowest step first
    (PWP-5.1: Subject Teacher -> Head of Department -> ... -> Principal). Each step is a
    state with a ``holder:``, whose role is that step's."""
    out: dict[str, tuple[str, ...]] = {}
    before = len(r.problems)
    for name, item, line in r.items(value, "chains"):
        steps = tuple(r.texts(item, f"chains.{name}"))
        if name in states:
            r.problem(item, f"chains.{name}", f"'{name}' is a state: give the chain its own "
                      "name", line)
        for step in steps:
            if step not in states:
                r.problem(item, f"chains.{name}", f"unknown state '{step}'"
                          f"{did_you_mean(step, states)}", line)
            elif not states[step].holder:
                r.problem(item, f"chains.{name}", f"state '{step}' has no holder: a step of "
                          "a chain is held by a role", line)
        if len(steps) < 2:
            r.problem(item, f"chains.{name}", "a chain has two steps or more", line)
        out[name] = tuple(s for s in steps if s in states and states[s].holder)
    r.chain_slips += len(r.problems) - before
    return out


def _with_chains(names: list[str], chains: Mapping[str, tuple[str, ...]],
                 steps: Any) -> list[str]:
    """``names`` with each chain's name replaced by its steps (``steps(state)`` of each:
    the state itself, or its holder's role), in order, each once."""
    out: list[str] = []
    for name in names:
        for item in ([steps(s) for s in chains[name]] if name in chains else [name]):
            if item is not None and item not in out:
                out.append(item)
    return out


def _follow_on(r: Reader, value: Any, where: str) -> FollowOn | None:
    if value is None:
        return None
    spec = r.mapping(value, where, ("workflow", "when", "fields"), ("workflow", "fields"))
    pairs = tuple((k, r.text(v, f"{where}.fields.{k}"))
                  for k, v, _ in r.items(spec.get("fields"), f"{where}.fields"))
    return FollowOn(workflow=r.name(spec.get("workflow"), f"{where}.workflow"), fields=pairs,
                    when=_when(r, spec.get("when"), f"{where}.when"), line=line_of(spec))


def _guards(r: Reader, value: Any, where: str,
            chains: Mapping[str, tuple[str, ...]] = NO_CHAINS,
            states: Mapping[str, State] | None = None) -> tuple[Guard, ...]:
    out = []
    for i, item in enumerate(value or []):
        for name, arg, line in r.items(item, f"{where}[{i}]"):
            if name == "at_step_or_above" and isinstance(arg, list):
                # a chain named stands for its steps' roles, lowest first
                arg = [[str((states or {})[s].holder) for s in chains[c]]
                       if isinstance(c, str) and c in chains else c for c in arg]
            if name not in rules.GUARDS:
                r.problem(item, f"{where}[{i}].{name}",
                          f"unknown rule{did_you_mean(name, rules.GUARDS)} (expected one of: "
                          f"{', '.join(sorted(rules.GUARDS))})",
                          line)
            out.append(Guard(name, arg, line))
    return tuple(out)


EVENT_KEYS = ("title", "from", "when", "to", "roles", "fields", "requires", "documents",
              "deadlines", "meets", "clauses", "assigns", "opens", "cancels", "computes")


def _event(r: Reader, name: str, value: Any, where: str, opening: bool = False,
           default_roles: tuple[str, ...] = (),
           chains: Mapping[str, tuple[str, ...]] = NO_CHAINS,
           states: Mapping[str, State] | None = None) -> Event:
    keys = ("roles", "to", "fields", "documents", "deadlines", "requires", "clauses", "title",
            "computes")
    required = () if default_roles else ("roles",)
    spec = r.mapping(value, where, keys if opening else EVENT_KEYS,
                     (*required, "to") if opening else required)
    climbs = isinstance(spec.get("to"), Map)  # to: {up: [...]}: from every step but the top
    if not opening and "from" not in spec and not climbs:
        r.problem(spec, where, "missing key 'from'")
    roles = r.texts(spec.get("roles"), f"{where}.roles") if "roles" in spec else default_roles
    states = states or {}
    roles = _with_chains(list(roles), chains, lambda s: states[s].holder)
    when = _when(r, spec.get("when"), f"{where}.when")  # for every state it fires from
    targets = _targets(r, spec.get("to"), f"{where}.to", chains)
    sources = _sources(r, spec.get("from"), f"{where}.from")
    if climbs and "from" not in spec:
        sources = tuple(Source(s) for s in dict.fromkeys(t.source for t in targets if t.source))
    fields = tuple(_field(r, k, v, f"{where}.fields.{k}")
                   for k, v, _ in r.items(spec.get("fields"), f"{where}.fields"))
    return Event(
        name=name,
        title=r.text(spec.get("title"), f"{where}.title", name.replace("_", " ")),
        sources=() if opening else tuple(dict.fromkeys(  # a chain's top may be another's
            Source(step, When(s.when.equals + when.equals)) for s in sources
            for step in (chains.get(s.state) or (s.state,)))),
        targets=targets,
        roles=frozenset(roles),
        fields=fields,
        guards=_guards(r, spec.get("requires"), f"{where}.requires", chains, states),
        documents=_documents(r, spec.get("documents"), f"{where}.documents"),
        deadlines=_deadlines(r, spec.get("deadlines"), f"{where}.deadlines"),
        meets=tuple(r.texts(spec.get("meets"), f"{where}.meets")),
        cancels=tuple(r.texts(spec.get("cancels"), f"{where}.cancels")),
        clauses=tuple(r.texts(spec.get("clauses"), f"{where}.clauses")),
        line=line_of(spec),
        assigns=r.text(spec.get("assigns"), f"{where}.assigns") or None,
        opens=_follow_on(r, spec.get("opens"), f"{where}.opens"),
        key_lines=tuple(getattr(spec, "key_lines", {}).items()),
        computes=_computes(r, spec.get("computes"), f"{where}.computes"),
    )


STATE_KEYS = ("title", "terminal", "holder", "flags", "deadlines")


def _state(r: Reader, name: str, value: Any, where: str) -> State:
    spec = r.mapping(value, where, STATE_KEYS, ("title",))
    flags = frozenset(r.texts(spec.get("flags"), f"{where}.flags"))
    for bad in flags - set(FLAGS):
        r.problem(spec.get("flags"), f"{where}.flags", f"unknown flag '{bad}'")
    return State(
        name=r.name(_key(name, line_of(spec)), where),
        title=r.text(spec.get("title"), f"{where}.title"),
        terminal=r.flag(spec.get("terminal"), f"{where}.terminal"),
        holder=r.text(spec.get("holder"), f"{where}.holder") or None,
        flags=flags,
        deadlines=_deadlines(r, spec.get("deadlines"), f"{where}.deadlines"),
        line=line_of(spec),
    )


def _named(r: Reader, value: Any, where: str, keys: tuple[str, ...], what: str) -> dict[str, Map]:
    """The states or events of a workflow, by name. A key of one written at the level of
    their names (a line indented too little) is said once, as such, and given back to the
    one above it, so the rest is checked as the author meant it."""
    out: dict[str, Map] = {}
    for name, item, line in r.items(value, where):
        if isinstance(item, Map):
            out[name] = item
            continue
        above = next(reversed(out), None)
        if name in keys and above is not None and name not in out[above]:
            last = max(out[above].key_lines, key=out[above].key_lines.__getitem__, default="")
            r.problem(item, f"{where}.{name}", f"line {line} is indented less than the lines "
                      f"around it: '{name}' is a key of {what}, so line it up with "
                      f"'{last}' under '{above}'", line)
            out[above][name] = item
            out[above].key_lines[name] = line
        else:
            r.problem(item, f"{where}.{name}", f"expected {what}'s keys under '{name}' "
                      f"(one of: {', '.join(keys)})", line)
    return out


TOP_KEYS = ("workflow", "title", "policy", "review_by", "prefix", "clauses", "visible_to",
            "one_per_student", "default_roles", "hidden_from", "open", "states", "events",
            "indicators", "retain", "chains")


def parse(text: str, path: Path) -> Workflow:
    """One workflow file's text (named ``path`` in messages); raise DefinitionError with
    every problem found."""
    workflow, problems = parse_partly(text, path)
    if problems:
        raise DefinitionError(problems)
    return workflow


def parse_partly(text: str, path: Path) -> tuple[Workflow, list[str]]:
    """The workflow as far as it could be read (bad values replaced by defaults), and the
    problems found reading it."""
    raw = loads(text, str(path))
    r = Reader(path)
    top = r.mapping(raw, "", TOP_KEYS, ("workflow", "title", "prefix", "open", "states", "events"))
    visible = r.mapping(top.get("visible_to") or Map(), "visible_to", ("roles", "opener"))
    states = {k: _state(r, k, v, f"states.{k}")
              for k, v in _named(r, top.get("states"), "states", STATE_KEYS, "a state").items()}
    default_roles = tuple(r.texts(top.get("default_roles"), "default_roles"))
    chains = _chains(r, top.get("chains"), states)
    events = {k: _event(r, k, v, f"events.{k}", default_roles=default_roles, chains=chains,
                        states=states)
              for k, v in _named(r, top.get("events"), "events", EVENT_KEYS, "an event").items()}
    workflow = Workflow(
        name=r.name(top.get("workflow"), "workflow"),
        title=r.text(top.get("title"), "title"),
        policy=r.text(top.get("policy"), "policy"),
        review_by=r.date(top.get("review_by"), "review_by"),
        prefix=r.text(top.get("prefix"), "prefix"),
        clauses=tuple(r.texts(top.get("clauses"), "clauses")),
        states=states,
        events=events,
        opening=_event(r, "open", top.get("open"), "open", opening=True,
                       default_roles=default_roles),
        visible_roles=frozenset(r.texts(visible.get("roles"), "visible_to.roles")),
        visible_to_opener=r.flag(visible.get("opener"), "visible_to.opener"),
        one_per_student=r.flag(top.get("one_per_student"), "one_per_student"),
        path=path,
        key_lines=tuple(getattr(top, "key_lines", {}).items()),
        indicators=_indicators(r, top.get("indicators")),
        hidden_from=r.text(top.get("hidden_from"), "hidden_from") or None,
        retain=_retain(r, top.get("retain")),
        chain_slips=r.chain_slips,
    )
    return workflow, r.problems


def _retain(r: Reader, value: Any) -> Retention | None:
    """``retain: {years: 6, from: resolved}``: a whole number of years, at least one,
    from one of RETAIN_FROM."""
    if value is None:
        return None
    spec = r.mapping(value, "retain", ("years", "from"), ("years", "from"))
    years = r.number(spec.get("years"), "retain.years")
    if years is not None and not 1 <= years <= 100:
        r.problem(spec.get("years"), "retain.years", f"{years} years: give 1 to 100")
    start = r.text(spec.get("from"), "retain.from")
    if "from" in spec and start not in RETAIN_FROM:
        r.problem(spec.get("from"), "retain.from",
                  f"'{start}' is not a start (expected one of: {', '.join(RETAIN_FROM)})")
    return Retention(years or 0, start, line_of(spec))
