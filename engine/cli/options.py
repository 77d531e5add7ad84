"""What every ``liaison`` command shares: the app, the options, the console, the parsing of
dates given on the command line, and opening the school.

The service is imported when a command runs, not when ``liaison --help`` is asked for, so
start-up costs typer and rich only (bench/README.md, "Start-up").
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console

from engine.errors import InputError

if TYPE_CHECKING:
    from engine.service.liaison import Liaison
    from engine.service.records import Records

def _plain_arguments() -> None:
    """Help in words: typer writes a required argument as ``{CASE}`` in the usage line and
    prints its Python type (``<str>``) beside it; a member of staff reads ``CASE``, and the
    help says what each is. (Options that take a value get words from their metavars:
    ``--as STAFF_ID``; typer prints no type beside a flag.) Patched here because typer has
    no setting for it; tests/test_docs.py checks the help still reads so."""
    argument = typer.core.TyperArgument

    def metavar(self: typer.core.TyperArgument, ctx: object, *, usage: bool = False) -> str:
        name = self.metavar or self.name or ""
        return f"[{name}]" if usage and not self.required else name

    argument.make_metavar = metavar  # type: ignore[method-assign,assignment]
    words = type(typer._click.types.STRING)
    typed = words.get_metavar
    words.get_metavar = (  # type: ignore[method-assign]
        lambda self, param, ctx: "" if isinstance(param, argument) else typed(self, param, ctx))
    if hasattr(argument, "display_type_rich"):  # typer 0.29 (an older venv) prints types so
        argument._usage_display_name = lambda self: (  # type: ignore[attr-defined]
            self.display_name_raw if self.required else f"[{self.display_name_raw}]")
        argument.display_type_rich = lambda self, ctx: None  # type: ignore[method-assign]
        option = typer.core.TyperOption
        shown = option.display_type_rich
        option.display_type_rich = (  # type: ignore[method-assign]
            lambda self, ctx: None if self.is_flag else shown(self, ctx))


_D = TypeVar("_D", dt.date, dt.datetime)

_plain_arguments()
app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False,
                  help="Liaison: cases and letters for a school's home-school policies.")

# Piped output is not cut to 80 columns: paths in a table must stay whole to be copied.
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 200)



@app.callback()
def _acting(ctx: typer.Context, because: Annotated[str | None, typer.Option(
        "--because", metavar="WHY", show_default=False,
        help="An administrator (school.yaml security.administrators) acting as another "
             "member of staff: why. Written down with who, as whom, when and the command; "
             "give --as STAFF_ID to the command after it.")] = None) -> None:
    """Liaison: cases and letters for a school's home-school policies."""
    ctx.obj = {"because": because}


SchoolOpt = Annotated[Path | None, typer.Option(
    "--school", envvar="LIAISON_SCHOOL", metavar="DIR", show_default=False,
    help="The school directory (default: here, or $LIAISON_SCHOOL).")]
AsOpt = Annotated[str | None, typer.Option(
    "--as", metavar="STAFF_ID", show_default=False,
    help="Your staff id (see 'liaison staff'); checked as school.yaml's "
         "security.cli_identity says (needed only where it is trust).")]
SetOpt = Annotated[list[str] | None, typer.Option(
    "--set", metavar="FIELD=VALUE", show_default=False,
    help="A field's value (repeat --set for each field, and a field for each item of a "
         "list).")]
AtOpt = Annotated[str | None, typer.Option(
    "--at", metavar="WHEN", show_default=False,
    help="When it happened (2026-11-24 or 2026-11-24T10:30); default now.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
PdfOpt = Annotated[bool, typer.Option("--pdf", help="Also write a PDF of each letter, for "
                                      "printing (needs LibreOffice).")]
StudentOpt = Annotated[str, typer.Option("--student", metavar="STUDENT_ID",
                                         help="The student's id (from the MIS).")]


@contextmanager
def liaison(school: Path | None) -> Iterator[Liaison]:
    """The school's use cases over its store, closed when the command ends."""
    from engine.service.liaison import Liaison
    from engine.service.sources import find_root

    engine = Liaison.at(find_root(school))
    try:
        yield engine
    finally:
        engine.close()


@contextmanager
def records(school: Path | None) -> Iterator[Records]:
    """The school's reading use cases over its store: without the letter renderer, the
    state machine and the calendar's sums a change needs, so a listing starts sooner."""
    from engine.service.records import Records
    from engine.service.sources import find_root

    engine = Records.at(find_root(school))
    try:
        yield engine
    finally:
        engine.close()


def me(engine: Records, given: str | None) -> str:
    """Who is typing: the staff id the command acts as (engine/service/identity.py); an
    administrator's ``liaison --because WHY`` is passed on with the command and its case."""
    from typer._click.globals import get_current_context

    from engine.service.identity import cli_caller

    ctx = get_current_context(silent=True)
    if ctx is None:  # called outside a command (a test calling it directly)
        return cli_caller(engine, given)
    settings = ctx.find_root().obj or {}
    case = ctx.params.get("case")
    return cli_caller(engine, given, because=settings.get("because"),
                      command=ctx.command_path.removeprefix("liaison").strip(),
                      case=case if isinstance(case, str) else None)


def root(school: Path | None) -> Path:
    """The school directory the command works on."""
    from engine.service.sources import find_root

    return find_root(school)


def _sensible(parsed: _D, value: str, option: str) -> _D:
    """Within the years 2000-2100, and without a time zone offset (core/fields.py)."""
    from engine.core.fields import sensible

    sensible(parsed, value, option)
    return parsed


def when(at: str | None) -> dt.datetime | None:
    if at is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(at)
    except ValueError:
        raise InputError(f"--at '{at}': expected an ISO date or date and time "
                         "(2026-11-24T10:30)") from None
    return _sensible(parsed, at, "--at")


def day(value: str, option: str) -> dt.date:
    try:
        parsed = dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{option} '{value}': expected a date (2026-11-24)") from None
    return _sensible(parsed, value, option)


def moment(value: str, option: str) -> dt.datetime:
    """A date (its start) or a date and time, as given to --on or add-days."""
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"{option} '{value}': expected a date (2026-11-24) or a date and "
                         "time (2026-11-24T10:30)") from None
    return _sensible(parsed, value, option)


def assignments(values: list[str] | None) -> dict[str, list[str]]:
    """``--set`` pairs as the service takes them."""
    from engine.core.fields import parse_assignments

    return parse_assignments(values or [])
