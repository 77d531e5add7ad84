"""Validation: the checks a parsed workflow must pass that its YAML shape alone cannot show.

``load`` parses a workflow file's text (``definitions.parse_partly``), then ``validate``
collects every
problem in one pass, each as ``FILE:LINE: path.to.key: what is wrong``: names and the case
prefix, clause IDs, roles, states that are unknown, unreachable or never terminal, deadlines
and conditions on unknown fields, follow-on cases, recipients, missing letter templates, and
a letter that reads a field not gathered on every path to it (``gathered`` and
``available_fields``: a must-analysis over the state graph). What the letters folder holds,
and what each template reads, the caller tells it (``Letters``): nothing here reads a file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from dataclasses import replace as changed  # (not Path.replace: no file is touched)
from pathlib import Path

from engine.core import rules
from engine.core.definitions import (
    ANY,
    KINDS,
    OCCURRED,
    RECIPIENTS,
    DeadlineSpec,
    DocumentSpec,
    Entries,
    Event,
    Field,
    When,
    Workflow,
    parse_partly,
)
from engine.core.school import DEFAULT_CLAUSES, DEFAULT_GROUPS
from engine.core.suggest import did_you_mean, listed, nearest
from engine.errors import DefinitionError


@dataclass(frozen=True)
class Letters:
    """The letters folder as validation sees it: where it is (for messages), the template
    files it holds, and, when given, what a template reads (``{"fields.reasons", ...}``)."""

    folder: Path
    names: Collection[str]
    fields: Callable[[str], set[str]] | None = None


@dataclass
class _Check:
    workflow: Workflow
    roles: frozenset[str]
    letters: Letters
    clause: re.Pattern[str]  # a clause ID of a policy the school registers
    groups: tuple[str, ...] = ()  # school.yaml's groups (named in place of roles)
    clause_ids: frozenset[str] = frozenset()  # the clauses school.yaml lists, of its policies
    problems: list[str] = field(default_factory=list)

    def clause_problem(self, clause: str) -> str | None:
        """What is wrong with citing ``clause``: a prefix school.yaml does not register, or
        an ID its own list of that policy's clauses lacks (CMP-8 of seven)."""
        if not self.clause.match(clause):
            return f"'{clause}' is not a clause ID of a policy school.yaml registers (clauses:)"
        prefix = clause.split("-")[0]
        listed = sorted(i for i in self.clause_ids if i.split("-")[0] == prefix)
        if listed and clause not in listed:
            return (f"'{clause}' is not one of the clauses school.yaml lists for {prefix}"
                    f"{did_you_mean(clause, listed)} ({', '.join(listed)})")
        return None

    def add(self, line: int, where: str, message: str) -> None:
        self.problems.append(f"{self.workflow.path}:{line or 1}: {where}: {message}")

    def unknown_role(self, role: str) -> str:
        groups = f"; its groups: {listed(self.groups)}" if self.groups else ""
        return (f"unknown role '{role}'{did_you_mean(role, {*self.roles, *self.groups})} "
                f"(school.yaml's roles: {listed(self.roles)}{groups})")

    def unknown_state(self, state: str) -> str:
        w = self.workflow
        return (f"unknown state '{state}'{did_you_mean(state, w.states)} (the states are "
                f"under states:, line {w.line_of('states')})")

    def unknown_field(self, name: str) -> str:
        known = self.workflow.field_types()
        return (f"unknown field '{name}'{did_you_mean(name, known)} (the workflow's fields: "
                f"{listed(known) or 'none'})")


def load(text: str, path: Path, roles: Iterable[str], letters: Letters,
         clauses: Iterable[str] = DEFAULT_CLAUSES,
         groups: Mapping[str, frozenset[str]] | None = None,
         clause_ids: Collection[str] = ()) -> Workflow:
    """Parse and validate one workflow file's text; raise DefinitionError listing every
    problem. ``clause_ids``: the school's own clauses listed in school.yaml; a policy that
    lists its clauses may be cited by those only. A group of school.yaml (``groups:``)
    named where a role goes stands for its roles.

    The graph is checked even when some values were bad (each replaced by a default), so
    an author sees an unknown state and a bad date in one pass, not one per run."""
    workflow, problems = parse_partly(text, path)
    groups = DEFAULT_GROUPS if groups is None else groups
    workflow = with_groups(workflow, groups)
    problems += [p for p in validate(workflow, roles, letters, clauses, groups, clause_ids)
                 if p not in problems]
    if problems:
        raise DefinitionError(problems)
    return workflow


def with_groups(w: Workflow, groups: Mapping[str, frozenset[str]]) -> Workflow:
    """The workflow with each group named where a role goes replaced by its roles."""
    def roles(names: frozenset[str]) -> frozenset[str]:
        return frozenset(r for n in names for r in groups.get(n, {n}))

    events = {n: changed(e, roles=roles(e.roles)) for n, e in w.events.items()}
    return changed(w, events=events, opening=changed(w.opening, roles=roles(w.opening.roles)),
                   visible_roles=roles(w.visible_roles))


def validate(workflow: Workflow, roles: Iterable[str], letters: Letters,
             clauses: Iterable[str] = DEFAULT_CLAUSES,
             groups: Mapping[str, frozenset[str]] | None = None,
             clause_ids: Collection[str] = ()) -> list[str]:
    """Every problem in a parsed workflow that the YAML shape alone cannot show; a clause
    ID must be of a policy whose prefix ``clauses`` registers (school.yaml), and one of
    its ``clause_ids`` where school.yaml lists that policy's clauses."""
    pattern = re.compile(rf"^({'|'.join(map(re.escape, sorted(clauses)))})-[0-9][0-9a-z.]*$")
    check = _Check(workflow, frozenset(roles), letters, pattern, tuple(groups or ()),
                   frozenset(clause_ids))
    _check_names(check)
    _check_states(check)
    _check_events(check)
    _check_reachable(check)
    _check_letters(check)
    _check_indicators(check)
    return check.problems


def _check_indicators(c: _Check) -> None:
    """An indicator counts events that exist, by fields they have, with values a choice
    allows: so a renamed event or choice stops the check instead of zeroing a count."""
    w = c.workflow
    for indicator in w.indicators:
        where = f"indicators.{indicator.name}"
        events = [w.opening if name == "open" else w.events.get(name)
                  for name in indicator.events]
        for name, event in zip(indicator.events, events, strict=True):
            if event is None:
                c.add(indicator.line, f"{where}.events",
                      f"unknown event '{name}'{did_you_mean(name, w.events)}")
        for name, values in indicator.when.equals:
            _check_indicator_field(c, indicator.line, f"{where}.when.{name}",
                                   [e for e in events if e is not None], name, values)
        known = w.field_types()
        for name in indicator.record:
            if name not in known:
                c.add(indicator.line, f"{where}.record", c.unknown_field(name))


def _check_indicator_field(c: _Check, line: int, where: str, events: list[Event],
                           name: str, values: tuple[str, ...]) -> None:
    for event in events:
        declared = next((f for f in event.fields if f.name == name), None)
        if declared is None:
            c.add(line, where, f"event '{event.name}' has no field '{name}'")
            continue
        for value in values:
            if declared.choices and value not in declared.choices:
                c.add(line, where, f"'{value}' is not a choice of '{name}' "
                                   f"({', '.join(declared.choices)})")


def _check_names(c: _Check) -> None:
    w = c.workflow
    if w.path.stem != w.name:
        c.add(w.line_of("workflow"), "workflow",
              f"'{w.name}' must match the file name '{w.path.stem}'")
    if not re.fullmatch(r"[A-Z]{2,5}", w.prefix):
        c.add(w.line_of("prefix"), "prefix", f"'{w.prefix}' must be 2 to 5 capital letters")
    for clause in w.clauses:
        wrong = c.clause_problem(clause)
        if wrong:
            c.add(w.line_of("clauses"), "clauses", wrong)
    if w.hidden_from and (w.hidden_from not in w.field_types()
                          or w.field_types()[w.hidden_from].type not in ("staff", "staff_list")):
        c.add(w.line_of("hidden_from"), "hidden_from", f"'{w.hidden_from}' is not a staff "
              f"field of this workflow{did_you_mean(w.hidden_from, w.field_types())}")
    for role in sorted(w.visible_roles - c.roles):
        c.add(w.line_of("visible_to"), "visible_to.roles", c.unknown_role(role))
    types: dict[str, Field] = {}
    for event in (w.opening, *w.events.values()):
        for f in event.fields:
            first = types.setdefault(f.name, f)
            if (first.type, first.choices) != (f.type, f.choices):
                c.add(event.line, f"{_where(event)}.fields.{f.name}",
                      f"declared as '{f.type}' here but '{first.type}' elsewhere")


def _where(event: Event) -> str:
    return "open" if event.name == "open" else f"events.{event.name}"


def _check_states(c: _Check) -> None:
    w = c.workflow
    if not any(s.terminal for s in w.states.values()):
        c.add(w.line_of("states"), "states", "no state is terminal: a case could never be closed")
    for state in w.states.values():
        if state.holder and state.holder not in c.roles:
            c.add(state.line, f"states.{state.name}.holder", c.unknown_role(state.holder))
        _check_deadlines(c, state.deadlines, f"states.{state.name}", state.line)


def _check_events(c: _Check) -> None:
    w = c.workflow
    deadline_names = {d.name for d in _all_deadlines(w)}
    for event in (w.opening, *w.events.values()):
        where = _where(event)
        for role in sorted(event.roles - c.roles):
            c.add(event.line_of("roles"), f"{where}.roles", c.unknown_role(role))
        if not event.roles:
            c.add(event.line_of("roles"), f"{where}.roles", "no role may fire this event")
        for source in event.sources:
            if source.state != ANY and source.state not in w.states:
                c.add(event.line_of("from"), f"{where}.from", c.unknown_state(source.state))
        for target in event.targets:
            if target.state is not None and target.state not in w.states:
                c.add(event.line_of("to"), f"{where}.to", c.unknown_state(target.state))
            if target.source and target.source not in _expand(w, event):
                c.add(event.line_of("to"), f"{where}.to", f"'{target.source}' is not one of "
                      "the states this event fires from")
        _check_assigns(c, event)
        _check_follow_on(c, event)
        for name in (*event.meets, *event.cancels):
            if name not in deadline_names:
                c.add(event.line_of("meets"), f"{where}.meets", f"unknown deadline '{name}'"
                      f"{did_you_mean(name, deadline_names)}")
        for guard in event.guards:
            for problem in rules.check_guard(guard.name, guard.arg, w.field_types()):
                c.add(guard.line, f"{where}.requires.{guard.name}", problem)
        _check_deadlines(c, event.deadlines, where, event.line)
        _check_when_fields(c, event)
        for clause in event.clauses:
            wrong = c.clause_problem(clause)
            if wrong:
                c.add(event.line_of("clauses"), f"{_where(event)}.clauses", wrong)
        _check_computes(c, event)


def _check_computes(c: _Check, event: Event) -> None:
    """A calculation reads fields the workflow has (or the day the event happened)."""
    from engine.core.derive import CALCS

    known = c.workflow.field_types()
    for comp in event.computes:
        spec = CALCS[comp.calc]
        for arg, value in comp.args:
            if spec.args[arg] == "field" and value not in known and value != "occurred_on":
                c.add(comp.line, f"{_where(event)}.computes.{comp.name}.{comp.calc}.{arg}",
                      f"'{value}' is neither a field of this workflow nor occurred_on")
            if spec.args[arg] == "states":
                for state in value:
                    if state not in c.workflow.states:
                        c.add(comp.line, f"{_where(event)}.computes.{comp.name}",
                              c.unknown_state(state))


def _check_assigns(c: _Check, event: Event) -> None:
    if event.assigns and event.assigns not in {f.name for f in event.fields if f.type == "staff"}:
        c.add(event.line, f"{_where(event)}.assigns",
              f"'{event.assigns}' is not a staff field of this event")


def _check_follow_on(c: _Check, event: Event) -> None:
    """The fields a follow-on case is opened with must exist here; that they fit the
    other workflow is checked when the school is loaded (engine.service.check)."""
    if event.opens is None:
        return
    known = c.workflow.field_types()
    for target, source in event.opens.fields:
        if source not in known and source not in OCCURRED:
            c.add(event.opens.line, f"{_where(event)}.opens.fields.{target}",
                  f"'{source}' is neither a field of this workflow nor one of: "
                  f"{', '.join(OCCURRED)}")
    for name, _values in event.opens.when.equals:
        if name not in known:
            c.add(event.opens.line, f"{_where(event)}.opens.when", c.unknown_field(name))


def _check_when_fields(c: _Check, event: Event) -> None:
    whens = [s.when for s in event.sources] + [t.when for t in event.targets]
    whens += [d.when for d in event.documents] + [d.when for d in event.deadlines]
    for when in whens:
        _check_when(c, when, event.line, _where(event), "condition on ")


def _check_when(c: _Check, when: When, line: int, where: str, lead: str = "") -> None:
    """Each field a ``when:`` names is the workflow's, and each value it allows one of a
    choice field's choices (a misspelt value would make the condition never hold)."""
    known = c.workflow.field_types()
    for name, values in when.equals:
        if name not in known:
            c.add(line, where, f"{lead}{c.unknown_field(name)}")
            continue
        choices = known[name].choices
        for value in values:
            if choices and value not in choices:
                c.add(line, f"{where}.when.{name}", f"'{value}' is not a choice of field "
                      f"'{name}'{did_you_mean(value, choices)} (its choices: "
                      f"{', '.join(choices)})")


def _check_deadlines(c: _Check, specs: Iterable[DeadlineSpec], where: str, line: int) -> None:
    known = c.workflow.field_types()
    for spec in specs:
        here = spec.line or line
        for ref in (spec.at, spec.start):
            if ref and ref not in known:
                c.add(here, f"{where}.deadlines.{spec.name}", c.unknown_field(ref))
            elif ref and known[ref].type not in ("date", "datetime"):
                c.add(here, f"{where}.deadlines.{spec.name}", f"field '{ref}' is not a date")
        wrong = c.clause_problem(spec.clause) if spec.clause else None
        if wrong:
            c.add(here, f"{where}.deadlines.{spec.name}.clause", wrong)


def _all_deadlines(w: Workflow) -> list[DeadlineSpec]:
    out = [d for s in w.states.values() for d in s.deadlines]
    return out + [d for e in (w.opening, *w.events.values()) for d in e.deadlines]


def _expand(w: Workflow, event: Event) -> tuple[str, ...]:
    """The states an event may fire from, with ``any`` meaning every open state."""
    if any(s.state == ANY for s in event.sources):
        return tuple(n for n, s in w.states.items() if not s.terminal)
    return event.source_states


def _check_reachable(c: _Check) -> None:
    """Every state is reached, and from every state reached a case can be closed.

    One mistake, one message: an event from a misspelt state is taken to fire from every
    state (its own message names the slip), a state a misspelt destination was meant to be
    is not called unreachable too, and a case stuck because an event has no ``to:`` is said
    once, at that event."""
    w = c.workflow
    if w.chain_slips:  # the steps a broken chain links are unknown: said at the chain
        return
    explained: set[str] = set()
    for event in w.events.values():
        for t in event.targets:
            if t.state and t.state not in w.states:
                explained.add(nearest(t.state, w.states) or "")
    seen = _reached(w)
    stuck = [n for n in sorted(seen & set(w.states))
             if not w.states[n].terminal and not _closes(w, n)]
    misspelt = any(t.state and t.state not in w.states
                   for e in w.events.values() for t in e.targets)
    if stuck and any(s.terminal for s in w.states.values()) and not misspelt:
        explained |= _stuck(c, stuck, seen)
    for name, declared in w.states.items():
        if name not in seen and name not in explained:
            c.add(declared.line, f"states.{name}", "unreachable: no event leads here")


def _wild(w: Workflow, event: Event) -> bool:
    """An event from a state that does not exist (reported where it is written)."""
    return any(s.state != ANY and s.state not in w.states for s in event.sources)


def _reached(w: Workflow) -> set[str]:
    seen = {t.state for t in w.opening.targets if t.state}
    frontier = list(seen)
    while frontier:
        for state in _next_states(w, frontier.pop()):
            if state not in seen:
                seen.add(state)
                frontier.append(state)
    return seen


def _closes(w: Workflow, start: str) -> bool:
    """Can a case in ``start`` ever reach a terminal state?"""
    seen, frontier = {start}, [start]
    while frontier:
        state = frontier.pop()
        if state in w.states and w.states[state].terminal:
            return True
        for following in _next_states(w, state):
            if following not in seen:
                seen.add(following)
                frontier.append(following)
    return False


def _next_states(w: Workflow, state: str) -> Iterator[str]:
    """The states an event fired in ``state`` may lead to."""
    for event in w.events.values():
        if _wild(w, event) or state in _expand(w, event):
            yield from (t.state for t in event.targets if t.state)


def _stuck(c: _Check, stuck: list[str], seen: set[str]) -> set[str]:
    """Say each stuck state once (at an event with no ``to:`` when it has one); the
    terminal states named as the fix are not reported unreachable as well."""
    w = c.workflow
    terminal = [n for n, s in w.states.items() if s.terminal]
    fix = next((n for n in terminal if n not in seen), terminal[0] if terminal else "")
    for name in stuck:
        staying = [e for e in w.events.values()
                   if name in _expand(w, e) and all(t.state is None for t in e.targets)]
        if staying:
            event = staying[0]
            c.add(event.line, f"events.{event.name}", f"no 'to:', so the case stays in "
                  f"'{name}', and no event leads from '{name}' to a terminal state: a case "
                  f"there could never be closed (did you mean 'to: {fix}'?)")
        else:
            c.add(w.states[name].line, f"states.{name}", "a case here could never be closed: "
                  f"no event leads from '{name}' to a terminal state ({', '.join(terminal)})")
    return {fix}


def gathered(w: Workflow) -> dict[str, set[str]]:
    """For each state, the fields certainly gathered on every path to it (a must-analysis)."""
    everything = set(w.field_types())
    out = {name: set(everything) for name in w.states}
    opened = {f.name for f in w.opening.fields if not f.optional}
    opened |= {c.name for c in w.opening.computes}
    for t in w.opening.targets:
        if t.state in out:
            out[t.state] = set(opened)
    changed = True
    while changed:
        changed = False
        for event in w.events.values():
            given = {f.name for f in event.fields if not f.optional}
            given |= {c.name for c in event.computes}
            for source in _expand(w, event):
                for t in event.targets:
                    dest = t.state or source
                    if dest not in out or source not in out:
                        continue
                    new = out[dest] & (out[source] | given)
                    if new != out[dest]:
                        out[dest], changed = new, True
    return out


def available_fields(w: Workflow, event: Event) -> set[str]:
    """The fields a document made by ``event`` may read: gathered, given now, or optional."""
    computed = {c.name for e in (w.opening, *w.events.values()) for c in e.computes}
    optional = {f.name for f in w.field_types().values() if f.optional} - computed
    now = {f.name for f in event.all_fields}
    if event is w.opening:
        return now | optional
    before = gathered(w)
    sources = _expand(w, event)
    common = set.intersection(*(before[s] for s in sources)) if sources else set()
    return common | now | optional


def _check_letters(c: _Check) -> None:
    w = c.workflow
    for event in (w.opening, *w.events.values()):
        for doc in event.documents:
            _check_document(c, event, doc)


def _check_document(c: _Check, event: Event, doc: DocumentSpec) -> None:
    where = f"{_where(event)}.documents.{doc.template}"
    staff_role = doc.to.startswith("role:") and doc.to[5:] in c.roles
    kind = doc.to.startswith("kind:") and doc.to[5:] in KINDS
    if doc.to not in RECIPIENTS and not staff_role and not kind:
        known = (*RECIPIENTS, *(f"role:{r}" for r in c.roles), *(f"kind:{k}" for k in KINDS))
        c.add(doc.line, f"{where}.to", f"unknown recipient '{doc.to}'"
              f"{did_you_mean(doc.to, known)} (one of: {', '.join(RECIPIENTS)}, "
              f"role:ROLE, kind:{'|'.join(KINDS)}; docs/workflows.md)")
    if doc.to in ("contact",) and "contact" not in c.workflow.field_types():
        c.add(doc.line, f"{where}.to", "the workflow gathers no 'contact' field")
    if doc.signed_by and doc.signed_by not in c.roles:
        c.add(doc.line, f"{where}.signed_by", f"unknown role '{doc.signed_by}'"
              f"{did_you_mean(doc.signed_by, c.roles)}")
    if doc.entries:
        _check_entries(c, doc.entries, f"{where}.entries", doc.line)
    known = c.workflow.field_types()
    for item in doc.must_say:
        if item.field and item.field not in known:
            c.add(item.line, f"{where}.must_say", c.unknown_field(item.field))
        _check_when(c, item.when, item.line, f"{where}.must_say")
    if doc.template not in c.letters.names:
        c.add(doc.line, f"{where}.template",
              f"letter template not found: {c.letters.folder / doc.template}"
              f"{did_you_mean(doc.template, c.letters.names)}")
        return
    if c.letters.fields is None:
        return
    available = available_fields(c.workflow, event)
    for ref in sorted(c.letters.fields(doc.template)):
        top, _, rest = ref.partition(".")
        name = rest.partition(".")[0]
        if top == "fields" and name and name not in available:
            c.add(doc.line, f"{where}", f"the letter reads field '{name}', which is not "
                  "gathered on every path to this event"
                  f"{did_you_mean(name, c.workflow.field_types())}")
        staff = {n for n, f in c.workflow.field_types().items() if f.type == "staff"}
        if top == "titles" and name and name not in staff:
            c.add(doc.line, f"{where}", f"the letter reads titles.{name}, but '{name}' is not "
                  f"a staff field of the workflow{did_you_mean(name, staff)}")
        deadlines = {d.name for d in _all_deadlines(c.workflow)}
        if top == "deadlines" and name and name not in deadlines:
            c.add(doc.line, f"{where}", f"the letter reads deadline '{name}', which the "
                  f"workflow does not set{did_you_mean(name, deadlines)}")


def _check_entries(c: _Check, entries: Entries, where: str, line: int) -> None:
    known = c.workflow.field_types()
    for name in entries.events:
        if name not in c.workflow.events:
            c.add(line, f"{where}.events",
                  f"unknown event '{name}'{did_you_mean(name, c.workflow.events)}")
    for ref in (entries.start, entries.end):
        if ref not in known or known[ref].type != "date":
            c.add(line, where, f"'{ref}' is not a date field of this workflow")
