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


TrustDirOpt = Annotated[Path | None, typer.Option(
    "--trust-dir", metavar="DIR", show_default=False,
    help="Every school of the trust in this folder's trust.yaml (FILE is then a new "
         "folder).")]


@db_app.command("backup")
def backup(file: FileArg, school: SchoolOpt = None, trust: TrustDirOpt = None) -> None:
    """Copy the school's store to FILE while others keep working: SQLite's backup API, or
    on PostgreSQL pg_dump of the school's rows alone (as the database's owner). Never
    overwrites FILE; the letters under cases/documents/ are copied separately."""
    from engine.service import operations

    if trust is not None:
        from engine.service.trust import find_trust

        emit(operations.backup_trust(find_trust(trust), file), as_json=False)
        return
    emit(operations.backup(root(school), file), as_json=False)


@db_app.command("restore")
def restore(file: FileArg, school: SchoolOpt = None, trust: TrustDirOpt = None) -> None:
    """Replace the school's rows with the backup in FILE (on PostgreSQL, as the database's
    owner, in one transaction), then upgrade to the newest revision."""
    from engine.service import operations

    if trust is not None:
        from engine.service.trust import find_trust

        emit(operations.restore_trust(find_trust(trust), file), as_json=False)
        return
    emit(operations.restore(root(school), file), as_json=False)
