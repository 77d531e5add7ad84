"""Document files under ``cases/``: written whole and durable before any row names them.

Each file goes to a temporary name in its final folder, is fsynced, then renamed (atomic
on POSIX), and the folder is fsynced so the rename survives a power cut. Names carry a
random token, so two members of staff racing on one case never overwrite each other's
letters: the loser's files are removed and no row ever names them.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

DOCUMENTS = "cases/documents"


@dataclass(frozen=True)
class Written:
    path: str  # relative to the school directory
    sha256: str
    size: int


def _safe(part: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", part).strip("_") or "x"


def write_documents(root: Path, case_id: str, seq: int, event: str,
                    items: list[tuple[str, str | None, bytes]]) -> list[Written]:
    """Write (template, recipient id, bytes) items durably; return their paths and hashes."""
    folder = root / DOCUMENTS / _safe(case_id)
    written: list[Written] = []
    try:
        for template, recipient, data in items:
            name = f"{seq:03d}-{_safe(event)}-{_safe(Path(template).stem)}"
            name += f"-{_safe(recipient or 'file')}-{secrets.token_hex(4)}.docx"
            written.append(write_file(root, folder / name, data))
    except BaseException:
        remove(root, [w.path for w in written])
        raise
    return written


def write_file(root: Path, path: Path, data: bytes) -> Written:
    """Write ``data`` at ``path`` atomically and durably."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    with open(temp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)
    _fsync_dir(path.parent)
    return Written(path.relative_to(root).as_posix(), hashlib.sha256(data).hexdigest(), len(data))


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove(root: Path, paths: Iterable[str]) -> None:
    for rel in paths:
        (root / rel).unlink(missing_ok=True)


def sweep(root: Path, recorded: set[str]) -> list[str]:
    """Remove files under cases/documents that no document row names; return them."""
    base = root / DOCUMENTS
    removed = []
    for path in sorted(base.rglob("*")) if base.is_dir() else []:
        rel = path.relative_to(root).as_posix()
        if path.is_file() and rel not in recorded:
            path.unlink()
            removed.append(rel)
    return removed
