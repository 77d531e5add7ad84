"""The store's lock file, ``cases/liaison.sqlite3.lock``: writers share it, ``doctor`` has it
alone.

A writer (an open, an advance, a group of batch letters) holds the lock shared from the
moment it writes its first letter until its transaction has committed or its files are
removed; ``doctor`` holds it exclusively while it decides which files no row names and
removes them. So ``doctor`` never sees another process's letters in flight, and two
``doctor``\\s never run at once. The lock is ``flock(2)`` on a file opened with
``O_CREAT`` (POSIX): the kernel releases it when the process dies, even by ``kill -9``,
so a crashed writer never leaves the store locked.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from engine.errors import StoreBusy


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


@contextmanager
def _held(database: Path, operation: int) -> Iterator[None]:
    fd = os.open(lock_path(database), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, operation)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


@contextmanager
def migrating(database: Path) -> Iterator[None]:
    """Held by the one process bringing a SQLite store to the current schema; the others
    opening it at that moment wait for it, then find the schema current (SQLite's busy
    timeout alone let a slow migration fail the rest with "database is locked")."""
    fd = os.open(database.with_name(database.name + ".schema-lock"), os.O_RDWR | os.O_CREAT,
                 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


@contextmanager
def writing(database: Path) -> Iterator[None]:
    """Held by a writer while its letters are on disk and not yet recorded (shared:
    writers never wait for each other, only for a ``doctor`` that is running)."""
    with _held(database, fcntl.LOCK_SH):
        yield


@contextmanager
def alone(database: Path, wait: bool) -> Iterator[None]:
    """Held by ``doctor``: no writer has letters in flight, and no other ``doctor`` runs.
    Without ``wait``, StoreBusy at once when a writer (or a ``doctor``) holds the lock."""
    operation = fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB
    try:
        with _held(database, operation):
            yield
    except BlockingIOError:
        raise StoreBusy("letters are being written by another command (or another "
                        "'liaison doctor' is running): nothing was removed; run "
                        "'liaison doctor --wait' to wait for them") from None
