"""``liaison import``: load people from the MIS's CSV exports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from engine.cli.emit import say
from engine.cli.options import SchoolOpt, app, liaison

import_app = typer.Typer(no_args_is_help=True, help="Load people from the MIS's CSV exports.")
app.add_typer(import_app, name="import")
FileArg = Annotated[Path, typer.Argument(metavar="FILE.csv", show_default=False)]


@import_app.command("students")
def import_students(file: FileArg, school: SchoolOpt = None) -> None:
    """Import students (id, first_name, last_name, year, form, house); updates by id."""
    with liaison(school) as engine:
        count = engine.import_students(file)
    say(f"imported {count} students from {file}")


@import_app.command("contacts")
def import_contacts(
        file: FileArg, school: SchoolOpt = None,
        full: Annotated[bool, typer.Option(
            "--full", help="The file is the whole list: contacts on file but not in it are "
            "marked as left (no letters from now on, kept for the record).")] = False,
        dry_run: Annotated[bool, typer.Option(
            "--dry-run", help="Say what the import would do; record nothing.")] = False,
        lift_bar: Annotated[list[str] | None, typer.Option(
            "--lift-bar", metavar="CONTACT_ID", show_default=False,
            help="Lift a bar on correspondence the file says to lift (a file alone never "
            "does); repeat for each.")] = None) -> None:
    """Import contacts (parents and carers) of known students; updates and adds by id
    (with --full, also marks those not in the file as left)."""
    from engine.core.mirror import summary_lines

    with liaison(school) as engine:
        plan = engine.mirror_contacts(file, full=full, dry_run=dry_run,
                                      lift=tuple(lift_bar or ()))
    for line in summary_lines(plan, dry_run):
        say(line)
