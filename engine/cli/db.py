"""The store's own commands: ``liaison db status`` and ``liaison db upgrade``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from engine.cli.emit import emit
from engine.cli.options import JsonOpt, SchoolOpt, app, root

db_app = typer.Typer(no_args_is_help=True, help="The case store: its schema revision, "
                     "upgrades.")
app.add_typer(db_app, name="db")


@db_app.command("status")
def status(school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """Where the store is (never its password) and which schema revision it is at."""
    from engine.service import operations

    emit(operations.status(root(school)), as_json)


@db_app.command("upgrade")
def upgrade(school: SchoolOpt = None, as_json: JsonOpt = False,
            grant: Annotated[str | None, typer.Option(
                "--grant", metavar="ROLE", show_default=False,
                help="PostgreSQL: the application's role, given what it needs (run as the "
                     "database's owner).")] = None) -> None:
    """Bring the store to the newest schema revision, in one transaction."""
    from engine.service import operations

    emit(operations.upgrade(root(school), grant), as_json)


FileArg = Annotated[Path, typer.Argument(metavar="FILE", show_default=False,
                                         help="The backup file.")]


@db_app.command("backup")
def backup(file: FileArg, school: SchoolOpt = None) -> None:
    """Copy the SQLite store to FILE while others keep working (never overwrites FILE;
    the letters under cases/documents/ are copied separately)."""
    from engine.service import operations

    emit(operations.backup(root(school), file), as_json=False)


@db_app.command("restore")
def restore(file: FileArg, school: SchoolOpt = None) -> None:
    """Replace the SQLite store with the backup in FILE, then upgrade it to the newest
    revision."""
    from engine.service import operations

    emit(operations.restore(root(school), file), as_json=False)
