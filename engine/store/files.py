"""Document files under ``cases/``: written whole and durable before any row names them.

Each file is written under a new name (never over a record), then all of one command's
files are fsynced together, then their folders, so the names survive a power cut before
the transaction that records them commits. Names carry a random token, so two members of
staff racing on one case never overwrite each other's letters: the loser's files are
removed and no row ever names them.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import secrets
import stat
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from engine.errors import NoSpace

CASES = "cases"
DOCUMENTS = "cases/documents"
PREVIEWS = "cases/previews"  # letters tried out (liaison letters preview): never recorded
WORK = "cases/work"  # LibreOffice's folder while it makes PDFs (removed after each run)
PREVIEW_HOURS = 1  # a preview is removed by the next preview made an hour or more later
_SYNC_THREADS = 16
_INLINE = 4  # files synced without a thread pool (an advance's letters)
# The case store holds disclosures and parents' addresses: nobody but the account that runs
# Liaison may read, list or change any of it (issue 15).
OWNER_ONLY_UMASK = 0o077
FILE_MODE, FOLDER_MODE = 0o600, 0o700


# What a disk says when nothing more can be written to it.
FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG})


def disk_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in FULL_ERRNOS


def no_room(folder: Path, least: int = 64 * 1024) -> bool:
    """The disk holding ``folder`` is read-only, or has less than ``least`` bytes free."""
    try:
        st = os.statvfs(folder)
    except OSError:
        return False
    return bool(st.f_flag & os.ST_RDONLY) or st.f_bavail * st.f_frsize < least


def no_space(root: Path, what: str = "nothing was recorded") -> NoSpace:
    return NoSpace(f"no space left on {root / CASES} (the disk is full or read-only): "
                   f"{what}")


def owner_only() -> None:
    """Every file and folder this process makes from now on is its owner's alone.

    The umask is the process's: it covers what SQLite makes beside the database (its WAL
    and shared-memory files) and what LibreOffice writes for a PDF, which no mode given
    here reaches. Set where the store is opened; the modes below say it again."""
    os.umask(OWNER_ONLY_UMASK)


def private_folder(path: Path) -> None:
    """``path`` and any missing parents made owner-only (0700)."""
    path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)


def create_private(path: Path) -> None:
    """An empty file at ``path`` made 0600, unless one is there (the database, before
    SQLite opens it, so its WAL and shared-memory files take the same mode)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        pass


def exposed(root: Path) -> list[tuple[str, int]]:
    """Files and folders under cases/ that other accounts may read, list or change: (path
    relative to ``root``, mode)."""
    base = root / CASES
    paths = [base, *sorted(base.rglob("*"))] if base.is_dir() else []
    out = []
    for path in paths:
        mode = stat.S_IMODE(path.lstat().st_mode)
        if mode & 0o077 and not path.is_symlink():
            out.append((path.relative_to(root).as_posix(), mode))
    return out


def tighten(root: Path) -> list[str]:
    """Make every file and folder under cases/ owner-only; return those changed."""
    changed = []
    for rel, mode in exposed(root):
        os.chmod(root / rel, mode & 0o700)
        changed.append(rel)
    return changed


def write_preview(root: Path, name: str, data: bytes) -> Path:
    """A letter previewed (nothing recorded) under cases/previews/, owner-only, never in
    the system's temporary folder; previews older than PREVIEW_HOURS go first."""
    folder = root / PREVIEWS
    private_folder(folder)
    clean_previews(root, older_than_hours=PREVIEW_HOURS)
    own = folder / secrets.token_hex(4)
    own.mkdir(mode=FOLDER_MODE)
    path = own / f"{safe(name)}.docx"
    _write_new(path, data)
    return path


def clean_previews(root: Path, older_than_hours: float = 0) -> list[str]:
    """Remove previews made at least ``older_than_hours`` ago (all of them by default)."""
    folder = root / PREVIEWS
    cutoff = time.time() - older_than_hours * 3600
    removed = []
    for own in sorted(folder.iterdir()) if folder.is_dir() else []:
        parts = sorted(own.iterdir()) if own.is_dir() else [own]
        if all(p.lstat().st_mtime <= cutoff for p in parts):
            for part in parts:
                part.unlink()
                removed.append(part.relative_to(root).as_posix())
            if own.is_dir():
                own.rmdir()
    return removed


def _write_new(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)  # never over a record
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


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
    _write_new(Path(root, rel), data)
    return Written(rel, hashlib.sha256(data).hexdigest(), len(data))


def token() -> str:
    """A short random part of a file name, so two files never take one name."""
    return secrets.token_hex(4)


def write_private(root: Path, rel: str, data: bytes) -> Path:
    """Write ``data`` at ``rel`` under ``root`` readable by its owner only (a preview may
    name a real family), in a folder only its owner may enter, never over a file."""
    path = root / rel
    private_folder(path.parent)
    os.chmod(path.parent, FOLDER_MODE)  # one made before, by another umask
    _write_new(path, data)
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
