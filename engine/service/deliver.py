"""One path for one letter or ten thousand: write, make durable, record, or leave nothing.

``deliver`` is the last step of every change that makes documents (an advance, an open,
a batch of letters home; a change with none, such as marking a case, goes the same way):
each rendered letter is written under a new name, all are made durable together, then one
transaction records the case changes and the document rows with their hashes. If anything
fails before the commit ends, the files written are removed at once: a row never names a
missing file (the commit looks for each before it ends), and a file no row names is left
only by a crash (``liaison doctor``, which never runs while a delivery holds the store's
lock: engine/store/lock.py).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from engine.core.rows import CaseMove, DocumentRow
from engine.store import files, lock
from engine.store.database import Store


@dataclass(frozen=True)
class Outgoing:
    """A rendered letter: where it goes (under the school directory), its bytes, and its
    row (path, hash and size are filled in when it is written)."""

    path: str
    data: bytes
    row: DocumentRow


@dataclass
class Delivery:
    """What one change records: a case moved on (or none, for letters outside a case)
    and the letters it makes."""

    move: CaseMove | None
    outgoing: list[Outgoing] = field(default_factory=list)


def deliver(root: Path, store: Store, deliveries: Sequence[Delivery]) -> list[list[DocumentRow]]:
    """Write, sync and record the deliveries in one transaction; return each one's rows."""
    written: list[str] = []
    folders: list[str] = []  # made for these letters (a new case's): their names synced too
    # Shared with other writers, never with `doctor`: it cannot take these files for orphans.
    with lock.writing(root / files.CASES / "liaison.sqlite3"):  # beside the documents
        try:
            made = [[_write(root, out, written, folders) for out in d.outgoing]
                    for d in deliveries]
            files.sync(root, written, folders)
            for delivery, rows in zip(deliveries, made, strict=True):
                if delivery.move is not None:
                    delivery.move.change.documents = rows
            store.commit([d.move for d in deliveries if d.move is not None],
                         [row for d, rows in zip(deliveries, made, strict=True)
                          if d.move is None for row in rows], root=root)
        except BaseException as exc:
            files.remove(root, written)  # at once: a half-written letter is never left
            if files.disk_full(exc):
                raise files.no_space(root) from exc
            raise
    return made


def _write(root: Path, out: Outgoing, written: list[str], folders: list[str]) -> DocumentRow:
    folder, made = os.path.dirname(out.path), []
    while folder and not os.path.isdir(os.path.join(root, folder)):
        made.append(folder)  # cases/documents/CASE, and cases/documents if it is new too
        folder = os.path.dirname(folder)
    if made:
        files.private_folder(root / made[0])  # owner-only, as every folder of the store
        folders.extend(made)
    written.append(out.path)  # before the write: a half-written file is removed too
    done = files.write_unsynced(root, out.path, out.data)
    return replace(out.row, path=done.path, sha256=done.sha256, size=done.size)
