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
Disposed cases' tombstones and the records of subject access exports are chains of their
own, checked too (the newest of either removed is not yet covered by a seal).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import multiprocessing
import operator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import String, Text, cast, func, literal_column, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from engine.store.database import (
    EVENT_BODY,
    _json,
    cases,
    chain_hash,
    disposals,
    documents,
    events,
    export_hash,
    exports,
    heads,
    history_hash,
    outbox,
    outbox_history,
    own,
    plain_rows,
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
    exports: int = 0  # records of subject access exports, each checked
    letters: int = 0  # letters on their way or gone (outbox rows), each one's way out checked


# The columns of an event's hash (EVENT_BODY's order), then its links: read again, for the
# hash's own way (chain_hash), only where the database's text of it did not match.
TRAIL_COLUMNS = [events.c[k] for k in EVENT_BODY] + [events.c.prev_hash, events.c.hash]


def hashed_text(dialect: str, c: Any = events.c) -> ColumnElement[str]:
    """What an event's hash is taken of (``prev_hash`` then the JSON that
    ``database.chain_hash`` writes of EVENT_BODY: keys sorted, no spaces), written by the
    database itself (SQLite's json_object, PostgreSQL's to_json of each value), so that
    verify reads one text per event instead of ten values and writes no JSON in Python:
    a third of its time (bench/audit.py). Both escape text as Python's encoder does;
    where one writes a value otherwise, the hash does not match and verify takes the
    store's own way (``_holds``) before it calls the link broken. ``c``: the columns (the
    events table's, or a test's values)."""
    keys = sorted(EVENT_BODY)
    if dialect == "sqlite":
        pairs = [x for k in keys for x in (literal_column(f"'{k}'"), c[k])]
        return c.prev_hash + func.json_object(*pairs, type_=String)
    parts: list[ColumnElement[str]] = [c.prev_hash]
    for n, key in enumerate(keys):
        value = func.coalesce(cast(func.to_json(c[key]), Text), literal_column("'null'"))
        parts += [literal_column(f"""'{"{" if n == 0 else ","}"{key}":'""", String), value]
    parts.append(literal_column("'}'", String))
    return functools.reduce(operator.add, parts)


def _holds(conn: Connection, case_id: str, seq: int, prev: str, digest: str) -> bool:
    """The event's hash taken the store's own way (``chain_hash``), from its columns."""
    row = conn.execute(select(*TRAIL_COLUMNS).where(events.c.case_id == case_id,
                                                    events.c.seq == seq)).one()
    body = dict(zip(EVENT_BODY, row, strict=False))
    return chain_hash(prev, body) == digest


# ---------------------------------------------------------------------------- verifying


# With ``workers`` > 1 (``liaison audit verify --processes N``), from this many events
# the chains are checked in that many processes; below it, starting them costs more than
# it saves. One is the default: on this 2-core machine shared by other jobs, two were
# slower than one (bench/README.md).
PARALLEL_FROM = 50_000


def verify(conn: Connection, root: Path, case: str | None = None, workers: int = 1,
           parallel_from: int = PARALLEL_FROM) -> Broken | Verified:
    """Every chain (or one case's), case row, document and the newest seal; the first
    link that does not hold, else the counts. From ``parallel_from`` events the chains are
    checked in ``workers`` processes, each over its own range of case numbers, while this
    one hashes the documents and checks the seals."""
    total = 0 if case is not None or workers <= 1 else \
        conn.scalar(select(func.count()).select_from(events)) or 0
    if total and total >= parallel_from:
        with _TrailsInParallel(conn, workers, total) as running:
            docs, bad_doc = _documents(conn, root, case)
            sealed = _seals(conn)
            broken, missing, seen, counted = running.result()
    else:
        broken, missing, seen, counted = _trails(conn, case)
        docs, bad_doc = _documents(conn, root, case) if not (broken or missing) else (0, None)
        sealed = _seals(conn) if case is None and not bad_doc else None
    if broken:
        return broken
    if missing:
        case_id = min(missing)
        return Broken(case_id, f"{case_id}: the case has no events (its trail was deleted)")
    if bad_doc:
        return bad_doc
    letters = _letters(conn, case)
    if isinstance(letters, Broken):
        return letters
    tombstones = _tombstones(conn, seen) if case is None else 0
    if isinstance(tombstones, Broken):
        return tombstones
    if isinstance(sealed, Broken):
        return sealed
    exported = _exports(conn) if case is None else 0
    if isinstance(exported, Broken):
        return exported
    count = conn.scalar(select(func.count()).select_from(seals))
    return Verified(len(seen - set(missing)), counted, docs, count or 0, sealed, tombstones,
                    exported, letters)


def _letters(conn: Connection, case: str | None) -> Broken | int:
    """Each letter's way out (outbox_history): its chain from the event that made the
    letter, and its outbox row's status and attempts against the chain's last entry, so a
    history row edited or removed shows. How many letters, else the first that breaks."""
    where = [outbox.c.case_id == case] if case else []
    letters = conn.execute(
        select(outbox.c.id, outbox.c.case_id, outbox.c.key, outbox.c.status,
               outbox.c.attempts, events.c.hash.label("anchor"))
        .join(documents, documents.c.id == outbox.c.document_id)
        .outerjoin(events, events.c.id == documents.c.event_id)
        .where(*where).order_by(outbox.c.id)).all()
    query = select(outbox_history.c.outbox_id, outbox_history.c.at, outbox_history.c.status,
                   outbox_history.c.attempt, outbox_history.c.detail,
                   outbox_history.c.prev_hash, outbox_history.c.hash)
    if case:
        query = query.where(outbox_history.c.outbox_id.in_(
            select(outbox.c.id).where(*where)))
    rows = plain_rows(conn, query.order_by(outbox_history.c.outbox_id, outbox_history.c.id))
    ways = {letter: list(way)
            for letter, way in itertools.groupby(rows, key=operator.itemgetter(0))}
    for letter in letters:
        broken = _way_out(letter, ways.get(letter.id, []))
        if broken:
            return Broken(letter.case_id, broken)
    return len(letters)


def _way_out(letter: Any, way: list[Any]) -> str | None:
    """What is wrong with one letter's way out (its history rows, oldest first), if any."""
    name = f"{letter.case_id or 'a batch'}: letter {letter.id}"
    if not way:
        return f"{name} has no history of its way out (it was deleted)"
    prev = letter.anchor or ""
    for _, at, status, attempt, detail, prev_hash, made in way:
        if prev_hash != prev or history_hash(prev, letter.key, at, status, attempt,
                                             detail) != made:
            return (f"{name}: its way out at {at} ('{status}') does not match its hash: "
                    "it was changed, or one before it removed, after it was recorded")
        prev = made
    last = way[-1]
    if (last[2], last[3]) != (letter.status, letter.attempts):
        return (f"{name} says '{letter.status}' after {letter.attempts} attempt(s) but its "
                f"way out ends in '{last[2]}' after {last[3]}: its newest history was removed")
    return None


def _documents(conn: Connection, root: Path, case: str | None) -> tuple[int, Broken | None]:
    """Each document's file against its SHA-256: how many, and the first that differs."""
    docs = conn.execute(select(documents.c.path, documents.c.sha256, documents.c.case_id)
                        .where(*([documents.c.case_id == case] if case else []))
                        .order_by(documents.c.id)).all()
    for doc in docs:
        found = _sha256(root / doc.path)
        if found != doc.sha256:
            what = "is missing" if found is None else "is not the file recorded (SHA-256 differs)"
            return len(docs), Broken(doc.case_id, f"{doc.path} {what}")
    return len(docs), None


Trails = tuple[Broken | None, list[str], set[str], int]


def _trails(conn: Connection, case: str | None = None, start: str | None = None,
            end: str | None = None) -> Trails:
    """The chains and case rows of one case, of the cases numbered from ``start`` up to
    (not including) ``end``, or of all: the first broken link, the cases with a row but no
    events, every case seen (with events or a row) and the events counted. One pass over
    the events in case order, a tuple of six values each, with no list per case."""
    where, rows_where = [], []
    if case:
        where, rows_where = [events.c.case_id == case], [cases.c.id == case]
    if start is not None:
        where.append(events.c.case_id >= start)
        rows_where.append(cases.c.id >= start)
    if end is not None:
        where.append(events.c.case_id < end)
        rows_where.append(cases.c.id < end)
    states = {id_: (state, version) for id_, state, version in plain_rows(
        conn, select(cases.c.id, cases.c.state, cases.c.version).where(*rows_where))}
    rows = plain_rows(conn, select(events.c.case_id, events.c.seq, events.c.event,
                                   events.c.to_state, events.c.prev_hash, events.c.hash,
                                   hashed_text(conn.dialect.name))
                      .where(*where).order_by(events.c.case_id, events.c.seq))
    sha256 = hashlib.sha256
    seen: set[str] = set()
    current, link, count, last, counted = None, "", 0, "", 0
    for case_id, seq, event, to_state, prev, digest, text in rows:
        if case_id != current:
            broken = _case_row(current, count, last, states) if current else None
            if broken:
                return broken, [], seen, counted
            seen.add(case_id)
            current, link, count = case_id, "", 0
        count += 1
        if seq != count:
            return Broken(case_id, f"{case_id}: event {count} is missing (the next is "
                                   f"{seq})"), [], seen, counted
        if prev != link or (sha256(text.encode()).hexdigest() != digest
                            and not _holds(conn, case_id, seq, prev, digest)):
            return Broken(case_id, f"{case_id}: event {seq} ({event}) does not match its "
                                   "hash: it was changed after it was recorded"), [], seen, counted
        link, last, counted = digest, to_state, counted + 1
    broken = _case_row(current, count, last, states) if current else None
    if broken:
        return broken, [], seen, counted
    missing = sorted(set(states) - seen)
    return None, missing, seen | set(states), counted


def _case_row(case_id: str, count: int, last: str,
              states: dict[str, tuple[str, int]]) -> Broken | None:
    """The case row against its trail: its state the last event's, its version the count."""
    row = states.get(case_id)
    if row is None:
        return Broken(case_id, f"{case_id}: the case row is gone but {count} events remain")
    if row != (last, count):
        return Broken(case_id, f"{case_id}: the case says '{row[0]}' (version {row[1]}) but "
                               f"its trail ends in '{last}' after {count} events")
    return None


class _TrailsInParallel:
    """``_trails`` split at case numbers into ``workers`` ranges of about as many events,
    each checked by a process of its own on its own connection (forked where the system
    can: no start-up), while the caller goes on. Each range is read in a transaction of
    its own: the chains are append-only, so a case moved on meanwhile is checked as it was
    then or after."""

    def __init__(self, conn: Connection, workers: int, total: int) -> None:
        bounds = [conn.scalar(select(events.c.case_id)
                              .order_by(events.c.case_id, events.c.seq)
                              .offset(total * k // workers).limit(1))
                  for k in range(1, workers)]
        edges = [None, *sorted({b for b in bounds if b is not None}), None]
        self.ranges = list(zip(edges, edges[1:], strict=False))
        self.url = conn.engine.url.render_as_string(hide_password=False)
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else None)
        self.pool = ProcessPoolExecutor(len(self.ranges), mp_context=context)

    def __enter__(self) -> _TrailsInParallel:
        self.futures = [self.pool.submit(_trails_of_range, self.url, r) for r in self.ranges]
        return self

    def __exit__(self, *_: object) -> None:
        self.pool.shutdown(cancel_futures=True)

    def result(self) -> Trails:
        parts = [f.result() for f in self.futures]
        broken = next((p[0] for p in parts if p[0] is not None), None)
        missing = sorted(m for p in parts for m in p[1])
        seen: set[str] = set().union(*(p[2] for p in parts))
        return broken, missing, seen, sum(p[3] for p in parts)


def _trails_of_range(url: str, bounds: tuple[str | None, str | None]) -> Trails:
    """A worker: its range's trails, read in one transaction of its own."""
    from sqlalchemy import create_engine, event

    from engine.store.database import Store

    engine = create_engine(url)
    event.listen(engine, "connect", Store._on_connect(5000))
    event.listen(engine, "begin", Store._on_begin)
    try:
        with engine.connect() as conn, conn.begin():
            return _trails(conn, None, *bounds)
    finally:
        engine.dispose()


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def _tombstones(conn: Connection, live: set[str]) -> Broken | int:
    """Each disposed case's tombstone: its own hash, its place in the chain of disposals,
    and the links of the trail it keeps (the events' bodies are gone with the personal
    data they held); none of its events or case row may remain. The count, else the
    first that does not hold."""
    prev, count = "", 0
    for row in conn.execute(select(*own(disposals)).order_by(disposals.c.id)):
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


def _exports(conn: Connection) -> Broken | int:
    """The chain of subject access exports' records (who exported whose data, when, the
    manifest's hash): the count, else the first record edited or taken out."""
    prev, count = "", 0
    for row in conn.execute(select(*own(exports)).order_by(exports.c.id)):
        if row.prev_hash != prev or export_hash(row._mapping) != row.hash:
            return Broken(None, f"the record of the subject access export of "
                                f"{row.exported_at} does not match its hash (edited, or "
                                "an export before it removed)")
        prev, count = row.hash, count + 1
    return count


def _seals(conn: Connection) -> Broken | str | None:
    """The seals' own chain, and the newest seal against the events it covered; the day
    it sealed, or None when there is no seal yet."""
    prev, last = "", None
    for row in conn.execute(select(*own(seals)).order_by(seals.c.id)):
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
