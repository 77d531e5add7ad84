"""The use cases about the school itself, not its cases: check it, list its staff and
workflows, show one workflow, draw it, read its calendar.

Each takes a school directory and returns a view (``engine.service.views``); none opens the
case store.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from engine.core.context import SCHEMA, long_date
from engine.core.definitions import Event, Workflow
from engine.core.school import School
from engine.errors import DefinitionError
from engine.service.sources import load_profile, open_school
from engine.service.views import FieldView, Listing, Message, Row, listing


def check(root: Path) -> Message:
    """Validate a school in full (templates included); DefinitionError lists every
    problem; the message warns of each workflow whose policy's review date has passed
    (CLA-4)."""
    from engine.letters import renderer as letters  # docx and lxml: only check needs them

    school = open_school(root, template_fields=letters.template_fields)
    problems: list[str] = []
    from engine.service import batch  # a batch letter's declared field types

    used = {d.template for w in school.workflows.values()
            for e in (w.opening, *w.events.values()) for d in e.documents}
    for path in sorted(school.letters_dir.glob("*.docx")):
        problems += letters.check_template(path, SCHEMA)
        if path.name not in used:
            problems += batch.type_problems(path)
    problems += _follow_on_problems(school)
    if not problems:  # a template that does not load cannot be rendered to prove anything
        problems += must_say_problems(school) + ban_copy_problems(school, used)
    if problems:
        raise DefinitionError(problems)
    warnings = [f"warning: {w.path}: review_by {w.review_by} has passed: review this policy "
                "(CLA-4)" for w in school.workflows.values()
                if w.review_by and w.review_by < dt.date.today()]
    warnings += exposure_warnings(root) + identity_warnings(school)
    templates = len(list(school.letters_dir.glob("*.docx")))
    summary = (f"ok: {len(school.workflows)} workflows, {len(school.staff)} staff, "
               f"{templates} letter templates")
    return Message((*warnings, summary), {"workflows": len(school.workflows),
                                          "staff": len(school.staff), "templates": templates,
                                          "warnings": warnings})


def identity_warnings(school: School) -> list[str]:
    """How the CLI knows who is typing, where that leaves restricted cases open."""
    restricted = sorted(w.name for w in school.workflows.values() if w.restricted)
    if school.cli_identity == "trust" and restricted:
        return [f"warning: school.yaml security.cli_identity is trust: anyone who can run "
                f"liaison may say --as the headteacher and read {', '.join(restricted)} "
                "cases; use os_user or token on a shared machine"]
    if school.cli_identity == "os_user" and not any(s.login for s in school.staff.values()):
        return ["warning: school.yaml security.cli_identity is os_user but no member of staff "
                "has a login: (their operating-system account): nobody can use the CLI's "
                "case commands until one does"]
    return []


def exposure_warnings(root: Path, shown: int = 3) -> list[str]:
    """The case store open to other accounts on this machine: its database holds every
    disclosure's text, its documents parents' names and addresses (issue 15)."""
    from engine.store import files

    exposed = files.exposed(root)
    lines = [f"warning: {rel} can be read or changed by other accounts on this machine "
             f"(mode {mode:04o}): run 'liaison doctor' to make cases/ this account's only"
             for rel, mode in exposed[:shown]]
    if len(exposed) > shown:
        lines.append(f"warning: and {len(exposed) - shown} more file(s) and folder(s) under "
                     "cases/ like them")
    return lines


def must_say_problems(school: School) -> list[str]:
    """Each document that declares ``must_say:`` is rendered with sample values, once per
    option of each choice field, and every item it must say is looked for in the text
    (EXC-2, HSP-5); one problem for each item missing, at the item's line."""
    from engine.core import must_say
    from engine.letters import renderer as letters

    out = []
    for w in school.workflows.values():
        base = must_say.sample_values(w)
        for event in (w.opening, *w.events.values()):
            for doc in (d for d in event.documents if d.must_say):
                lacking: dict[int, tuple[Any, list[str]]] = {}
                for values in must_say.variants(w, base):
                    context = must_say.sample_context(w, event, doc, values, school.profile)
                    text = letters.docx_text(letters.render(school.letters_dir / doc.template,
                                                            context))
                    for item in must_say.missing(doc.must_say, text, context, values):
                        when = ", ".join(f"{k}={values[k]}" for k in values
                                         if values[k] != base[k]) or "the sample values"
                        lacking.setdefault(id(item), (item, []))[1].append(when)
                where = "open" if event is w.opening else f"events.{event.name}"
                out += [f"{w.path}:{item.line}: {where}.documents.{doc.template}.must_say: "
                        f"{doc.template} does not say {item.label} (rendered with "
                        f"{'; '.join(whens)})" for item, whens in lacking.values()]
    return out


def ban_copy_problems(school: School, used: set[str]) -> list[str]:
    """Each letter that can go to a parent, rendered for a parent under a site ban, must
    invite them neither in nor to call (HSP-5): one problem for each invitation found, at
    the document's line of its workflow (or the batch letter), with the template's
    paragraph that says it."""
    from engine.core import ban_copy, must_say
    from engine.core.context import TO_PARENTS
    from engine.service import batch

    found: dict[tuple[str, str, str], tuple[str, list[str]]] = {}
    for w in school.workflows.values():
        base = must_say.sample_values(w)
        for event in (w.opening, *w.events.values()):
            where = "open" if event is w.opening else f"events.{event.name}"
            for doc in (d for d in event.documents if d.to in TO_PARENTS):
                head = f"{w.path}:{doc.line}: {where}.documents.{doc.template}"
                for label, values in ban_copy.ban_copies(w, base):
                    context = must_say.sample_context(w, event, doc, values, school.profile)
                    _look(school, doc.template, head, label, ban_copy.under_ban(context), found)
    for path in sorted(school.letters_dir.glob("*.docx")):
        if path.name not in used:
            fields = ban_copy.batch_fields(batch.field_types(path))
            _look(school, path.name, str(path), "sample values",
                  ban_copy.batch_context(fields, school.profile), found)
    out = []
    for (head, template, says), (near, labels) in found.items():
        out.append(f"{head}: {template} invites a parent barred from the site to come in or "
                   f"call ('{says}', in \"{near}\"; rendered under a ban with "
                   f"{'; '.join(labels)}): put it under {{%p if not ban %}} or give "
                   "ban.contact_route instead")
    return out


def _look(school: School, template: str, head: str, label: str, context: dict[str, Any],
          found: dict[tuple[str, str, str], tuple[str, list[str]]]) -> None:
    """Render one ban copy and note each invitation in it (by where, template, wording)."""
    from engine.core import ban_copy
    from engine.letters import renderer as letters

    path = school.letters_dir / template
    body = letters.body_text(letters.render(path, context))
    for hit in ban_copy.invitations(body, school.profile.phone):
        line = letters.template_line(path, hit.says)
        near = f"body line {line[0]}: {_short(line[1])}" if line else _short(hit.paragraph)
        found.setdefault((head, template, hit.says), (near, []))[1].append(label)


def _short(text: str, width: int = 100) -> str:
    return text if len(text) <= width else text[:width - 3] + "..."


def _follow_on_problems(school: School) -> list[str]:
    """An event's ``opens`` must name a workflow and give every field it opens with."""
    out = []
    for workflow in school.workflows.values():
        for event in workflow.events.values():
            if event.opens is None:
                continue
            where = f"{workflow.path}:{event.opens.line}: events.{event.name}.opens"
            other = school.workflows.get(event.opens.workflow)
            if other is None:
                out.append(f"{where}.workflow: no workflow '{event.opens.workflow}'")
                continue
            given = {name for name, _ in event.opens.fields}
            takes = {f.name: f for f in other.opening.fields}
            out += [f"{where}.fields.{n}: {other.name} opens with no field '{n}'"
                    for n in sorted(given - set(takes))]
            out += [f"{where}.fields: {other.name} needs '{n}' to open"
                    for n, f in takes.items() if not f.optional and n not in given]
    return out


def staff(root: Path) -> Listing[Row]:
    """The staff and their roles."""
    school = load_profile(root)
    return listing("Staff", ("id", "name", "roles"), [
        Row({"id": s.id, "name": s.name, "roles": sorted(s.roles)},
            (s.id, s.name, ", ".join(sorted(s.roles)))) for s in school.staff.values()])


def workflows(root: Path) -> Listing[Row]:
    """The workflows with their policy, review date and clauses."""
    rows = []
    for w in open_school(root).workflows.values():
        review = w.review_by.isoformat() if w.review_by else None
        rows.append(Row({"name": w.name, "title": w.title, "policy": w.policy,
                         "review_by": review, "clauses": list(w.clauses),
                         "restricted": w.restricted},
                        (w.name, w.title, review, " ".join(w.clauses))))
    return listing("Workflows", ("name", "title", "review by", "clauses"), rows)


def workflow(root: Path, name: str) -> Message:
    """One workflow: its states, and the fields of opening and of each event with their
    types, whether each is required, and a choice's options."""
    w = open_school(root).workflow(name)
    data = {"name": w.name, "title": w.title, "policy": w.policy,
            "review_by": w.review_by.isoformat() if w.review_by else None,
            "clauses": list(w.clauses), "restricted": w.restricted,
            "states": [{"name": s.name, "title": s.title, "terminal": s.terminal}
                       for s in w.states.values()],
            "open": _event_json(w.opening),
            "events": [_event_json(e) for e in w.events.values()]}
    return Message(tuple(_workflow_lines(w)), data)


def _event_json(event: Event) -> dict[str, Any]:
    return {"event": event.name, "title": event.title,
            "from": list(dict.fromkeys(event.source_states)),
            "roles": sorted(event.roles),
            "fields": [{**FieldView.of(f).as_json(), "title": f.title} for f in event.fields]}


def _workflow_lines(w: Workflow) -> list[str]:
    lines = [f"{w.name}: {w.title}", f"  policy: {w.policy or '-'}"]
    if w.review_by:
        lines.append(f"  review by {long_date(w.review_by)}")
    lines.append("states:")
    lines += [f"  {s.name}: {s.title}" + (" (end)" if s.terminal else "")
              for s in w.states.values()]
    for event in (w.opening, *w.events.values()):
        lines.append(f"{'open' if event is w.opening else event.name}: {event.title}")
        lines += [f"  --set {f.name}=  {f.title} ({_kind(f.type, f.choices)}"
                  f"{', optional' if f.optional else ''})" for f in event.fields]
    return lines


def _kind(kind: str, choices: tuple[str, ...]) -> str:
    return f"one of: {', '.join(choices)}" if choices else kind


def diagram(root: Path, name: str) -> str:
    """A Mermaid diagram drawn from the running definition."""
    from engine.core import machine  # transitions: only the diagram needs it

    return machine.diagram(open_school(root).workflow(name))


def calendar(root: Path, first: dt.date, last: dt.date) -> Listing[Row]:
    """Each day from ``first`` to ``last``: school day, weekend, bank holiday, half term,
    closure or holiday."""
    days = load_profile(root).calendar.days(first, last)
    return listing(f"Calendar {first} to {last}", ("date", "day", "kind", "name"), [
        Row({"date": d.isoformat(), "weekday": f"{d:%A}", "kind": kind, "name": name},
            (d.isoformat(), f"{d:%A}", kind.replace("_", " "), name))
        for d, kind, name in days])


def add_days(root: Path, start: str, moment: dt.datetime, n: int) -> Message:
    """The date N school days after ``start``; given a time, counted from the day a
    message sent then counts as received (PWP-5.2, 5.3)."""
    school_calendar = load_profile(root).calendar
    received = school_calendar.counts_as_received(moment) if "T" in start else None
    answer = school_calendar.add_school_days(received or moment.date(), n)
    lines = [f"{answer.isoformat()} ({answer:%A} {answer.day} {answer:%B %Y})"]
    if received:
        lines.append(f"  counted from {received.isoformat()}, the day it counts as received")
    return Message(tuple(lines), {"from": start, "counts_as_received": received,
                                  "school_days": n, "date": answer.isoformat()})
