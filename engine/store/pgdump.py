"""One school's rows of a shared PostgreSQL database, backed up with ``pg_dump`` and put
back with ``pg_restore`` (issue 17), through row-level security as that school.

Both run as the database's owner (as ``liaison db upgrade`` does: pg_dump reads the id
sequences, which the application's role may only use), who is held to the policies like
any role (FORCE row-level security), with the school set for the whole session
(``PGOPTIONS=-c app.school_id=...``): ``pg_dump --enable-row-security`` copies exactly
the rows the school may see, never another's, and no role that bypasses security is used.
The copy is data only (the schema is the revisions', ``liaison db upgrade``), in
pg_dump's custom format, as INSERTs naming their columns, since COPY FROM is refused on a
table under row-level security. A restore is one transaction as the school: its rows are
deleted, the backup's inserted (each checked by the policy, so a backup of another school
is refused), and the shared id sequences moved past the ids restored, never back, since
other schools draw from them too. Sequences' own values are left out of the backup.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import DBAPIError

from engine.errors import InputError, ToolMissing


def _program(name: str) -> str:
    """pg_dump or pg_restore: on the PATH, else Debian's newest server's."""
    found = shutil.which(name) or next(
        (str(p) for p in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                                key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit()
                                else 0, reverse=True)), None)
    if found is None:
        raise ToolMissing(f"{name} is not installed: install PostgreSQL's client programs "
                          "(Debian: apt-get install postgresql-client)")
    return found


def _environment(url: URL, school_id: str) -> tuple[str, dict[str, str]]:
    """The libpq URI (without its password, which goes in PGPASSWORD, out of the process
    list) and the environment that sets the school for the session."""
    uri = url.set(drivername="postgresql", password=None).render_as_string(
        hide_password=False)
    env = {**os.environ, "PGOPTIONS": f"-c app.school_id={school_id}"}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return uri, env


def _run(args: list[str], env: dict[str, str], what: str) -> bytes:
    done = subprocess.run(args, env=env, capture_output=True, check=False)
    if done.returncode != 0:
        said = [line for line in done.stderr.decode("utf-8", "replace").splitlines()
                if "error:" in line] or [f"exit {done.returncode}"]
        reason = said[0].split("error:", 1)[-1].strip()
        if "permission denied" in reason:
            reason += (" (run it as the database's owner, as liaison db upgrade: row-level "
                       "security holds the owner to the school too)")
        raise InputError(f"{what}: {reason}")
    return done.stdout


def dump(url: URL, school_id: str, target: Path) -> None:
    """The school's rows to ``target`` (pg_dump's custom format), written whole or not at
    all."""
    uri, env = _environment(url, school_id)
    partial = target.with_name(target.name + ".partial")
    try:
        _run([_program("pg_dump"), "--dbname", uri, "--format=custom", "--data-only",
              "--enable-row-security", "--column-inserts", "--no-owner", "--no-privileges",
              "--exclude-table=alembic_version",
              # the per-day counts are the events' and deadlines' own triggers' to remake
              "--exclude-table=event_tallies", "--exclude-table=deadline_tallies",
              "--file", str(partial)], env,
             f"pg_dump of {school_id}")
        partial.chmod(0o600)  # people's data: the owner's alone, as the store's files
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


def script(source: Path) -> str:
    """The backup's INSERTs as SQL (pg_restore reads the file; no database is touched),
    without the sequences' values."""
    restore = _program("pg_restore")
    listed = _run([restore, "--list", str(source)], dict(os.environ),
                  f"{source}: not a backup made by liaison db backup").decode()
    kept = "\n".join(line for line in listed.splitlines() if "SEQUENCE SET" not in line)
    chosen = source.with_name(source.name + ".list")
    try:
        chosen.write_text(kept, "utf-8")
        sql = _run([restore, "--use-list", str(chosen), "--enable-row-security", "--file",
                    "-", str(source)],
                   dict(os.environ), f"{source}: not a backup made by liaison db backup")
    finally:
        chosen.unlink(missing_ok=True)
    # psql's meta-commands (``\\restrict`` guards a script read by psql): not SQL, and this
    # script is run by the store, never by psql.
    return "\n".join(line for line in sql.decode("utf-8").splitlines()
                     if not line.startswith("\\"))


def load(conn: Connection, tables: list[str], numbered: list[str], sql: str,
         source: Path) -> None:
    """In the school's write transaction: delete its rows of ``tables`` (parents first in
    the list, so children are deleted first), insert the backup's, move the id sequences
    of the ``numbered`` tables past them."""
    for table in reversed(tables):
        conn.execute(text(f"DELETE FROM {table}"))  # the school's rows alone (its policy)
    search_path = conn.scalar(text("SHOW search_path"))
    try:
        conn.exec_driver_sql(sql)
    except DBAPIError as exc:
        said = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        if "row-level security" in said:
            said = "its rows are another school's (row-level security refused them)"
        raise InputError(f"{source}: cannot be restored here: {said}") from None
    conn.execute(text("SELECT set_config('search_path', :p, false)"), {"p": search_path})
    for table in numbered:
        _past_ids(conn, table)


def _past_ids(conn: Connection, table: str) -> None:
    """The table's id sequence moved past the highest id restored, if it is not already
    (a restore into a new database): never back, since every school draws from it."""
    sequence = conn.scalar(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table})
    highest = conn.scalar(text(f"SELECT max(id) FROM {table}")) or 0
    try:
        last = conn.scalar(text(f"SELECT last_value FROM {sequence}"))
        if highest > last:
            conn.execute(text("SELECT setval(:s, :n)"), {"s": sequence, "n": highest})
    except DBAPIError:
        raise InputError("liaison db restore reads and moves the id sequences: run it as "
                         "the database's owner, as liaison db upgrade (row-level security "
                         "holds the owner to the school too)") from None
