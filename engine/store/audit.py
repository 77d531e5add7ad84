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
import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import groupby
from json.encoder import encode_basestring  # type: ignore[attr-defined]
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
    history_hash,
    outbox,
    outbox_history,
    own,
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
    letters: int = 0  # letters on their way or gone (outbox rows), each one's way out checked


# The columns verify reads: what the hash covers (in EVENT_BODY's order), then the links.
TRAIL_COLUMNS = [events.c[k] for k in EVENT_BODY] + [events.c.prev_hash, events.c.hash]


# EVENT_BODY's columns in the order the hash's JSON writes them (its keys sorted), and
# that JSON with a hole for each value: the same text as database._json of the body,
# built without a dict and a sort for each of the school's events.
_SORTED = sorted(range(len(EVENT_BODY)), key=lambda i: EVENT_BODY[i])
_TEMPLATE = "{" + ",".join(f"{encode_basestring(EVENT_BODY[i])}:%s" for i in _SORTED) + "}"
# The positions of EVENT_BODY's columns in that order: written out for speed (checked here).
assert tuple(_SORTED) == (5, 6, 0, 2, 9, 3, 7, 8, 1, 4), "EVENT_BODY changed: update these"


def event_hash(prev: str, r: Any) -> str:
    """The hash an event row was written with (database._append_event); ``r`` holds the
    columns of EVENT_BODY first, in its order. The JSON is written here, straight from
    the row, when it holds what the store writes (text, a whole number for ``seq``, null
    for no ``from_state``; about twice as fast, bench/audit.py); anything else goes the
    long way, through ``chain_hash`` itself."""
    enc = encode_basestring
    if type(r[1]) is int:
        try:
            text = _TEMPLATE % (enc(r[5]), enc(r[6]), enc(r[0]), enc(r[2]), enc(r[9]),
                                "null" if r[3] is None else enc(r[3]), enc(r[7]), enc(r[8]),
                                int.__repr__(r[1]), enc(r[4]))
        except TypeError:  # a value that is not text: the encoder's own way below
            pass
        else:
            return hashlib.sha256((prev + text).encode()).hexdigest()
    return chain_hash(prev, dict(zip(EVENT_BODY, r, strict=False)))


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
    count = conn.scalar(select(func.count()).select_from(seals))
    return Verified(len(seen - set(missing)), counted, docs, count or 0, sealed, tombstones,
                    letters)


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
    ways = dict(_by_case(_tuples(conn, query.order_by(outbox_history.c.outbox_id,
                                                      outbox_history.c.id))))
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
    events, every case seen (with events or a row) and the events counted."""
    where, rows_where = [], []
    if case:
        where, rows_where = [events.c.case_id == case], [cases.c.id == case]
    if start is not None:
        where.append(events.c.case_id >= start)
        rows_where.append(cases.c.id >= start)
    if end is not None:
        where.append(events.c.case_id < end)
        rows_where.append(cases.c.id < end)
    rows = _tuples(conn, select(*TRAIL_COLUMNS).where(*where)
                   .order_by(events.c.case_id, events.c.seq))
    states = {r.id: r for r in conn.execute(
        select(cases.c.id, cases.c.state, cases.c.version).where(*rows_where))}
    counted = 0
    seen: set[str] = set()
    for case_id, trail in _by_case(rows):
        seen.add(case_id)
        counted += len(trail)
        broken = _chain(case_id, trail) or _case_row(case_id, trail, states.get(case_id))
        if broken:
            return broken, [], seen, counted
    missing = sorted(set(states) - seen)
    return None, missing, seen | set(states), counted


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


def _by_case(rows: Any) -> Iterator[tuple[str, list[Any]]]:
    for case_id, trail in groupby(rows, key=itemgetter(0)):  # rows come ordered by case
        yield case_id, list(trail)


def _tuples(conn: Connection, query: Any) -> Iterator[tuple[Any, ...]]:
    """The query's rows as plain tuples, 5,000 at a time, on the connection's own DBAPI
    cursor (in its transaction): a row object per event was a fifth of verify's time."""
    compiled = query.compile(dialect=conn.dialect)
    params = compiled.params
    # SQLite's driver takes the values by position, psycopg (PostgreSQL) by name.
    args = [params[k] for k in compiled.positiontup] if compiled.positiontup else params
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(str(compiled), args)
        while batch := cursor.fetchmany(5000):
            yield from batch
    finally:
        cursor.close()


# The positions in a row of TRAIL_COLUMNS.
_N_SEQ, _N_EVENT, _N_TO = EVENT_BODY.index("seq"), EVENT_BODY.index("event"), \
    EVENT_BODY.index("to_state")
_N_PREV, _N_HASH = len(EVENT_BODY), len(EVENT_BODY) + 1


def _chain(case_id: str, trail: list[Any]) -> Broken | None:
    prev = ""
    for expected, row in enumerate(trail, 1):
        if row[_N_SEQ] != expected:
            return Broken(case_id, f"{case_id}: event {expected} is missing (the next is "
                                   f"{row[_N_SEQ]})")
        if row[_N_PREV] != prev or event_hash(prev, row) != row[_N_HASH]:
            return Broken(case_id, f"{case_id}: event {row[_N_SEQ]} ({row[_N_EVENT]}) does "
                                   "not match its hash: it was changed after it was recorded")
        prev = row[_N_HASH]
    return None


def _case_row(case_id: str, trail: list[Any], row: Any) -> Broken | None:
    if row is None:
        return Broken(case_id, f"{case_id}: the case row is gone but {len(trail)} events remain")
    if row.state != trail[-1][_N_TO] or row.version != len(trail):
        return Broken(case_id, f"{case_id}: the case says '{row.state}' (version "
                               f"{row.version}) but its trail ends in '{trail[-1][_N_TO]}' "
                               f"after {len(trail)} events")
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
