"""What a school's (or a trust's) IT runs on the store itself: ``liaison db status``,
``upgrade``, ``backup`` and ``restore``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from engine.core.trust import Trust
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


def backup_trust(trust_root: Path, folder: Path) -> Message:
    """``liaison db backup --trust-dir DIR FOLDER``: every school of the trust, each its
    own backup made as that school (on PostgreSQL through row-level security, one school
    at a time), and the trust's own rows, with ``manifest.json`` naming each file and its
    SHA-256. The folder is new: a backup never overwrites one."""
    import hashlib
    import json

    from engine.service.trust import load_trust

    trust = load_trust(trust_root)
    if folder.exists():
        raise InputError(f"{folder}: already exists (a backup never overwrites one)")
    folder.mkdir(mode=0o700, parents=True)
    made = []
    for school_id, store in _trust_stores(trust):
        target = folder / f"{school_id}.backup"
        try:
            store.backup(target)
        finally:
            store.close()
        made.append({"school_id": school_id, "file": target.name,
                     "sha256": hashlib.sha256(target.read_bytes()).hexdigest()})
    manifest = {"trust_id": trust.trust_id, "revision": schema.HEAD, "backups": made}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    return Message((f"backed up {len(made) - 1} schools and the trust's own rows to {folder} "
                    "(each school's letters stay under its cases/documents/: copy them "
                    "with it)",), manifest)


def restore_trust(trust_root: Path, folder: Path) -> Message:
    """``liaison db restore --trust-dir DIR FOLDER``: each school (and the trust's own
    rows) back from a trust's backup, each in one transaction of its own, after every
    file is checked against the manifest (nothing is restored if one does not match)."""
    import hashlib
    import json

    from engine.service.trust import load_trust

    trust = load_trust(trust_root)
    try:
        manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
        files = {b["school_id"]: (folder / b["file"], b["sha256"]) for b in manifest["backups"]}
    except (OSError, ValueError, KeyError, TypeError):
        raise InputError(f"{folder}: not a trust's backup (no readable manifest.json)") from None
    wanted = [trust.trust_id, *trust.schools]
    for school_id in wanted:
        path, digest = files.get(school_id, (None, ""))
        if path is None or not path.is_file() or \
                hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            raise InputError(f"{folder}: the backup of {school_id} is missing or does not "
                             "match manifest.json: nothing restored")
    for school_id, store in _trust_stores(trust):
        try:
            store.restore(files[school_id][0])
        finally:
            store.close()
    return Message((f"restored {len(wanted) - 1} schools and the trust's own rows from "
                    f"{folder}",), {"trust_id": trust.trust_id, "restored": wanted})


def _trust_stores(trust: Trust) -> Iterator[tuple[str, Store]]:
    """(school_id, store) of the trust's own rows, then of each school, opened in turn."""
    from engine.service.trust import trust_store

    yield trust.trust_id, trust_store(trust)
    for school in trust.schools.values():
        yield school.school_id, open_store(load_profile(school.folder))
