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
def import_contacts(file: FileArg, school: SchoolOpt = None) -> None:
    """Import contacts (parents and carers) of known students; updates by id."""
    with liaison(school) as engine:
        count = engine.import_contacts(file)
    say(f"imported {count} contacts from {file}")
