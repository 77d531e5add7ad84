"""What a school's (or a trust's) IT runs on the store itself: ``liaison db status``,
``upgrade``, ``backup`` and ``restore``."""

from __future__ import annotations

from pathlib import Path

from engine.errors import InputError
from engine.service.sources import load_profile, open_store
from engine.service.views import Message
from engine.store import migrations as schema
from engine.store.database import Store


def _store(root: Path) -> Store:
    return open_store(load_profile(root), migrate=False)


def status(root: Path) -> Message:
    """Where the school's store stands: its revision against the newest."""
    store = _store(root)
    try:
        at, named = store.revision()
    finally:
        store.close()
    current = at == schema.HEAD and not named
    word = ("up to date" if current else "empty" if at is None else
            "recorded as a named step, from before Alembic" if named else "behind")
    then = () if current else ("run 'liaison db upgrade'",)
    return Message((f"store: {store.where}",
                    f"revision: {at or 'none'} (newest {schema.HEAD}: {word})", *then),
                   {"store": store.where, "revision": at, "head": schema.HEAD,
                    "named_step": named and at is not None, "current": current})


def upgrade(root: Path, grant: str | None = None) -> Message:
    """Bring the school's store to the newest revision (in one transaction); on
    PostgreSQL, run as the database's owner, and ``grant`` names the application's role."""
    store = _store(root)
    try:
        named = store.revision()[1]
        before, after = store.upgrade(grant)
    finally:
        store.close()
    line = (f"already at {after}" if before == after and not named else
            f"upgraded from {before or 'nothing'}{' (a named step)' if named and before else ''}"
            f" to {after}")
    return Message((f"store: {store.where}", line),
                   {"store": store.where, "from": before, "to": after})


def backup(root: Path, target: Path) -> Message:
    """``liaison db backup FILE``: a consistent copy of the school's SQLite store."""
    if target.exists():
        raise InputError(f"{target}: already exists (a backup never overwrites a file)")
    if not target.parent.is_dir():
        raise InputError(f"{target.parent}: no such folder")
    store = open_store(load_profile(root))
    try:
        store.backup(target)
    finally:
        store.close()
    return Message((f"backed up {store.where} to {target} (the letters stay under "
                    "cases/documents/: copy that folder with it)",),
                   {"store": store.where, "backup": str(target)})


def restore(root: Path, source: Path) -> Message:
    """``liaison db restore FILE``: the school's SQLite store replaced by a backup."""
    if not source.is_file():
        raise InputError(f"{source}: no such file")
    store = open_store(load_profile(root))
    try:
        at, head = store.restore(source)
    finally:
        store.close()
    return Message((f"restored {store.where} from {source} (revision {at}, now {head})",),
                   {"store": store.where, "backup": str(source), "revision": head})
