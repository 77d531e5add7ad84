"""Letter templates kept compiled between processes, so a command's first letter renders
at the speed of its hundredth (issue 14).

Each CLI command is a fresh process, and compiling a template (unzipping it, docxtpl's
pre-processing, reading what it prints, Jinja's compile) cost ~30-70 ms against a warm
render's ~0.5 ms. ``warm`` looks for the template's compiled form under
``$XDG_CACHE_HOME/liaison/letters`` (``~/.cache`` by default; ``LIAISON_CACHE`` to choose
another folder), keyed by the SHA-256 of the template's bytes and of the engine that
compiled it, so an edited template, or a new version of Liaison, is compiled afresh.

A compiled form is code, so one is used only from a folder and file that belong to this
user and nobody else may write (made 0700 and 0600); anything else, or an entry that does
not load (cut short, corrupt), is ignored and made again. Failing to keep one (a read-only
home) costs only speed: the letter is rendered all the same.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from engine.errors import LetterError
from engine.letters import renderer as letters


def folder() -> Path:
    chosen = os.environ.get("LIAISON_CACHE")
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "liaison" / "letters"


def warm(template: Path) -> str:
    """Make sure this process holds ``template`` compiled before it renders: "held"
    already, "loaded" from its kept form, or "compiled" (and kept for the next process).
    A broken template is left for ``render`` to report."""
    if letters.is_loaded(template):
        return "held"
    try:
        path = folder() / f"{letters.compiled_key(template)}.bin"
    except LetterError:
        return "compiled"  # unreadable: render says so
    kept = _read_own(path)
    if kept is not None and letters.import_compiled(template, kept):
        return "loaded"
    try:
        made = letters.export_compiled(template)
    except LetterError:
        return "compiled"
    _keep(path, made)
    return "compiled"


def _private(info: os.stat_result) -> bool:
    """Owned by this user, and nobody else may write to it (or, for a file, read it)."""
    return info.st_uid == os.geteuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _read_own(path: Path) -> bytes | None:
    try:
        if not _private(os.stat(path.parent)):
            return None
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not _private(info) or info.st_mode & stat.S_IRWXO or not stat.S_ISREG(info.st_mode):
            return None
        return fh.read()


def _keep(path: Path, data: bytes) -> None:
    """Write the entry whole under a temporary name, then rename it into place: a reader
    sees the old entry, the new one, or none, never half of one."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(os.stat(path.parent)):
            return  # not ours to write into
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")  # 0600
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        return  # a cache we cannot keep costs speed, not the letter
