"""Document files under ``cases/``: written whole and durable before any row names them.

Each file is written under a new name (never over a record), then all of one command's
files are fsynced together, then their folders, so the names survive a power cut before
the transaction that records them commits. Names carry a random token, so two members of
staff racing on one case never overwrite each other's letters: the loser's files are
removed and no row ever names them.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

DOCUMENTS = "cases/documents"
PREVIEWS = "cases/previews"  # letters tried out (liaison letters preview): never recorded
_SYNC_THREADS = 16
_INLINE = 4  # files synced without a thread pool (an advance's letters)


@dataclass(frozen=True)
class Written:
    path: str  # relative to the school directory
    sha256: str
    size: int


def safe(part: str) -> str:
    """``part`` fit for a file name: runs of other characters become one "_"."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", part).strip("_") or "x"


def write_unsynced(root: Path, rel: str, data: bytes) -> Written:
    """Write ``data`` at ``rel`` (a path under ``root``, in a folder that exists) without
    waiting for the disk: a batch writes many files, then makes them durable together with
    ``sync`` before any row names them (an fsync straight after each write costs ~4 ms
    here; ``sync`` ~0.25 ms a file)."""
    with open(os.path.join(root, rel), "xb") as handle:  # a new name: never over a record
        handle.write(data)
    return Written(rel, hashlib.sha256(data).hexdigest(), len(data))


def token() -> str:
    """A short random part of a file name, so two files never take one name."""
    return secrets.token_hex(4)


def write_private(root: Path, rel: str, data: bytes) -> Path:
    """Write ``data`` at ``rel`` under ``root`` readable by its owner only (a preview may
    name a real family), in a folder only its owner may enter, never over a file."""
    path = root / rel
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return path


def sync(root: Path, paths: Iterable[str], new_folders: Iterable[str] = ()) -> None:
    """Make files written by ``write_unsynced`` durable: each file, then each folder once,
    then the folder holding each of ``new_folders`` (made for these files: its name must
    survive too).

    A few files (an advance's letters) are synced one after another: the first fsync
    commits the journal with the new names in it, so the folders' cost almost nothing, and
    no thread is started. Many (a batch) run side by side: the filesystem then commits its
    journal once for many files (measured here, 200 letters: ~3.5 ms a file one after
    another, ~0.25 ms so).
    """
    files = [os.path.join(root, rel) for rel in paths]
    folders = {os.path.dirname(path) for path in files}
    parents = {os.path.dirname(os.path.join(root, rel)) for rel in new_folders}
    if len(files) <= _INLINE:
        for path in [*files, *folders, *parents]:
            _fsync(path)
        return
    with ThreadPoolExecutor(max_workers=_SYNC_THREADS) as pool:
        list(pool.map(_fsync, files))
        list(pool.map(_fsync, [*folders, *parents]))


def _fsync(path: str | Path) -> None:
    """fsync a file or a folder (a folder, so that new names in it survive a power cut)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove(root: Path, paths: Iterable[str]) -> None:
    for rel in paths:
        (root / rel).unlink(missing_ok=True)


def erase(root: Path, paths: Iterable[str]) -> int:
    """Delete documents disposed of, with their PDF print copies, and each case folder
    left empty; the number of files deleted."""
    count = 0
    folders = set()
    for rel in paths:
        for path in (root / rel, (root / rel).with_suffix(".pdf")):
            if path.is_file():
                path.unlink()
                count += 1
        folders.add((root / rel).parent)
    for folder in folders:
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    return count


def sweep(root: Path, recorded: set[str]) -> list[str]:
    """Remove files under cases/documents that no document row names (but the PDF of a
    recorded letter); return them."""
    base = root / DOCUMENTS
    removed = []
    for path in sorted(base.rglob("*")) if base.is_dir() else []:
        rel = path.relative_to(root).as_posix()
        if path.is_file() and rel not in recorded and not _print_copy(rel, recorded):
            path.unlink()
            removed.append(rel)
    return removed


def _print_copy(rel: str, recorded: set[str]) -> bool:
    """A PDF made for printing (``--pdf``) is kept while its letter is recorded."""
    return rel.endswith(".pdf") and f"{rel.removesuffix('.pdf')}.docx" in recorded


def case_document(case_id: str, seq: int, event: str, template: str,
                  recipient: str | None) -> str:
    """Where a case's document goes: numbered by its event, named by what it is and whom
    for, with a random token so two members of staff racing on one case never collide."""
    name = f"{seq:03d}-{safe(event)}-{safe(Path(template).stem)}"
    name += f"-{safe(recipient or 'file')}-{secrets.token_hex(4)}.docx"
    return f"{DOCUMENTS}/{safe(case_id)}/{name}"
