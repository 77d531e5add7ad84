"""``liaison import``: load people from the MIS's CSV exports, thin over engine.service.

engine.cli.app imports this module at its bottom; it uses engine.cli.app's shared helpers and
registers its sub-app there.
"""

from __future__ import annotations

from pathlib import Path

import typer

from engine.cli.app import SchoolOpt, app, liaison, out

import_app = typer.Typer(no_args_is_help=True, help="Load people from the MIS's CSV exports.")
app.add_typer(import_app, name="import")


@import_app.command("students")
def import_students(file: Path, school: SchoolOpt = None) -> None:
    """Import students (id, first_name, last_name, year, form, house); updates by id."""
    with liaison(school) as engine:
        count = engine.import_students(file)
    out.print(f"imported {count} students from {file}")


@import_app.command("contacts")
def import_contacts(file: Path, school: SchoolOpt = None) -> None:
    """Import contacts (parents and carers) of known students; updates by id."""
    with liaison(school) as engine:
        count = engine.import_contacts(file)
    out.print(f"imported {count} contacts from {file}")
