"""The one way a command prints what a use case returned: its JSON with ``--json``, else
its text (a table for a listing, lines for a message, a layout of its own for a case).

Every stored value reaches the terminal as plain text (rich ``Text``), never as markup:
a name holding ``[/]`` or ``[link=...]`` prints as written. And every character a terminal
would act on (ESC, CR, a C1 control, a bidirectional override) is shown as its escape
(``\\x1b``), here and in ``--json``, so no stored value can move the cursor, plant a link
or hide text on a member of staff's screen.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Iterable
from functools import singledispatch
from typing import Any

from rich.table import Table
from rich.text import Text

from engine.cli.options import out
from engine.core.text import visible
from engine.service.views import (
    CaseView,
    DueList,
    Followed,
    Listing,
    Message,
    Outcome,
    Page,
    StudentRecord,
)


def emit(view: Any, as_json: bool) -> None:
    """Print ``view``: one JSON document, or its text."""
    if as_json:
        print_json(view.as_json())
    else:
        show(view)


# json.dumps escapes C0 controls itself; these it leaves as they are.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def print_json(value: Any) -> None:
    text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    text = _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    sys.stdout.write(text + "\n")


def stream_json(items: Iterable[Any]) -> None:
    """A JSON list of ``items`` (each with ``as_json()``, a dict), printed as they
    come a thousand at a time: the same text as ``print_json`` of the whole list, without
    the list in memory. The first item is asked for before anything is printed, so a
    refusal prints no half a document."""
    rows = iter(items)
    first = next(rows, None)
    if first is None:
        sys.stdout.write("[]\n")
        return
    chunk = [_row_json(first.as_json())]
    opening = "[\n"
    for item in rows:
        chunk.append(_row_json(item.as_json()))
        if len(chunk) == 1000:
            _write_json(opening + ",\n".join(chunk) + ",\n")
            chunk, opening = [], ""
    _write_json(opening + ",\n".join(chunk) + "\n]\n")


def _write_json(text: str) -> None:
    sys.stdout.write(_JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text))


def _row_json(row: dict[str, Any]) -> str:
    """One dict as ``json.dumps(indent=2)`` prints it inside a list."""
    if not row:
        return "  {}"
    return "  {\n" + ",\n".join([f"    {_key(k)}: {_encode(v) if type(v) is str else _other(v)}"
                                 for k, v in row.items()]) + "\n  }"


def _other(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, dict | list):  # nested (an event's fields): as indent=2 lays it
        return json.dumps(value, indent=2, ensure_ascii=False, default=str).replace(
            "\n", "\n    ")
    return json.dumps(value, ensure_ascii=False, default=str)


# The C string encoder: json.dumps with indent= goes through the pure-Python one.
_encode = json.encoder.encode_basestring  # type: ignore[attr-defined]


@functools.lru_cache(maxsize=256)
def _key(name: str) -> str:
    return _encode(name)  # type: ignore[no-any-return]


def say(*parts: str | Text) -> None:
    """One line of plain text (nothing in it is markup or a terminal control)."""
    out.print(Text.assemble(*[_safe(part) for part in parts]))


def _safe(part: str | Text) -> str | Text:
    if isinstance(part, str):
        return visible(part)
    shown = visible(part.plain)
    return part if shown == part.plain else Text(shown, style=part.style)


def plain(value: Any) -> Text:
    """A stored value as rich prints it: its text, shown as stored."""
    return Text(visible(str(value))) if value is not None else Text("")


def bold(text: str) -> Text:
    return Text(visible(text), style="bold")


def table(title: str, columns: tuple[str, ...] | list[str], rows: list[list[Any]]) -> None:
    grid = Table(title=plain(title), title_justify="left")
    for column in columns:
        grid.add_column(plain(column), overflow="fold")
    for row in rows:
        grid.add_row(*[plain(v) for v in row])
    out.print(grid)


@singledispatch
def show(view: Any) -> None:
    """A view in parts (a report, a batch's summary) prints each part in turn."""
    for part in view.parts():
        show(part)


@show.register
def _due(view: DueList) -> None:
    # One line per deadline (not a table): it stays readable, and greppable, in a narrow
    # terminal or a mail from cron.
    # All of it in one write: a print per line cost more than the query (5,000 lines).
    lines: list[Text] = []
    for title, rows in view.by_status():
        lines.append(Text.assemble(bold(title), f" ({len(rows)})"))
        lines.append(Text(visible("\n".join(
            f"  {i.due:<16}  {i.case:<14}  {i.student_name}: {i.title} ({i.clause})"
            f"  held by {i.holder_name or '-'}" for i in rows))))
    if not view.items:
        lines.append(Text(visible(f"nothing due for {view.actor} this week")))
    out.print(Text("\n").join(lines))


@show.register
def _listing(view: Listing) -> None:  # type: ignore[type-arg]
    table(view.title, view.columns, view.rows())


@show.register
def _page(view: Page) -> None:  # type: ignore[type-arg]
    if not view.items:
        say(f"no {view.title[:1].lower()}{view.title[1:]} to show")  # "no history of CASE"
        return
    table(view.title, view.columns, view.rows())
    if view.more:
        say(f"{view.more:,} more: the next with --after {view.last} (and --limit N for "
            "more at a time)")


@show.register
def _message(view: Message) -> None:
    for line in view.lines:
        say(line)


@show.register
def _followed(view: Followed) -> None:
    show(view.view)
    show(view.then)


@show.register
def _outcome(view: Outcome) -> None:
    say(f"{view.case} ({view.workflow}) is now ", bold(view.state))
    for d in view.documents:
        say(f"  wrote {d.path}  for {d.recipient}")
    for pdf in view.pdfs or []:
        say(f"  wrote {pdf}")
    for deadline in view.deadlines:
        say(f"  deadline {deadline['name']}: {deadline['due']}")
    for s in view.skipped:
        say(f"  no {s['template']} for contact {s['contact']}: {s['why']}")
    for opened in view.opened:
        say("  and opened:")
        _outcome(opened)
    for warning in view.warnings:
        say(Text("  warning:", style="yellow"), f" {warning}")


@show.register
def _case(view: CaseView) -> None:
    say(bold(view.case), f" {view.title}: {view.state} ({view.state_title})")
    say(f"student {view.student}  opened {view.opened_at} by {view.opened_by}"
        f"  holder {view.holder or '-'}")
    if view.child_protection:
        say(Text("CHILD PROTECTION", style="bold red"),
            ": no letter about this case goes to a parent (PWP-4.3)")
    for ban in view.bans:
        say(Text("SITE BAN IN FORCE", style="bold red"),
            f" ({ban['case']}): contact only {ban['contact_route']}; review by "
            f"{ban['review_on']}")
    for key, value in view.fields.items():
        if value is not None:
            say(f"  {key}: {', '.join(value) if isinstance(value, list) else value}")
    table("Deadlines", ["name", "due", "status", "clause"],
          [[d["name"], d["due"], d["status"], d["clause"]] for d in view.deadlines])
    table("Documents", ["template", "recipient", "path"],
          [[d["template"], d["recipient"], d["path"]] for d in view.documents])


def _ban(contact: dict[str, Any]) -> str:
    if not contact["site_ban"]:
        return ""
    return f"in force ({', '.join(contact['site_ban_cases'])})" if contact["site_ban_cases"] \
        else "in force"


def _letters(contact: dict[str, Any]) -> str:
    if contact.get("left_on"):  # a full import found them gone from the MIS's export
        return f"left {contact['left_on']}"
    return "barred" if contact["barred"] else "yes"


@show.register
def _student(view: StudentRecord) -> None:
    s = view.student
    say(bold(s["id"]), f" {s['first_name']} {s['last_name']}, Year {s['year']} ({s['form']})")
    table("Contacts", ["id", "name", "relationship", "language", "letters", "site ban"],
          [[c["id"], f"{c['title']} {c['first_name']} {c['last_name']}".strip(),
            c["relationship"], c["language"], _letters(c),
            _ban(c)] for c in view.contacts])
    say(bold("Where things stand"))
    for r in view.status:
        closed = f", closed {r['closed_at'][:10]}" if r["closed_at"] else ""
        say(f"  {r['title']}: {r['state_title']} ({r['case']}, opened "
            f"{r['opened_at'][:10]}{closed})")
