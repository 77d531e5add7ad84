"""The store's schema, as Alembic revisions (``versions/``), upgraded in place.

Each revision's id is its file's name (``0005_document_context``) and the revisions run in
the order of their numbers, so the newest (``HEAD``) is known without importing Alembic:
a store that is current opens without it. Releases before Alembic kept a ``migrations``
table of named steps; each step is now the revision of the same name, so such a file is
stamped at its newest step and upgraded from there (``legacy``). See docs/architecture.md,
"Adding a migration".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

VERSIONS = Path(__file__).resolve().parent / "versions"


def revisions() -> list[str]:
    """Every revision, oldest first (their file names, numbered)."""
    return sorted(p.stem for p in VERSIONS.glob("[0-9][0-9][0-9][0-9]_*.py"))


HEAD = revisions()[-1]


def current(conn: Connection) -> str | None:
    """The revision the database is at; None for an empty one (or a legacy one unstamped)."""
    if not _has(conn, "alembic_version"):
        return None
    return conn.scalar(text("SELECT version_num FROM alembic_version"))


def legacy(conn: Connection) -> str | None:
    """The newest named step a pre-Alembic store recorded in its ``migrations`` table."""
    if not _has(conn, "migrations"):
        return None
    done = set(conn.scalars(text("SELECT name FROM migrations")))
    known = [r for r in revisions() if r in done]
    return known[-1] if known else None


def upgrade(conn: Connection, attributes: dict[str, Any] | None = None) -> tuple[str | None, str]:
    """Bring the database on ``conn`` (inside its transaction) to HEAD; returns (from, to).
    ``attributes`` reach the revisions as ``op.get_context().config.attributes``."""
    from alembic import command
    from alembic.config import Config

    before = current(conn)
    config = Config()
    config.set_main_option("script_location", str(VERSIONS.parent))
    config.attributes.update(attributes or {}, connection=conn)
    if before is None and (step := legacy(conn)) is not None:
        command.stamp(config, step)
        conn.execute(text("DROP TABLE migrations"))
        before = step
    command.upgrade(config, "head")
    return before, HEAD


def _has(conn: Connection, table: str) -> bool:
    from sqlalchemy import inspect

    return inspect(conn).has_table(table)


def grant(conn: Connection, role: str) -> None:
    """Give the application's role what it needs on PostgreSQL (tenancy.grant)."""
    from engine.store.migrations import tenancy

    tenancy.grant(conn, role)
