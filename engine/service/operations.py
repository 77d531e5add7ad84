"""What a school's (or a trust's) IT runs on the store itself: ``liaison db status`` and
``liaison db upgrade``."""

from __future__ import annotations

from pathlib import Path

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
