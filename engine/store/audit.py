"""The audit trail checked, and anchored (issue 11, PWP-5.6: records a school can defend).

Each case's events chain by hash (``database._append_event``): an edited field, a removed
or reordered event shows as a link that no longer matches. A chain cannot show that its
newest events, or a whole case, were deleted: so once a day the store writes a **seal**, a
hash over every case's head (the last event's number and hash) as of the newest event
then, chained to the seal before it. ``verify`` recomputes every chain, checks each case
row against its trail, each document's file against its SHA-256, and the newest seal
against the events it covered: deleting a case or the end of a trail sealed before now
breaks it. (Tampering after the newest seal with the seals themselves needs an anchor
outside the database: ``liaison audit seal`` prints the newest seal's hash to keep.)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from engine.store.database import (
    EVENT_BODY,
    _json,
    cases,
    chain_hash,
    disposals,
    documents,
    events,
    heads,
    seals,
    tombstone_hash,
)


@dataclass(frozen=True)
class Broken:
    """The first link that does not hold: which case (or document, or seal) and what."""

    case: str | None
    message: str


@dataclass(frozen=True)
class Verified:
    cases: int
    events: int
    documents: int
    seals: int
    sealed_on: str | None
    disposed: int = 0  # tombstones of disposed cases, each checked


# The columns verify reads: what the hash covers (in EVENT_BODY's order), then the links.
TRAIL_COLUMNS = [events.c[k] for k in EVENT_BODY] + [events.c.prev_hash, events.c.hash]


def event_hash(prev: str, row: Any) -> str:
    """The hash an event row was written with (database._append_event); ``row`` holds the
    columns of EVENT_BODY first, in its order."""
    return chain_hash(prev, dict(zip(EVENT_BODY, row, strict=False)))


# ---------------------------------------------------------------------------- verifying


def verify(conn: Connection, root: Path, case: str | None = None) -> Broken | Verified:
    """Every chain (or one case's), case row, document and the newest seal; the first
    link that does not hold, else the counts."""
    where = [events.c.case_id == case] if case else []
    rows = conn.execution_options(yield_per=5000).execute(
        select(*TRAIL_COLUMNS).where(*where).order_by(events.c.case_id, events.c.seq))
    states = {r.id: r for r in conn.execute(
        select(cases.c.id, cases.c.state, cases.c.version).where(
            *([cases.c.id == case] if case else [])))}
    counted = 0
    seen: set[str] = set()
    for case_id, trail in _by_case(rows):
        seen.add(case_id)
        counted += len(trail)
        broken = _chain(case_id, trail) or _case_row(case_id, trail, states.get(case_id))
        if broken:
            return broken
    for case_id in sorted(set(states) - seen):
        return Broken(case_id, f"{case_id}: the case has no events (its trail was deleted)")
    docs = conn.execute(select(documents.c.path, documents.c.sha256, documents.c.case_id)
                        .where(*([documents.c.case_id == case] if case else []))
                        .order_by(documents.c.id)).all()
    for doc in docs:
        found = _sha256(root / doc.path)
        if found != doc.sha256:
            what = "is missing" if found is None else "is not the file recorded (SHA-256 differs)"
            return Broken(doc.case_id, f"{doc.path} {what}")
    tombstones = _tombstones(conn, seen | set(states)) if case is None else 0
    if isinstance(tombstones, Broken):
        return tombstones
    sealed = _seals(conn) if case is None else None
    if isinstance(sealed, Broken):
        return sealed
    count = conn.scalar(select(func.count()).select_from(seals))
    return Verified(len(seen), counted, len(docs), count or 0, sealed, tombstones)


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def _by_case(rows: Any) -> Iterator[tuple[str, list[Any]]]:
    for case_id, trail in groupby(rows, key=itemgetter(0)):  # rows come ordered by case
        yield case_id, list(trail)


def _chain(case_id: str, trail: list[Any]) -> Broken | None:
    prev = ""
    for expected, row in enumerate(trail, 1):
        if row.seq != expected:
            return Broken(case_id, f"{case_id}: event {expected} is missing (the next is "
                                   f"{row.seq})")
        if row.prev_hash != prev or event_hash(prev, row) != row.hash:
            return Broken(case_id, f"{case_id}: event {row.seq} ({row.event}) does not match "
                                   "its hash: it was changed after it was recorded")
        prev = row.hash
    return None


def _case_row(case_id: str, trail: list[Any], row: Any) -> Broken | None:
    if row is None:
        return Broken(case_id, f"{case_id}: the case row is gone but {len(trail)} events remain")
    if row.state != trail[-1].to_state or row.version != len(trail):
        return Broken(case_id, f"{case_id}: the case says '{row.state}' (version "
                               f"{row.version}) but its trail ends in '{trail[-1].to_state}' "
                               f"after {len(trail)} events")
    return None


def _tombstones(conn: Connection, live: set[str]) -> Broken | int:
    """Each disposed case's tombstone: its own hash, its place in the chain of disposals,
    and the links of the trail it keeps (the events' bodies are gone with the personal
    data they held); none of its events or case row may remain. The count, else the
    first that does not hold."""
    prev, count = "", 0
    for row in conn.execute(select(disposals).order_by(disposals.c.id)):
        values = row._mapping
        if row.prev_hash != prev or tombstone_hash(values) != row.hash:
            return Broken(row.case_id, f"{row.case_id}: the tombstone of the disposed case "
                                       "does not match its hash")
        if row.case_id in live:
            return Broken(row.case_id, f"{row.case_id}: the case was disposed of but its "
                                       "records remain")
        link = ""
        for expected, entry in enumerate(json.loads(row.trail), 1):
            if entry["seq"] != expected or entry["prev_hash"] != link:
                return Broken(row.case_id, f"{row.case_id}: the tombstone's trail breaks at "
                                           f"event {expected}")
            link = entry["hash"]
        prev, count = row.hash, count + 1
    return count


def _seals(conn: Connection) -> Broken | str | None:
    """The seals' own chain, and the newest seal against the events it covered; the day
    it sealed, or None when there is no seal yet."""
    prev, last = "", None
    for row in conn.execute(select(seals).order_by(seals.c.id)):
        body = {k: getattr(row, k) for k in ("sealed_on", "sealed_at", "last_event_id",
                                             "cases", "heads", "prev_hash")}
        if row.prev_hash != prev or hashlib.sha256(_json(body).encode()).hexdigest() != row.hash:
            return Broken(None, f"the seal of {row.sealed_on} does not match its hash")
        prev, last = row.hash, row
    if last is None:
        return None
    count, digest = heads(conn, last.last_event_id)
    if count != last.cases:
        return Broken(None, f"the seal of {last.sealed_on} covered {last.cases} cases and "
                            f"{count} are left: a case sealed then has been deleted")
    if digest != last.heads:
        return Broken(None, f"the seal of {last.sealed_on} no longer matches: events sealed "
                            "then have been deleted or changed")
    return last.sealed_on
