"""The case store: the only importer of the database layer (SQLAlchemy Core over SQLite).

Writes start with ``BEGIN IMMEDIATE``: a deferred transaction that later upgrades to a
write gets "database is locked" at once, ignoring the busy timeout. A case's state moves
with a conditional ``UPDATE ... WHERE id = ? AND version = ?``, so of two racing advances
exactly one wins. The events table is append-only and each row's hash chains to the
previous one of its case, so a later edit of the audit trail shows.

Written against SQLAlchemy Core so a PostgreSQL store can sit behind the same class.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import heapq
import json
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    bindparam,
    cast,
    create_engine,
    event,
    func,
    insert,
    literal_column,
    not_,
    or_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy import case as case_when
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import IntegrityError, OperationalError

from engine.core import sending
from engine.core.rows import (
    CaseMove,
    CaseRow,
    Change,
    DeadlineRow,
    DocumentRow,
    EventRow,
    Visibility,
)
from engine.errors import ConflictError, InputError, NotFound, StoreUnreachable
from engine.store import files
from engine.store import migrations as schema

__all__ = ["CaseMove", "CaseRow", "Change", "DeadlineRow", "DocumentRow", "EventRow",
           "Reads", "Store", "logins", "sign_ins"]

_T = TypeVar("_T")
metadata = MetaData()


def _school_of(context: Any) -> str:
    """Every row is written with the school of the transaction writing it (Store.writing)."""
    return str(context.execution_options["school_id"])


def _school_id() -> Column[str]:
    # Each school's rows carry its id: on PostgreSQL the keys lead with it and row-level
    # security lets a transaction see only its school's rows (migration 0009_school_id).
    return Column("school_id", String, nullable=False, default=_school_of)


def own(table: Table) -> list[Column[Any]]:
    """A table's columns but school_id: what a row says, whichever school it is."""
    return [c for c in table.c if c.name != "school_id"]

students = Table(
    "students", metadata,
    _school_id(),
    Column("id", String, primary_key=True),
    Column("first_name", String, nullable=False),
    Column("last_name", String, nullable=False),
    Column("year", Integer, nullable=False),
    Column("form", String, nullable=False, default=""),
    Column("house", String, nullable=False, default=""),
    Column("updated_at", String, nullable=False),
    Column("looked_after", Boolean, nullable=False, default=False),  # added by 0007
    Column("date_of_birth", String),  # ISO date, if the MIS export gives it (0015_retention)
)

contacts = Table(
    "contacts", metadata,
    _school_id(),
    Column("id", String, primary_key=True),
    Column("student_id", String, ForeignKey("students.id"), nullable=False, index=True),
    Column("data", Text, nullable=False),  # the contact's columns as JSON
    Column("updated_at", String, nullable=False),
)

cases = Table(
    "cases", metadata,
    _school_id(),
    Column("id", String, primary_key=True),
    Column("workflow", String, nullable=False),
    Column("state", String, nullable=False),
    Column("student_id", String, ForeignKey("students.id"), nullable=False),
    Column("contact_id", String, index=True),  # the parent concerned, if any
    Column("holder", String),  # a staff id, or "role:NAME"
    Column("fields", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("opened_at", String, nullable=False),
    Column("opened_by", String, nullable=False),
    Column("closed_at", String),
    Column("restricted", Boolean, nullable=False, default=False),
    Column("child_protection", Boolean, nullable=False, default=False),
    Column("legal_hold", Boolean, nullable=False, default=False),  # revision 0015_retention
    Index("ix_cases_workflow_state", "workflow", "state"),
    Index("ix_cases_student", "student_id"),
)

events = Table(
    "events", metadata,
    _school_id(),
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", String, ForeignKey("cases.id"), nullable=False, index=True),
    Column("seq", Integer, nullable=False),
    Column("event", String, nullable=False),
    Column("from_state", String),
    Column("to_state", String, nullable=False),
    Column("actor", String, nullable=False),
    Column("actor_name", String, nullable=False),
    Column("occurred_at", String, nullable=False),
    Column("recorded_at", String, nullable=False),
    Column("fields", Text, nullable=False),
    Column("prev_hash", String, nullable=False),
    Column("hash", String, nullable=False),
)

documents = Table(
    "documents", metadata,
    _school_id(),
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", String, ForeignKey("cases.id"), index=True),
    Column("event_id", Integer, ForeignKey("events.id")),
    Column("student_id", String, nullable=False, index=True),
    Column("template", String, nullable=False),
    Column("recipient_id", String),
    Column("recipient_name", String, nullable=False),
    Column("path", String, nullable=False, unique=True),
    Column("sha256", String, nullable=False),
    Column("size", Integer, nullable=False),
    Column("batch_key", String, unique=True),  # set by batch letters, so a re-run skips it
    Column("created_at", String, nullable=False),
    Column("context", Text),  # the letter's context as JSON (added by 0005)
)

deadlines = Table(
    "deadlines", metadata,
    _school_id(),
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", String, ForeignKey("cases.id"), nullable=False, index=True),
    Column("name", String, nullable=False),
    Column("title", String, nullable=False),
    Column("clause", String, nullable=False, default=""),
    Column("due_on", String, nullable=False),  # the date, for the due list
    Column("due_at", String),  # the moment, for deadlines in minutes
    Column("status", String, nullable=False, default="open"),  # open | met | cancelled
    Column("met_at", String),
    Column("event_id", Integer, ForeignKey("events.id")),
)

counters = Table(
    "counters", metadata,
    _school_id(),
    Column("prefix", String, primary_key=True),
    Column("last", Integer, nullable=False),
)

# Counts kept by the day, in the same transaction as the rows they count (triggers of
# revision 0018_perf_tallies): the report sums these instead of reading every row.
event_tallies = Table(
    "event_tallies", metadata,
    _school_id(),
    Column("day", String, primary_key=True),  # YYYY-MM-DD the event happened
    Column("workflow", String, primary_key=True),
    Column("restricted", Boolean, primary_key=True),  # the case's, as stored
    Column("event", String, primary_key=True),
    Column("n", Integer, nullable=False),
)

deadline_tallies = Table(
    "deadline_tallies", metadata,
    _school_id(),
    Column("day", String, primary_key=True),  # the day the deadline falls on (due_on)
    Column("workflow", String, primary_key=True),
    Column("restricted", Boolean, primary_key=True),
    Column("outcome", String, primary_key=True),  # met (on time), late, cancelled, open
    Column("n", Integer, nullable=False),
)

# Once a day, a hash over every case's last event, chained to the seal before (see
# engine/store/audit.py): deleting a case, or the newest events of its trail, shows.
seals = Table(
    "seals", metadata,
    _school_id(),
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sealed_on", String, nullable=False),  # the day it seals (YYYY-MM-DD)
    Column("sealed_at", String, nullable=False),
    Column("last_event_id", Integer, nullable=False),  # the newest event it covers
    Column("cases", Integer, nullable=False),
    Column("heads", String, nullable=False),  # SHA-256 of every case's head
    Column("prev_hash", String, nullable=False),
    Column("hash", String, nullable=False),
)

# Who may sign in to the web page, and how: an Argon2 hash of the password, the TOTP
# secret of a second factor, and the count of failed sign-ins that locks an account.
logins = Table(
    "logins", metadata,
    _school_id(),
    Column("staff_id", String, primary_key=True),
    Column("password_hash", String),
    Column("totp_secret", String),
    Column("totp_last_step", Integer),  # the newest code used: a code works once
    Column("failures", Integer, nullable=False, default=0),
    Column("locked_until", String),
    Column("updated_at", String, nullable=False),
    Column("token_hash", String, unique=True),  # the CLI's personal token (0016_cli_tokens)
)

# Every sign-in tried on the web page, kept (who, when, how it went; never the password).
sign_ins = Table(
    "sign_ins", metadata,
    _school_id(),
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("staff_id", String, nullable=False, index=True),
    Column("at", String, nullable=False),
    Column("outcome", String, nullable=False),  # signed_in | bad_password | bad_code | locked
)

# Each time a member of staff reads a restricted case (CLA-3), who, when, what and through
# which door: the disclosure's own record of who has seen it. Append-only, never shown to
# anyone who may not see the case (revision 0010_case_views).
case_views = Table(
    "case_views", metadata,
    _school_id(),
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", String, ForeignKey("cases.id"), nullable=False, index=True),
    Column("staff_id", String, nullable=False),
    Column("staff_name", String, nullable=False),
    Column("what", String, nullable=False),  # the case | its history | a document's name
    Column("door", String, nullable=False),  # cli | web
    Column("viewed_at", String, nullable=False),
)

# Each read of the school's rows by its trust's staff (issue 17): who, in which trust role,
# which case (none for a listing or the report), what, how and when; written before anything
# is shown, in the school's own rows, so the school sees every read (revision 0018).
trust_reads = Table(
    "trust_reads", metadata,
    _school_id(),
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("trust_id", String, nullable=False),
    Column("staff_id", String, nullable=False),
    Column("staff_name", String, nullable=False),
    Column("role", String, nullable=False),
    Column("case_id", String, index=True),
    Column("what", String, nullable=False),
    Column("door", String, nullable=False),
    Column("read_at", String, nullable=False),
)

# Who made each print pack of the post, and who downloaded it (engine/store/packs.py;
# revision 0020_web_pack_audit).
pack_audit = Table(
    "pack_audit", metadata,
    _school_id(),
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("pack", String, nullable=False, index=True),  # its path, under cases/packs
    Column("action", String, nullable=False),  # made | downloaded
    Column("staff_id", String, nullable=False),
    Column("staff_name", String, nullable=False),
    Column("door", String, nullable=False),  # cli | web
    Column("at", String, nullable=False),
    Column("letters", Integer),  # made: how many letters it holds
    Column("sha256", String),  # made: the PDF's hash
)

# Each time an administrator acted as another member of staff at the CLI: who, as whom,
# why, when, the command and the case it named (engine/store/impersonations.py; revision
# 0022_safety_impersonations). Append-only; a case's history shows its own.
impersonations = Table(
    "impersonations", metadata,
    _school_id(),
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("by_staff", String, nullable=False),
    Column("by_name", String, nullable=False),
    Column("as_staff", String, nullable=False),
    Column("as_name", String, nullable=False),
    Column("reason", Text, nullable=False),
    Column("command", String, nullable=False),
    Column("case_id", String, index=True),
    Column("at", String, nullable=False),
)

# Letters on their way (engine/store/outbox.py): one row per (document, channel,
# recipient), queued in the transaction that records the document. ``key`` makes a second
# queueing of the same letter a no-op; ``message_id`` is stored before the first attempt,
# so every attempt carries the same one.
outbox = Table(
    "outbox", metadata,
    _school_id(),
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String, nullable=False, unique=True),
    Column("document_id", Integer, ForeignKey("documents.id"), nullable=False, index=True),
    Column("case_id", String, ForeignKey("cases.id"), index=True),
    Column("student_id", String, nullable=False),
    Column("channel", String, nullable=False),  # email | post | print | notify
    Column("recipient_id", String, nullable=False),
    Column("address", String, nullable=False),  # as when the letter was made
    Column("subject", String, nullable=False, default=""),
    Column("language", String, nullable=False, default=""),  # an interpreter offered in it
    # queued | sending | sent | posted | failed | withheld | unknown | bounced
    Column("status", String, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_at", String, nullable=False),  # not tried again before this moment
    Column("message_id", String),  # the email's Message-ID, kept for every attempt
    Column("provider_id", String),  # GOV.UK Notify's id of a letter
    Column("sent_to", String),  # the address it went to (the contact's, at send time)
    Column("error", String),
    Column("queued_at", String, nullable=False),
    Column("sent_at", String),  # when it left: a deadline met by the letter counts from here
    Column("pack", String),  # the print pack a posted letter went in
    Column("received_on", String),  # a posted letter's deemed receipt (2nd working day)
    Index("ix_outbox_status_next", "status", "next_at"),
)

# Every change of an outbox row's status, in order: the letter's own chronology.
outbox_history = Table(
    "outbox_history", metadata,
    _school_id(),
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("outbox_id", Integer, ForeignKey("outbox.id"), nullable=False, index=True),
    Column("at", String, nullable=False),
    Column("status", String, nullable=False),
    Column("attempt", Integer, nullable=False, default=0),
    Column("detail", String, nullable=False, default=""),
    # Chained as a case's events are: the first row of a letter to the hash of the event
    # that made it (audit verify; revision 0023_delivery_history_chain).
    Column("prev_hash", String),
    Column("hash", String),
)

# A PDF made from a letter (to email or post): a record of its own, with its hash and the
# hash of the .docx it was made from.
pdfs = Table(
    "pdfs", metadata,
    _school_id(),
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("document_id", Integer, ForeignKey("documents.id"), nullable=False, unique=True),
    Column("path", String, nullable=False, unique=True),
    Column("sha256", String, nullable=False),
    Column("size", Integer, nullable=False),
    Column("docx_sha256", String, nullable=False),
    Column("made_at", String, nullable=False),
)

# What is left of a case disposed of at the end of its retention period (PWP-5.6): its
# number, workflow and dates, who disposed of it and why, and its trail's hashes (each
# event's number, name, states, actor, times and links: no field a person gave), so that
# `audit verify` still checks the chain and the seals that covered it. Chained to the
# disposal before it, so a tombstone removed or edited shows.
disposals = Table(
    "disposals", metadata,
    _school_id(),
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", String, nullable=False, unique=True),
    Column("workflow", String, nullable=False),
    Column("opened_at", String, nullable=False),
    Column("closed_at", String),
    Column("disposed_at", String, nullable=False),
    Column("disposed_by", String, nullable=False),
    Column("disposed_by_name", String, nullable=False),
    Column("reason", Text, nullable=False),
    Column("last_event_id", Integer, nullable=False),  # the id its head event had
    Column("trail", Text, nullable=False),  # JSON: the events' links, oldest first
    Column("documents", Text, nullable=False),  # JSON: each document's template and SHA-256
    Column("prev_hash", String, nullable=False),
    Column("hash", String, nullable=False),
)


# Each subject access export (SAR-1): who exported whose data, when, the manifest's SHA-256
# and which cases (JSON), chained to the export before it, so that `audit verify` finds a
# record edited or removed (revision 0021_records_exports). Seen by senior leaders only.
exports = Table(
    "exports", metadata,
    _school_id(),
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("exported_at", String, nullable=False),
    Column("exported_by", String, nullable=False),
    Column("exported_by_name", String, nullable=False),
    Column("subject_kind", String, nullable=False),  # student | contact
    Column("subject_id", String, nullable=False),
    Column("manifest_sha256", String, nullable=False),
    Column("cases", Text, nullable=False),  # JSON: the case numbers exported
    Column("documents", Integer, nullable=False),
    Column("prev_hash", String, nullable=False),
    Column("hash", String, nullable=False),
)


# One encoder for every row: json.dumps with options builds a new one per call, a third of
# the time of hashing an event (audit verify hashes every event of the school).
_json = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode


# What an event's hash covers, with the hash of the event before it in its case.
EVENT_BODY = ("case_id", "seq", "event", "from_state", "to_state", "actor", "actor_name",
              "occurred_at", "recorded_at", "fields")


def chain_hash(prev: str, body: Mapping[str, Any]) -> str:
    return hashlib.sha256((prev + _json(body)).encode()).hexdigest()


# What a row of a letter's way out (outbox_history) hashes: its letter's key, and what
# happened to it when. The first row of a letter chains to the event that made it.
HISTORY_BODY = ("key", "at", "status", "attempt", "detail")


def history_hash(prev: str, key: str, at: str, status: str, attempt: int,
                 detail: str) -> str:
    return chain_hash(prev, dict(key=key, at=at, status=status, attempt=attempt,
                                 detail=detail))


# What a tombstone's hash covers (its prev_hash among them: the disposals chain).
TOMBSTONE_BODY = ("case_id", "workflow", "opened_at", "closed_at", "disposed_at",
                  "disposed_by", "disposed_by_name", "reason", "last_event_id", "trail",
                  "documents", "prev_hash")


def tombstone_hash(row: Mapping[str, Any]) -> str:
    return hashlib.sha256(_json({k: row[k] for k in TOMBSTONE_BODY}).encode()).hexdigest()


def plain_rows(conn: Connection, query: Any) -> Iterator[tuple[Any, ...]]:
    """The query's rows as plain tuples, 5,000 at a time, on the connection's own DBAPI
    cursor (in its transaction): for reading every event of the school (audit verify, a
    seal), where a row object per event was a fifth of the time."""
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


# What an export's record's hash covers (its prev_hash among them: the exports chain).
EXPORT_BODY = ("exported_at", "exported_by", "exported_by_name", "subject_kind",
               "subject_id", "manifest_sha256", "cases", "documents", "prev_hash")


def export_hash(row: Mapping[str, Any]) -> str:
    return hashlib.sha256(_json({k: row[k] for k in EXPORT_BODY}).encode()).hexdigest()


def heads(conn: Connection, last_event_id: int) -> tuple[int, str]:
    """(cases, hash) over every case's last event up to ``last_event_id``, by case id; a
    disposed case's head is the one its tombstone keeps, so a seal made before a disposal
    still holds after it. Each head's line is written by the database ("case, seq, hash"
    with tabs); they sort as (case, seq, hash) would, as a tab sorts before any character
    of a case number."""
    newest = (select(events.c.case_id, func.max(events.c.seq).label("seq"))
              .where(events.c.id <= last_event_id).group_by(events.c.case_id).subquery())
    line = (events.c.case_id + "\t" + cast(events.c.seq, String) + "\t" + events.c.hash
            + "\n")
    rows = plain_rows(conn, select(line).join(newest, (events.c.case_id == newest.c.case_id)
                                              & (events.c.seq == newest.c.seq))
                      .order_by(events.c.case_id))
    disposed = [f"{case_id}\t{seq}\t{head}\n"
                for case_id, seq, head in _disposed_heads(conn, last_event_id)]
    digest, count = hashlib.sha256(), 0
    for (text_,) in rows if not disposed else heapq.merge(rows, [(d,) for d in disposed]):
        digest.update(text_.encode())
        count += 1
    return count, digest.hexdigest()


def _disposed_heads(conn: Connection, last_event_id: int) -> list[tuple[str, int, str]]:
    """(case, seq, hash) of each disposed case's last event up to ``last_event_id``."""
    out = []
    for case_id, trail in conn.execute(select(disposals.c.case_id, disposals.c.trail)):
        upto = [e for e in json.loads(trail) if e["id"] <= last_event_id]
        if upto:
            out.append((case_id, upto[-1]["seq"], upto[-1]["hash"]))
    return sorted(out)


def seal(conn: Connection, day: str, at: str) -> dict[str, Any] | None:
    """Write a seal over every event so far, unless the newest seal covers them already."""
    last = conn.execute(select(*own(seals)).order_by(seals.c.id.desc()).limit(1)).first()
    newest = conn.scalar(select(func.max(events.c.id))) or 0
    if newest == 0 or (last is not None and last.last_event_id == newest):
        return None
    count, digest = heads(conn, newest)
    body = dict(sealed_on=day, sealed_at=at, last_event_id=newest, cases=count, heads=digest,
                prev_hash=last.hash if last else "")
    row = {**body, "hash": hashlib.sha256(_json(body).encode()).hexdigest()}
    conn.execute(insert(seals).values(**row))
    return row


def seal_if_due(conn: Connection, day: str, at: str) -> None:
    """The day's seal, at its first write: what was recorded up to now is sealed."""
    last_day = conn.scalar(select(func.max(seals.c.sealed_on)))
    if last_day is not None and last_day >= day:
        return
    if conn.dialect.name == "postgresql":
        # Writers run side by side there (SQLite's BEGIN IMMEDIATE takes turns): the
        # day's first writers take turns on the school's lock, so one seal is written.
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(current_setting("
                          "'app.school_id')))"))
        last_day = conn.scalar(select(func.max(seals.c.sealed_on)))
        if last_day is not None and last_day >= day:
            return
    seal(conn, day, at)


# What SQLite says when it cannot write: a full disk, a read-only one.
_FULL = ("database or disk is full", "attempt to write a readonly database")


def _all_present(root: Path, paths: list[str]) -> None:
    missing = [p for p in paths if not (root / p).is_file()]
    if missing:
        raise ConflictError(f"{missing[0]} was removed before it could be recorded (by "
                            "another program?): nothing was recorded; run the command again")


def _now() -> str:
    return dt.datetime.now().isoformat(timespec="seconds")


# The columns of a line of ``liaison cases``, oldest first (ix_cases_opened).
_LISTED = (cases.c.id, cases.c.workflow, cases.c.state, cases.c.student_id, cases.c.holder,
           cases.c.opened_at)


def _visible(seen: Visibility) -> list[Any]:
    """``Records.can_see`` as conditions on cases (CLA-3): a workflow's restricted cases
    only for the roles it names, or for whoever opened them where it says so; of a
    workflow no longer known, only a case that was not restricted."""
    where: list[Any] = [or_(cases.c.workflow.in_(sorted(seen.known)),
                            cases.c.restricted.is_(False))]
    if seen.hidden:
        where.append(or_(cases.c.workflow.not_in(sorted(seen.hidden)),
                         and_(cases.c.workflow.in_(sorted(seen.opener_sees)),
                              cases.c.opened_by == seen.actor)))
    if seen.unseen:
        where.append(cases.c.id.not_in(sorted(seen.unseen)))
    return where


# The literal, not a bound value, so SQLite may use ix_deadlines_open (WHERE status = 'open').
_OPEN = literal_column("'open'")


def _event(row: Mapping[str, Any]) -> EventRow:
    return EventRow(**{k: (json.loads(v) if k == "fields" else v) for k, v in row.items()
                       if k not in ("id", "prev_hash")})


# The documents listing: its columns, each document with its case (none for a batch's).
_DOCUMENT_LINE = (documents.c.id, documents.c.case_id, documents.c.student_id,
                  documents.c.template, documents.c.recipient_name, documents.c.created_at,
                  documents.c.path, documents.c.sha256)
_DOCUMENT_CASES = documents.outerjoin(cases, cases.c.id == documents.c.case_id)


def _tally_seen(tally: Table, seen: Visibility) -> list[Any]:
    """Which of a tally's rows ``seen`` may count whole: a workflow not hidden from them
    (of one no longer known, only its cases that were not restricted). The rest of what
    they may see is in ``_corrections``."""
    where: list[Any] = [or_(tally.c.workflow.in_(sorted(seen.known)),
                            tally.c.restricted.is_(False))]
    if seen.hidden:
        where.append(tally.c.workflow.not_in(sorted(seen.hidden)))
    return where


def _corrections(seen: Visibility) -> list[tuple[int, list[Any]]]:
    """What to add to (1) and take from (-1) the tallies ``_tally_seen`` allows, counted
    from the rows, so the sum is what ``_visible`` allows: the cases of hidden workflows
    a member of staff sees as their opener, and less the cases of counted workflows hidden
    from them by name (a complaint about them, CMP-6). Both are few."""
    out: list[tuple[int, list[Any]]] = []
    if seen.hidden & seen.opener_sees:
        out.append((1, [*_visible(seen), cases.c.workflow.in_(sorted(seen.hidden))]))
    if seen.unseen:
        counted = [or_(cases.c.workflow.in_(sorted(seen.known)), cases.c.restricted.is_(False))]
        if seen.hidden:
            counted.append(cases.c.workflow.not_in(sorted(seen.hidden)))
        out.append((-1, [*counted, cases.c.id.in_(sorted(seen.unseen))]))
    return out


class Reads:
    """The store's queries, on one connection inside one transaction: a use case reads
    everything it needs through one of these (``Store.reads``), not one transaction each."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # ------------------------------------------------------------------ people

    def student(self, student_id: str) -> dict[str, Any]:
        row = self.conn.execute(select(*own(students)).where(students.c.id == student_id)).first()
        if row is None:
            raise NotFound(f"no student '{student_id}' (import students first)")
        return dict(row._mapping)

    def student_ids(self, year: int | None = None, form: str | None = None) -> list[str]:
        query = select(students.c.id).order_by(students.c.id)
        if year is not None:
            query = query.where(students.c.year == year)
        if form is not None:
            query = query.where(students.c.form == form)
        return list(self.conn.scalars(query))

    def all_student_ids(self) -> set[str]:
        return set(self.conn.scalars(select(students.c.id)))

    def contacts_of(self, student_id: str) -> list[dict[str, Any]]:
        """The student's contacts in import order (their JSON columns)."""
        query = select(contacts.c.data).where(contacts.c.student_id == student_id)
        return [json.loads(d) for d in self.conn.scalars(query.order_by(contacts.c.id))]

    def students_by_id(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Students by id, in one query (a batch of letters reads hundreds at a time)."""
        query = select(*own(students)).where(students.c.id.in_(list(ids)))
        return {r.id: dict(r._mapping) for r in self.conn.execute(query)}

    def contacts_of_students(self, ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
        """Each student's contacts in import order (as contacts_of), in one query."""
        query = (select(contacts.c.student_id, contacts.c.data)
                 .where(contacts.c.student_id.in_(list(ids))).order_by(contacts.c.id))
        out: dict[str, list[dict[str, Any]]] = {}
        for student_id, data in self.conn.execute(query):
            out.setdefault(student_id, []).append(json.loads(data))
        return out

    # ------------------------------------------------------------------ cases

    def next_case_id(self, prefix: str, year: int) -> str:
        """The id the next case will take, such as CON-2026-0001. Nothing is reserved:
        ``commit`` takes the number in the same transaction as the case, so a refused or
        failed open leaves no gap in the school's case numbers."""
        key = f"{prefix}-{year}"
        last = self.conn.scalar(select(counters.c.last).where(counters.c.prefix == key)) or 0
        return f"{key}-{last + 1:04d}"

    def case(self, case_id: str) -> CaseRow:
        row = self.conn.execute(select(*own(cases)).where(cases.c.id == case_id)).first()
        if row is None:
            raise NotFound(f"no case '{case_id}'")
        return _case(row._mapping)

    def cases(self, workflow: str | None = None, state: str | None = None,
              contact_id: str | None = None, student_id: str | None = None) -> list[CaseRow]:
        query = select(*own(cases)).order_by(cases.c.opened_at, cases.c.id)
        for column, value in ((cases.c.workflow, workflow), (cases.c.state, state),
                              (cases.c.contact_id, contact_id), (cases.c.student_id, student_id)):
            if value is not None:
                query = query.where(column == value)
        return [_case(r._mapping) for r in self.conn.execute(query)]

    def open_deadline_count(self, until: str, holders: Iterable[str] | None,
                            seen: Visibility) -> int:
        """How many open deadlines due by ``until`` (of cases held by ``holders``, if
        given) a member of staff may see: the web page's count in its header, without
        reading the rows."""
        query = (select(func.count()).select_from(deadlines)
                 .join(cases, cases.c.id == deadlines.c.case_id)
                 .where(deadlines.c.status == "open", deadlines.c.due_on <= until,
                        *_visible(seen)))
        if holders is not None:
            query = query.where(cases.c.holder.in_(sorted(holders)))
        return int(self.conn.scalar(query) or 0)

    def case_lines(self, seen: Visibility, workflow: str | None = None,
                   state: str | None = None, student_id: str | None = None,
                   after: tuple[str, str] | None = None,
                   limit: int | None = None) -> Iterator[tuple[Any, ...]]:
        """The listed columns of the cases ``seen`` allows, oldest first, as they are read
        (nothing decoded, no list of every case): those after ``after`` (the opened_at
        and id of the last one shown) and at most ``limit`` of them."""
        query = select(*_LISTED).where(*self._listed(seen, workflow, state, student_id,
                                                         after))
        query = query.order_by(cases.c.opened_at, cases.c.id)
        if limit is not None:
            query = query.limit(limit)
        yield from self.conn.execute(query).yield_per(1000)  # fetched 1,000 at a time

    def count_lines(self, seen: Visibility, workflow: str | None = None,
                    state: str | None = None, student_id: str | None = None,
                    after: tuple[str, str] | None = None) -> int:
        """How many cases ``case_lines`` would give (from ``after`` on), counted in SQL."""
        query = select(func.count()).select_from(cases).where(
            *self._listed(seen, workflow, state, student_id, after))
        return int(self.conn.scalar(query) or 0)

    def case_position(self, case_id: str) -> tuple[str, str] | None:
        """Where a case sits in the listing (its opened_at and id), if it exists."""
        row = self.conn.execute(select(cases.c.opened_at, cases.c.id)
                                .where(cases.c.id == case_id)).first()
        return (row[0], row[1]) if row else None

    @staticmethod
    def _listed(seen: Visibility, workflow: str | None, state: str | None,
                student_id: str | None, after: tuple[str, str] | None) -> list[Any]:
        where = _visible(seen)
        for column, value in ((cases.c.workflow, workflow), (cases.c.state, state),
                              (cases.c.student_id, student_id)):
            if value is not None:
                where.append(column == value)
        if after is not None:
            where.append(tuple_(cases.c.opened_at, cases.c.id) > tuple_(*after))
        return where

    def cases_in(self, states_by_workflow: Mapping[str, Iterable[str]],
                 contact_ids: Iterable[str] | None = None) -> list[CaseRow]:
        """The cases that sit in one of the given states of their workflow (a site ban),
        of these contacts if given, in one query."""
        wanted = [and_(cases.c.workflow == w, cases.c.state.in_(list(states)))
                  for w, states in states_by_workflow.items() if states]
        if not wanted:
            return []
        query = select(*own(cases)).where(or_(*wanted)).order_by(cases.c.opened_at, cases.c.id)
        if contact_ids is not None:
            query = query.where(cases.c.contact_id.in_(list(contact_ids)))
        return [_case(r._mapping) for r in self.conn.execute(query)]

    def last_occurred(self, case_id: str) -> str | None:
        """When the case's latest event happened (ISO), if it has one: the newest by
        ``seq``, one row on ix_events_case_seq (events are recorded in the order they
        happened, ``Liaison._occurred``), not a MAX over the whole trail."""
        return self.conn.scalar(select(events.c.occurred_at)
                                .where(events.c.case_id == case_id)
                                .order_by(events.c.seq.desc()).limit(1))

    def next_seq(self, case_id: str) -> int:
        """The number the case's next event will take (on ix_events_case_seq)."""
        last = self.conn.scalar(select(func.max(events.c.seq)).where(events.c.case_id == case_id))
        return int(last or 0) + 1

    def events(self, case_id: str) -> list[EventRow]:
        query = select(*own(events)).where(events.c.case_id == case_id).order_by(events.c.seq)
        return [_event(r._mapping) for r in self.conn.execute(query)]

    def events_after(self, case_id: str, after: int = 0) -> Iterator[EventRow]:
        """The case's events numbered after ``after``, in order, as they are read (a long
        trail is never a list in memory)."""
        query = select(*own(events)).where(events.c.case_id == case_id,
                                           events.c.seq > after).order_by(events.c.seq)
        for r in self.conn.execute(query).yield_per(1000):
            yield _event(r._mapping)

    def count_events_after(self, case_id: str, after: int) -> int:
        return int(self.conn.scalar(select(func.count()).select_from(events).where(
            events.c.case_id == case_id, events.c.seq > after)) or 0)

    # ------------------------------------------------------------------ documents

    def documents(self, case_id: str | None = None,
                  student_id: str | None = None) -> list[dict[str, Any]]:
        query = select(*own(documents)).order_by(documents.c.id)
        if case_id is not None:
            query = query.where(documents.c.case_id == case_id)
        if student_id is not None:
            query = query.where(documents.c.student_id == student_id)
        return [dict(r._mapping) for r in self.conn.execute(query)]

    def document_lines(self, seen: Visibility, case_id: str | None = None,
                       student_id: str | None = None, after: int | None = None,
                       limit: int | None = None) -> Iterator[dict[str, Any]]:
        """The listed columns of the documents ``seen`` allows (a batch letter's, of no
        case, or of a case they may see), oldest first, as they are read: those after the
        document numbered ``after``, at most ``limit``."""
        query = select(*_DOCUMENT_LINE).select_from(_DOCUMENT_CASES).where(
            *self._documents_listed(seen, case_id, student_id, after)).order_by(documents.c.id)
        if limit is not None:
            query = query.limit(limit)
        result = self.conn.execute(query).yield_per(1000)
        names = list(result.keys())
        for row in result:
            yield dict(zip(names, row, strict=True))

    def count_documents(self, seen: Visibility, case_id: str | None = None,
                        student_id: str | None = None, after: int | None = None) -> int:
        """How many documents ``document_lines`` would give (from ``after`` on)."""
        query = select(func.count()).select_from(_DOCUMENT_CASES).where(
            *self._documents_listed(seen, case_id, student_id, after))
        return int(self.conn.scalar(query) or 0)

    def document_number(self, path: str) -> int | None:
        """The number a document at this path sits at in the listing, if there is one."""
        return self.conn.scalar(select(documents.c.id).where(documents.c.path == path))

    @staticmethod
    def _documents_listed(seen: Visibility, case_id: str | None, student_id: str | None,
                          after: int | None) -> list[Any]:
        where: list[Any] = [or_(documents.c.case_id.is_(None), and_(*_visible(seen)))]
        if case_id is not None:
            where.append(documents.c.case_id == case_id)
        if student_id is not None:
            where.append(documents.c.student_id == student_id)
        if after is not None:
            where.append(documents.c.id > after)
        return where

    def letters_sent(self, student_id: str, since: str = "") -> list[dict[str, Any]]:
        """The student's documents made at or after ``since`` (ISO), only the columns the
        coordination warning reads (BEM-5): not each letter's stored context. On
        ix_documents_student_created, so an advance reads the window, not the family's
        whole history of letters."""
        query = (select(documents.c.case_id, documents.c.template, documents.c.recipient_id,
                        documents.c.recipient_name, documents.c.created_at)
                 .where(and_(documents.c.student_id == student_id,
                             documents.c.created_at >= since))
                 .order_by(documents.c.id))
        result = self.conn.execute(query)
        names = list(result.keys())
        return [dict(zip(names, row, strict=True)) for row in result]

    def documents_named(self, name: str) -> list[dict[str, Any]]:
        """The documents at this path, or with this file name (in any folder)."""
        query = select(*own(documents)).where(or_(documents.c.path == name,
                                            documents.c.path.endswith(f"/{name}", autoescape=True)))
        return [dict(r._mapping) for r in self.conn.execute(query.order_by(documents.c.id))]

    def document_paths(self) -> set[str]:
        return set(self.conn.scalars(select(documents.c.path)))

    def batch_keys(self, keys: Iterable[str]) -> set[str]:
        """Which of these batch keys already have a document (a re-run skips them)."""
        return set(self.conn.scalars(select(documents.c.batch_key)
                                     .where(documents.c.batch_key.in_(list(keys)))))

    # ------------------------------------------------------------------ deadlines

    def deadlines(self, case_id: str) -> list[dict[str, Any]]:
        query = (select(*own(deadlines)).where(deadlines.c.case_id == case_id)
                 .order_by(deadlines.c.id))
        return [dict(r._mapping) for r in self.conn.execute(query)]

    def open_deadlines(self, until: str,
                       holders: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """Open deadlines due on or before ``until`` (ISO date), with their case's columns
        and the student's name; only of cases held by one of ``holders``, if given."""
        query = (select(deadlines.c.case_id, deadlines.c.name, deadlines.c.title,
                        deadlines.c.clause, deadlines.c.due_on, deadlines.c.due_at,
                        cases.c.workflow, cases.c.state, cases.c.student_id, cases.c.holder,
                        cases.c.restricted, cases.c.opened_by,
                        students.c.first_name, students.c.last_name)
                 .join(cases, cases.c.id == deadlines.c.case_id)
                 .join(students, students.c.id == cases.c.student_id)
                 .where(and_(deadlines.c.status == "open", deadlines.c.due_on <= until))
                 .order_by(deadlines.c.due_on, deadlines.c.due_at, deadlines.c.case_id))
        if holders is not None:
            query = query.where(cases.c.holder.in_(sorted(holders)))
        result = self.conn.execute(query)
        names = list(result.keys())  # zip, not Row._mapping (5,000 rows for --all)
        return [dict(zip(names, row, strict=True)) for row in result]

    # ------------------------------------------------------------------ indicators

    def events_between(self, start: str, end: str) -> list[dict[str, Any]]:
        """Events that happened on or after ``start`` and before ``end`` (ISO), with their
        case's workflow and student: what the indicators report counts."""
        query = (select(events.c.case_id, events.c.event, events.c.from_state,
                        events.c.to_state, events.c.actor, events.c.occurred_at,
                        events.c.fields, cases.c.workflow, cases.c.student_id)
                 .join(cases, cases.c.id == events.c.case_id)
                 .where(and_(events.c.occurred_at >= start, events.c.occurred_at < end))
                 .order_by(events.c.occurred_at, events.c.id))
        result = self.conn.execute(query)
        names = list(result.keys())  # zip, not Row._mapping: ~3x faster over 300,000 rows
        return [{**dict(zip(names, row, strict=True)), "fields": json.loads(row.fields)}
                for row in result]

    def deadlines_between(self, start: str, end: str) -> list[dict[str, Any]]:
        """Deadlines falling on or after ``start`` and on or before ``end`` (ISO dates),
        whatever their status, with their case's workflow (deadlines met and missed)."""
        query = (select(deadlines.c.case_id, deadlines.c.name, deadlines.c.clause,
                        deadlines.c.due_on, deadlines.c.due_at, deadlines.c.status,
                        deadlines.c.met_at, cases.c.workflow)
                 .join(cases, cases.c.id == deadlines.c.case_id)
                 .where(and_(deadlines.c.due_on >= start, deadlines.c.due_on <= end))
                 .order_by(deadlines.c.due_on, deadlines.c.id))
        result = self.conn.execute(query)
        names = list(result.keys())
        return [dict(zip(names, row, strict=True)) for row in result]

    def trust_reads(self, case_id: str | None = None) -> list[dict[str, Any]]:
        """The reads of this school's rows by its trust's staff, oldest first (of one
        case, if given)."""
        query = select(*own(trust_reads)).order_by(trust_reads.c.id)
        if case_id is not None:
            query = query.where(trust_reads.c.case_id == case_id)
        return [dict(r._mapping) for r in self.conn.execute(query)]

    def views_of(self, case_id: str) -> list[dict[str, Any]]:
        """Who has read a restricted case, oldest first."""
        query = select(*own(case_views)).where(case_views.c.case_id == case_id) \
            .order_by(case_views.c.id)
        return [dict(r._mapping) for r in self.conn.execute(query)]

    def event_counts(self, seen: Visibility, start: str,
                     end: str) -> list[tuple[str, str, str, int]]:
        """(workflow, event, YYYY-MM, how many) of the events ``seen`` allows that happened
        on or after ``start`` and before ``end`` (ISO dates), by workflow, event and month
        (the report's outcomes). Summed from ``event_tallies`` (a row a day, not an event);
        counted from the events only where the tallies cannot tell (``_corrections``)."""
        t = event_tallies
        month = _month(t.c.day)
        tallied = (select(t.c.workflow, t.c.event, month, func.sum(t.c.n))
                   .where(t.c.day >= start, t.c.day < end, *_tally_seen(t, seen))
                   .group_by(t.c.workflow, t.c.event, month))
        total: Counter[tuple[str, str, str]] = Counter()
        for w, e, m, n in self.conn.execute(tallied):
            total[(w, e, m)] += int(n)
        for sign, where in _corrections(seen):
            for w, e, m, n in self._event_rows_counted(start, end, where):
                total[(w, e, m)] += sign * n
        return [(w, e, m, n) for (w, e, m), n in sorted(total.items()) if n]

    def _event_rows_counted(self, start: str, end: str,
                            where: list[Any]) -> list[tuple[str, str, str, int]]:
        """(workflow, event, YYYY-MM, how many) counted from the events themselves, of the
        cases ``where`` allows: the tallies' reference (tests) and their corrections."""
        inner = (select(cases.c.workflow, events.c.event,
                        _month(events.c.occurred_at).label("month"))
                 .join(cases, cases.c.id == events.c.case_id)
                 .where(events.c.occurred_at >= start, events.c.occurred_at < end, *where)
                 .subquery())
        keys = (inner.c.workflow, inner.c.event, inner.c.month)
        query = select(*keys, func.count()).group_by(*keys).order_by(*keys)
        return [(w, e, m, int(n)) for w, e, m, n in self.conn.execute(query)]

    def events_of(self, seen: Visibility, start: str, end: str,
                  wanted: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
        """The events of these (workflow, event) pairs ``seen`` allows in the range, with
        their fields: only what an indicator may count (its ``when`` reads the fields)."""
        pairs = [and_(cases.c.workflow == w, events.c.event == e) for w, e in sorted(wanted)]
        if not pairs:
            return []
        query = (select(events.c.case_id, events.c.event, events.c.occurred_at,
                        events.c.fields, cases.c.workflow)
                 .join(cases, cases.c.id == events.c.case_id)
                 .where(events.c.occurred_at >= start, events.c.occurred_at < end,
                        or_(*pairs), *self._listed(seen, None, None, None, None))
                 .order_by(events.c.occurred_at, events.c.id))
        result = self.conn.execute(query)
        names = list(result.keys())
        return [{**dict(zip(names, row, strict=True)), "fields": json.loads(row.fields)}
                for row in result]

    def deadline_counts(self, seen: Visibility, start: str, end: str,
                        now: str) -> list[tuple[str, str, str, int]]:
        """(workflow, YYYY-MM, status, how many) of the deadlines ``seen`` allows falling
        from ``start`` to ``end`` (ISO dates, inclusive). The status as of ``now``: met (on
        time), late (met after it fell), missed (open after it fell), pending, cancelled.
        Summed from ``deadline_tallies``: an open deadline of a day before ``now``'s is
        missed, of a later day pending; today's open ones are counted one by one, as are
        those the tallies cannot tell (``_corrections``)."""
        t, today = deadline_tallies, now[:10]
        month = _month(t.c.day)
        status = case_when((t.c.outcome != "open", t.c.outcome),
                           (t.c.day < today, "missed"), else_="pending")
        tallied = (select(t.c.workflow, month, status, func.sum(t.c.n))
                   .where(t.c.day >= start, t.c.day <= end,
                          or_(t.c.day != today, t.c.outcome != "open"),
                          *_tally_seen(t, seen))
                   .group_by(t.c.workflow, month, status))
        total: Counter[tuple[str, str, str]] = Counter()
        for w, m, st, n in self.conn.execute(tallied):
            total[(w, m, st)] += int(n)
        # Today's open ones are missed or pending by the minute: on ix_deadlines_open.
        due_today = and_(deadlines.c.due_on == today, deadlines.c.status == _OPEN)
        rows = [(1, [*_visible(seen), due_today])]
        for sign, where in _corrections(seen):
            rows.append((sign, [*where, not_(due_today)]))
        for sign, where in rows:
            for w, m, st, n in self._deadline_rows_counted(start, end, now, where):
                total[(w, m, st)] += sign * n
        return [(w, m, st, n) for (w, m, st), n in sorted(total.items()) if n]

    def _deadline_rows_counted(self, start: str, end: str, now: str,
                               where: list[Any]) -> list[tuple[str, str, str, int]]:
        """(workflow, YYYY-MM, status, how many) counted from the deadlines themselves, of
        the cases ``where`` allows; a deadline falls at its moment, else at its day's end."""
        falls = func.coalesce(deadlines.c.due_at + ":00", deadlines.c.due_on + "T23:59:59")
        status = case_when(
            (deadlines.c.status == "met",
             case_when((deadlines.c.met_at <= falls, "met"), else_="late")),
            (deadlines.c.status == "open",
             case_when((falls < now, "missed"), else_="pending")),
            else_="cancelled")
        inner = (select(cases.c.workflow, _month(deadlines.c.due_on).label("month"),
                        status.label("status"))
                 .join(cases, cases.c.id == deadlines.c.case_id)
                 .where(deadlines.c.due_on >= start, deadlines.c.due_on <= end, *where)
                 .subquery())
        keys = (inner.c.workflow, inner.c.month, inner.c.status)
        query = select(*keys, func.count()).group_by(*keys).order_by(*keys)
        return [(w, m, st, int(n)) for w, m, st, n in self.conn.execute(query)]

    def cases_by_id(self, ids: Iterable[str]) -> dict[str, CaseRow]:
        """These cases, by id, in one query."""
        query = select(*own(cases)).where(cases.c.id.in_(sorted(set(ids))))
        return {r.id: _case(r._mapping) for r in self.conn.execute(query)}

    def count(self, table: str) -> int:
        return int(self.conn.scalar(select(func.count()).select_from(metadata.tables[table]))
                   or 0)


def _one_read(query: Callable[..., _T]) -> Callable[..., _T]:
    """A query of ``Reads`` as a method of ``Store``, in a transaction of its own."""
    name = query.__name__

    @functools.wraps(query)
    def run(self: Store, *args: Any, **kwargs: Any) -> _T:
        with self.reads() as r:
            return getattr(r, name)(*args, **kwargs)  # type: ignore[no-any-return]
    return run


class Store:
    """Cases, events, documents, deadlines and people of one school: in its SQLite file,
    or as one tenant of a PostgreSQL database (``target`` a URL), where every transaction
    says which school it is for and row-level security shows it that school's rows only."""

    def __init__(self, target: Path | str, school_id: str = "school",
                 busy_timeout_ms: int = 5000, migrate: bool = True, pool_size: int = 5) -> None:
        self.school_id = school_id
        self.url = make_url(target if isinstance(target, str) else f"sqlite:///{target}")
        self.postgresql = self.url.get_backend_name() == "postgresql"
        self.path: Path | None = None
        if self.postgresql:
            self.engine: Engine = create_engine(self.url, pool_size=pool_size,
                                                max_overflow=pool_size)
        else:
            self.path = Path(self.url.database or "")
            files.owner_only()  # the database, its WAL and every document: 0600, folders 0700
            files.private_folder(self.path.parent)
            files.create_private(self.path)
            self.engine = create_engine(self.url)
            event.listen(self.engine, "connect", self._on_connect(busy_timeout_ms))
            event.listen(self.engine, "begin", self._on_begin)
            event.listen(self.engine, "handle_error", self._on_error)
        if migrate:
            self._migrate()

    @staticmethod
    def _on_connect(busy_ms: int):  # type: ignore[no-untyped-def]
        def connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            dbapi_conn.isolation_level = None  # we say BEGIN ourselves (see _on_begin)
            cur = dbapi_conn.cursor()
            # The busy timeout first: making a new file WAL takes a lock others wait for.
            cur.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
        return connect

    def _on_error(self, context: Any) -> BaseException | None:
        """A full or read-only disk is NoSpace, whatever SQLite called it ("database or
        disk is full", "disk I/O error" opening its WAL, "unable to open database file")."""
        if type(context.original_exception).__name__ != "OperationalError":
            return None  # a broken constraint is no full disk
        said = str(context.original_exception)
        if any(words in said for words in _FULL) or (
                "locked" not in said and files.no_room(self.path.parent)):
            return files.no_space(self.path.parent.parent)
        return None

    @staticmethod
    def _on_begin(conn: Connection) -> None:
        kind = "IMMEDIATE" if conn.get_execution_options().get("write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {kind}")

    def _for_school(self, conn: Connection) -> None:
        # Row-level security reads the school from the transaction (true: local to it), so
        # a pooled connection carries no school into the next transaction: unset, it sees
        # nothing (migration 0009_school_id's policies).
        if self.postgresql:
            conn.execute(text("SELECT set_config('app.school_id', :id, true)"),
                         {"id": self.school_id})

    @contextmanager
    def _reached(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                yield conn
        except OperationalError as exc:
            if not self.postgresql:
                raise
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise StoreUnreachable(f"the case store at {self.where} cannot be reached: "
                                   f"{reason}") from None

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """One write transaction (BEGIN IMMEDIATE on SQLite; on PostgreSQL READ COMMITTED,
        with a case's versioned UPDATE refusing a lost update); commits on success, rolls
        back on error. NoSpace when the disk is full or read-only (SQLite rolled it back)."""
        with self._reached() as conn:
            conn = conn.execution_options(write=True, school_id=self.school_id)
            with conn.begin():
                self._for_school(conn)
                yield conn

    @contextmanager
    def reads(self) -> Iterator[Reads]:
        """One read transaction: every query in it sees the same state of the store."""
        with self._reached() as conn:
            isolation = {"isolation_level": "REPEATABLE READ"} if self.postgresql else {}
            conn = conn.execution_options(school_id=self.school_id, **isolation)
            with conn.begin():
                self._for_school(conn)
                yield Reads(conn)

    @property
    def where(self) -> str:
        """The store's file or URL, without a password (for status lines)."""
        return str(self.path) if self.path else self.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    def _migrate(self) -> None:
        """A SQLite store is brought to the current schema when opened (Alembic only
        when it is behind: opening a current store does not import it). A PostgreSQL
        database is upgraded by its owner (``liaison db upgrade``): the application's
        role owns nothing and may not change the schema."""
        with self.reads() as r:
            at = schema.current(r.conn)
        if at == schema.HEAD:
            return
        if self.postgresql:
            raise StoreUnreachable(f"the case store at {self.where} is at revision "
                                   f"{at or 'none'}, this release needs {schema.HEAD}: run "
                                   "'liaison db upgrade' as the database's owner")
        from engine.store import lock

        assert self.path is not None
        with lock.migrating(self.path):  # one process migrates; the rest wait, then see HEAD
            self.upgrade()

    def upgrade(self, grant: str | None = None) -> tuple[str | None, str]:
        """Bring the store to the newest revision: (the revision it was at, the newest).
        On PostgreSQL, ``grant`` names the application's role, given what it needs."""
        with self.writing() as conn:
            done = schema.upgrade(conn, {"school_id": self.school_id})
            if grant:
                schema.grant(conn, grant)
            return done

    def revision(self) -> tuple[str | None, bool]:
        """The revision the store is at (None: an empty store), and whether it is recorded
        as a named step of a release before Alembic (``liaison db upgrade`` converts it)."""
        with self.reads() as r:
            at = schema.current(r.conn)
            return (at, False) if at else (schema.legacy(r.conn), True)

    # The queries, each in a transaction of its own (use ``reads()`` for several at once).
    student = _one_read(Reads.student)
    student_ids = _one_read(Reads.student_ids)
    all_student_ids = _one_read(Reads.all_student_ids)
    contacts_of = _one_read(Reads.contacts_of)
    students_by_id = _one_read(Reads.students_by_id)
    contacts_of_students = _one_read(Reads.contacts_of_students)
    next_case_id = _one_read(Reads.next_case_id)
    case = _one_read(Reads.case)
    cases = _one_read(Reads.cases)
    cases_in = _one_read(Reads.cases_in)
    events = _one_read(Reads.events)
    documents = _one_read(Reads.documents)
    document_paths = _one_read(Reads.document_paths)
    batch_keys = _one_read(Reads.batch_keys)
    deadlines = _one_read(Reads.deadlines)
    open_deadlines = _one_read(Reads.open_deadlines)
    events_between = _one_read(Reads.events_between)
    deadlines_between = _one_read(Reads.deadlines_between)
    count = _one_read(Reads.count)
    views_of = _one_read(Reads.views_of)
    trust_reads = _one_read(Reads.trust_reads)
    open_deadline_count = _one_read(Reads.open_deadline_count)

    def record_view(self, case_id: str, staff_id: str, staff_name: str, what: str,
                    door: str, at: str) -> None:
        """Write down that a member of staff read a restricted case (CLA-3)."""
        with self.writing() as conn:
            conn.execute(insert(case_views).values(
                case_id=case_id, staff_id=staff_id, staff_name=staff_name, what=what,
                door=door, viewed_at=at))

    def record_trust_read(self, read: Mapping[str, Any]) -> None:
        """Write down a read of this school's rows by a member of its trust's staff, in
        the school's own rows (this store's school): trust_id, staff_id, staff_name, role,
        case_id (or None), what, door, read_at."""
        with self.writing() as conn:
            conn.execute(insert(trust_reads).values(**read))

    # ------------------------------------------------------------------ people

    def upsert_students(self, rows: Iterable[Any]) -> int:
        """Insert or update students by id (all in one transaction)."""
        count = 0
        with self.writing() as conn:
            for s in rows:
                values = dict(first_name=s.first_name, last_name=s.last_name, year=s.year,
                              form=s.form, house=s.house, looked_after=s.looked_after,
                              updated_at=_now())
                if s.date_of_birth:  # an export without the column keeps what was known
                    values["date_of_birth"] = s.date_of_birth
                done = conn.execute(update(students).where(students.c.id == s.id).values(**values))
                if done.rowcount == 0:
                    conn.execute(insert(students).values(id=s.id, **values))
                count += 1
        return count

    def upsert_contacts(self, rows: Iterable[Any], to_dict: Any) -> int:
        """Insert or update contacts by id; ``to_dict`` turns one into its JSON columns."""
        count = 0
        with self.writing() as conn:
            for c in rows:
                values = dict(student_id=c.student_id, data=_json(to_dict(c)), updated_at=_now())
                done = conn.execute(update(contacts).where(contacts.c.id == c.id).values(**values))
                if done.rowcount == 0:
                    conn.execute(insert(contacts).values(id=c.id, **values))
                count += 1
        return count

    def rewrite_contacts(self, plan: Callable[[dict[str, dict[str, Any]]], tuple[
            Mapping[str, Mapping[str, Any]], _T]], dry_run: bool = False) -> _T:
        """Read every contact on file (id -> its columns), let ``plan`` say which rows to
        write and what that does, and write them in the same transaction (an import that
        mirrors the MIS: engine/core/mirror.py); a dry run reads and writes nothing."""
        with (self.reads() if dry_run else self.writing()) as found:
            conn = found.conn if isinstance(found, Reads) else found
            on_file = {r.id: {**json.loads(r.data), "student_id": r.student_id}
                       for r in conn.execute(select(contacts.c.id, contacts.c.student_id,
                                                    contacts.c.data))}
            writes, result = plan(on_file)
            if dry_run:
                return result
            at = _now()
            for cid, data in writes.items():
                values = dict(student_id=data["student_id"], data=_json(dict(data)),
                              updated_at=at)
                if cid in on_file:
                    conn.execute(update(contacts).where(contacts.c.id == cid).values(**values))
                else:
                    conn.execute(insert(contacts).values(id=cid, **values))
        return result

    # ------------------------------------------------------------------ writing

    def commit(self, moves: Iterable[CaseMove] = (), letters: Iterable[DocumentRow] = (),
               root: Path | None = None) -> None:
        """Record, in one transaction, cases opened or moved on (each with its event,
        documents and deadlines) and documents made outside a case (batch letters).

        ConflictError if a case moved since it was read, if a new case's number was
        taken first (open again for the next), if another run recorded one of the
        letters' batch keys first, or (given the school's ``root``) if a file a row names
        is not there when the transaction is about to commit; then nothing is recorded."""
        moves, letters = list(moves), list(letters)
        rows = [{"created_at": d.created_at or _now(), "case_id": None, **_doc_values(d)}
                for d in letters]
        try:
            with self.writing() as conn:
                for move in moves:
                    at = move.change.event.recorded_at or _now()
                    seal_if_due(conn, at[:10], at)
                    self._move(conn, move)
                if rows:  # one statement for the lot: a batch records hundreds at a time
                    conn.execute(insert(documents), rows)
                    self._queue_letters(conn, [d for d in letters if d.sends])
                if root is not None:  # inside the transaction: a row never names a missing file
                    _all_present(root, [d.path for m in moves for d in m.change.documents]
                                 + [d.path for d in letters])
        except IntegrityError as exc:
            if not rows and any(m.new and m.case.restricted for m in moves):
                raise ConflictError("that case number was drawn already: draw again") from exc
            if not rows:
                raise
            raise ConflictError("someone else is sending the same batch of letters: let "
                                "their run finish, then run yours again (it skips what is "
                                "made)") from exc

    @staticmethod
    def _queue_letters(conn: Connection, letters: list[DocumentRow]) -> None:
        if not letters:
            return
        ids = dict(conn.execute(select(documents.c.path, documents.c.id)
                                .where(documents.c.path.in_([d.path for d in letters]))).all())
        for doc in letters:
            queue(conn, ids[doc.path], doc, doc.created_at or _now())

    def record_documents(self, docs: Iterable[DocumentRow]) -> None:
        """Documents made outside a case (batch letters), all in one transaction."""
        self.commit(letters=docs)

    def _move(self, conn: Connection, move: CaseMove) -> None:
        case, change = move.case, move.change
        if move.new:
            if not case.restricted:  # a restricted case's number is drawn at random
                self._take_number(conn, case.id)
            conn.execute(insert(cases).values(
                id=case.id, workflow=case.workflow, state=move.state,
                student_id=case.student_id, contact_id=case.contact_id, holder=move.holder,
                fields=_json(move.fields), version=1, opened_at=case.opened_at,
                opened_by=case.opened_by, restricted=case.restricted,
                child_protection=case.child_protection))
        else:
            values: dict[str, Any] = dict(state=move.state, fields=_json(move.fields),
                                          holder=move.holder, version=case.version + 1)
            if change.closes:
                values["closed_at"] = change.event.occurred_at
            if move.child_protection is not None:
                values["child_protection"] = move.child_protection
            if move.legal_hold is not None:
                values["legal_hold"] = move.legal_hold
            moved = conn.execute(update(cases).where(
                and_(cases.c.id == case.id, cases.c.version == case.version)).values(**values))
            if moved.rowcount != 1:
                raise ConflictError(f"case {case.id} was changed by someone else while you "
                                    "worked; look at it again ('liaison show') and retry")
        self._record(conn, case.id, change)

    @staticmethod
    def _take_number(conn: Connection, case_id: str) -> None:
        key, _, number = case_id.rpartition("-")
        taken = int(number)
        if taken == 1:
            exists = conn.scalar(select(counters.c.last).where(counters.c.prefix == key))
            moved = 0
            if exists is None:
                try:  # on PostgreSQL two first cases of a year may race to make the counter
                    with conn.begin_nested():
                        conn.execute(insert(counters).values(prefix=key, last=1))
                    moved = 1
                except IntegrityError:
                    moved = 0
        else:
            moved = conn.execute(update(counters).where(and_(
                counters.c.prefix == key, counters.c.last == taken - 1))
                .values(last=taken)).rowcount
        if moved != 1:
            raise ConflictError(f"case number {case_id} was taken by another case first")

    def _record(self, conn: Connection, case_id: str, change: Change) -> None:
        event_id, event_hash = self._append_event(conn, change.event)
        for doc in change.documents:
            made = conn.execute(insert(documents).values(
                event_id=event_id, created_at=change.event.occurred_at,
                **_doc_values(replace(doc, case_id=case_id))))
            if doc.sends:
                queue(conn, int(made.inserted_primary_key[0]), replace(doc, case_id=case_id),
                      change.event.recorded_at or _now(), event_hash)
        for names, status in ((change.meets, "met"), (change.cancels, "cancelled")):
            if names:
                self._settle(conn, case_id, status, change.event.occurred_at, names)
        if change.closes:
            self._settle(conn, case_id, "cancelled", change.event.occurred_at)
        for d in change.deadlines:
            conn.execute(insert(deadlines).values(
                case_id=case_id, name=d.name, title=d.title, clause=d.clause, due_on=d.due_on,
                due_at=d.due_at, status="open", event_id=event_id))

    @staticmethod
    def _settle(conn: Connection, case_id: str, status: str, at: str,
                names: list[str] | None = None) -> None:
        """Mark the case's open deadlines (of these names, else all) met or cancelled."""
        where = and_(deadlines.c.case_id == case_id, deadlines.c.status == "open")
        if names is not None:
            where = and_(where, deadlines.c.name.in_(names))
        conn.execute(update(deadlines).where(where).values(status=status, met_at=at))

    def _append_event(self, conn: Connection, e: EventRow) -> tuple[int, str]:
        """Append the event to its case's chain: its id and hash."""
        last = conn.execute(select(events.c.seq, events.c.hash).where(events.c.case_id == e.case_id)
                            .order_by(events.c.seq.desc()).limit(1)).first()
        seq, prev = (last.seq + 1, last.hash) if last else (1, "")
        recorded = e.recorded_at or _now()
        body = dict(case_id=e.case_id, seq=seq, event=e.event, from_state=e.from_state,
                    to_state=e.to_state, actor=e.actor, actor_name=e.actor_name,
                    occurred_at=e.occurred_at, recorded_at=recorded, fields=_json(e.fields))
        made = chain_hash(prev, body)
        result = conn.execute(insert(events).values(prev_hash=prev, hash=made, **body))
        key = result.inserted_primary_key
        assert key is not None  # an insert into a table with an integer key
        return int(key[0]), made

    def letters_left(self, sent: Iterable[tuple[int, str]]) -> None:
        """A deadline an event met counts as met when the event's letter left: for each
        (document id, when it was sent), the deadlines the document's event met at the
        moment it happened now count from then (the first letter to leave only)."""
        sent = [{"_doc": d, "_at": at} for d, at in sent]
        if not sent:
            return
        made = select(documents.c.created_at).where(documents.c.id == bindparam("_doc"))
        case = select(documents.c.case_id).where(documents.c.id == bindparam("_doc"))
        with self.writing() as conn:
            conn.execute(update(deadlines).where(and_(
                deadlines.c.case_id == case.scalar_subquery(), deadlines.c.status == "met",
                deadlines.c.met_at == made.scalar_subquery()))
                .values(met_at=bindparam("_at")), sent)

    # ------------------------------------------------------------------ disposal

    def dispose(self, case: CaseRow, at: str, actor: tuple[str, str],
                reason: str) -> tuple[dict[str, Any], list[str]]:
        """Delete a case's row, events, deadlines and document rows in one transaction and
        leave its tombstone (``disposals``); returns it and the documents' paths, for the
        caller to remove once this has committed. ConflictError if the case moved (or
        was put on hold) since it was read."""
        with self.writing() as conn:
            row = conn.execute(select(cases.c.version, cases.c.legal_hold)
                               .where(cases.c.id == case.id)).first()
            if row is None or row.version != case.version or row.legal_hold:
                raise ConflictError(f"case {case.id} was changed by someone else while you "
                                    "worked; look at it again ('liaison show') and retry")
            trail = [dict(r._mapping) for r in conn.execute(
                select(events.c.id, events.c.seq, events.c.event, events.c.from_state,
                       events.c.to_state, events.c.actor, events.c.occurred_at,
                       events.c.recorded_at, events.c.prev_hash, events.c.hash)
                .where(events.c.case_id == case.id).order_by(events.c.seq))]
            docs = conn.execute(select(documents.c.path, documents.c.template,
                                       documents.c.sha256)
                                .where(documents.c.case_id == case.id)
                                .order_by(documents.c.id)).all()
            last = conn.scalar(select(disposals.c.hash).order_by(disposals.c.id.desc())
                               .limit(1))
            body = dict(case_id=case.id, workflow=case.workflow, opened_at=case.opened_at,
                        closed_at=case.closed_at, disposed_at=at, disposed_by=actor[0],
                        disposed_by_name=actor[1], reason=reason,
                        last_event_id=trail[-1]["id"] if trail else 0, trail=_json(trail),
                        documents=_json([{"template": d.template, "sha256": d.sha256}
                                         for d in docs]),
                        prev_hash=last or "")
            tombstone = {**body, "hash": tombstone_hash(body)}
            # Its letters' way out and who read it go with it (issues 12 and 10).
            sent = select(outbox.c.id).where(outbox.c.case_id == case.id)
            made = select(documents.c.id).where(documents.c.case_id == case.id)
            conn.execute(outbox_history.delete().where(outbox_history.c.outbox_id.in_(sent)))
            conn.execute(outbox.delete().where(outbox.c.case_id == case.id))
            conn.execute(pdfs.delete().where(pdfs.c.document_id.in_(made)))
            for table in (case_views, trust_reads, deadlines, documents, events):
                conn.execute(table.delete().where(table.c.case_id == case.id))
            conn.execute(cases.delete().where(cases.c.id == case.id))
            conn.execute(insert(disposals).values(**tombstone))
        return tombstone, [d.path for d in docs]

    def letters_home(self, batch: str | None = None) -> list[dict[str, Any]]:
        """The letters home sent outside a case (batch letters), oldest first, with their
        batch (the batch key's first part); of one batch, or all."""
        query = (select(documents.c.id, documents.c.batch_key, documents.c.template,
                        documents.c.path, documents.c.sha256, documents.c.created_at)
                 .where(documents.c.case_id.is_(None), documents.c.batch_key.is_not(None))
                 .order_by(documents.c.id))
        if batch is not None:
            query = query.where(documents.c.batch_key.startswith(f"{batch}:", autoescape=True))
        with self.reads() as r:
            return [{**row._mapping, "batch": row.batch_key.split(":", 1)[0]}
                    for row in r.conn.execute(query)]

    def dispose_letters(self, batch: str, ids: list[int], at: str, actor: tuple[str, str],
                        reason: str) -> dict[str, Any]:
        """Delete the document rows of a batch of letters home (their outbox rows and PDFs
        with them) and leave a tombstone in ``disposals``, as a case's: the batch, its
        dates, who and why, and each letter's template and SHA-256 (no name, no
        address). ConflictError if the batch changed since it was read."""
        with self.writing() as conn:
            docs = conn.execute(select(documents.c.id, documents.c.template,
                                       documents.c.sha256, documents.c.created_at)
                                .where(documents.c.id.in_(ids), documents.c.case_id.is_(None))
                                .order_by(documents.c.id)).all()
            if len(docs) != len(ids):
                raise ConflictError(f"the letters of batch {batch} were changed by someone "
                                    "else while you worked; list them again and retry")
            last = conn.scalar(select(disposals.c.hash).order_by(disposals.c.id.desc())
                               .limit(1))
            newest = max(d.created_at for d in docs)
            body = dict(case_id=f"letters:{batch}:{newest[:10]}", workflow="letters_home",
                        opened_at=min(d.created_at for d in docs), closed_at=newest,
                        disposed_at=at, disposed_by=actor[0], disposed_by_name=actor[1],
                        reason=reason, last_event_id=0, trail="[]",
                        documents=_json([{"template": d.template, "sha256": d.sha256}
                                         for d in docs]),
                        prev_hash=last or "")
            tombstone = {**body, "hash": tombstone_hash(body)}
            sent = select(outbox.c.id).where(outbox.c.document_id.in_(ids))
            conn.execute(outbox_history.delete().where(outbox_history.c.outbox_id.in_(sent)))
            conn.execute(outbox.delete().where(outbox.c.document_id.in_(ids)))
            conn.execute(pdfs.delete().where(pdfs.c.document_id.in_(ids)))
            conn.execute(documents.delete().where(documents.c.id.in_(ids)))
            conn.execute(insert(disposals).values(**tombstone))
        return tombstone

    def record_export(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Record a subject access export (EXPORT_BODY's values but prev_hash), chained to
        the one before it; the row written."""
        with self.writing() as conn:
            last = conn.scalar(select(exports.c.hash).order_by(exports.c.id.desc()).limit(1))
            body = {**{k: record[k] for k in EXPORT_BODY if k != "prev_hash"},
                    "prev_hash": last or ""}
            row = {**body, "hash": export_hash(body)}
            conn.execute(insert(exports).values(**row))
        return row

    def exports(self) -> list[dict[str, Any]]:
        """Every subject access export recorded, oldest first."""
        with self.reads() as r:
            return [dict(row._mapping) for row in
                    r.conn.execute(select(*own(exports)).order_by(exports.c.id))]

    def disposals(self) -> list[dict[str, Any]]:
        """Every tombstone, in the order the cases were disposed of."""
        with self.reads() as r:
            return [dict(row._mapping) for row in
                    r.conn.execute(select(*own(disposals)).order_by(disposals.c.id))]

    # ------------------------------------------------------------------ the audit trail

    def verify(self, root: Path, case: str | None = None, **split: int) -> Any:
        """Every chain, case row, document file and the newest seal (engine.store.audit):
        the first Broken link, else Verified counts. ``split``: ``workers`` and
        ``parallel_from`` of ``audit.verify``."""
        from engine.store import audit  # it imports this module's tables

        with self.reads() as r:
            return audit.verify(r.conn, root, case, **split)

    def seal(self, at: str) -> dict[str, Any] | None:
        """A seal over every event recorded so far (None when the newest covers them)."""
        with self.writing() as conn:
            return seal(conn, at[:10], at) or None

    def newest_seal(self) -> dict[str, Any] | None:
        with self.reads() as r:
            row = r.conn.execute(select(*own(seals)).order_by(seals.c.id.desc()).limit(1)).first()
        return dict(row._mapping) if row else None

    # ------------------------------------------------------------------ maintenance

    def dump(self) -> list[str]:
        """Every row of every table as text: tests compare it before and after (the
        school's rows only, on PostgreSQL)."""
        if not self.postgresql:
            raw = self.engine.raw_connection()
            try:
                return list(raw.driver_connection.iterdump())  # type: ignore[union-attr]
            finally:
                raw.close()
        with self.reads() as r:
            return [f"{table.name}: {tuple(row)!r}" for table in metadata.sorted_tables
                    for row in r.conn.execute(select(*own(table)).order_by(*own(table)))]

    def backup(self, target: Path) -> None:
        """A copy of the store, consistent while others write, written whole to
        ``target`` or not at all: SQLite's online backup API; on PostgreSQL, pg_dump of
        this school's rows alone, through row-level security (engine/store/pgdump.py)."""
        if self.path is None:
            from engine.store import pgdump

            pgdump.dump(self.url, self.school_id, target)
            return
        partial = target.with_name(target.name + ".partial")
        raw = self.engine.raw_connection()
        try:
            with sqlite3.connect(partial) as copy:
                raw.driver_connection.backup(copy)  # type: ignore[union-attr]
            copy.close()
            partial.replace(target)
        finally:
            raw.close()
            partial.unlink(missing_ok=True)

    def restore(self, source: Path) -> tuple[str | None, str]:
        """Replace the store's rows with a backup's, in one step, then bring it to the
        newest revision: (the backup's revision, the newest). SQLite's backup API; on
        PostgreSQL, this school's rows alone, in one transaction (pgdump.load)."""
        if self.path is None:
            from engine.store import pgdump

            sql = pgdump.script(source)
            with self.writing() as conn:
                pgdump.load(conn, [t.name for t in metadata.sorted_tables],
                            [t.name for t in metadata.sorted_tables
                             if "id" in t.c and isinstance(t.c.id.type, Integer)], sql, source)
            self.engine.dispose()  # the script's session settings go with its connection
            return schema.HEAD, schema.HEAD
        try:
            with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as backup:
                names = {r[0] for r in backup.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'")}
                if not names & {"alembic_version", "migrations"} or "cases" not in names:
                    raise InputError(f"{source}: not a backup of a Liaison store")
                raw = self.engine.raw_connection()
                try:
                    backup.backup(raw.driver_connection)  # type: ignore[arg-type]
                finally:
                    raw.close()
            backup.close()
        except sqlite3.DatabaseError as exc:
            raise InputError(f"{source}: not a backup of a Liaison store ({exc})") from None
        self.engine.dispose()  # connections opened before the restore saw the old schema
        at = self.revision()[0]
        self._migrate()
        return at, schema.HEAD

    def execute(self, sql: str) -> None:
        """Run raw SQL in a write transaction (for benchmarks and maintenance)."""
        with self.writing() as conn:
            conn.execute(text(sql))

def _month(column: Any) -> Any:
    """YYYY-MM of an ISO date or moment. ``substr`` is standard SQL (SQLite, PostgreSQL)."""
    return func.substr(column, 1, 7)


def queue(conn: Connection, document_id: int, doc: DocumentRow, at: str,
          event_hash: str = "") -> None:
    """Queue a letter's outbox rows with its document, in the same transaction; each
    row's history starts from the hash of the event that made the letter (if any)."""
    for send in doc.sends:
        key = sending.key_of(doc.path, send.channel, send.recipient_id)
        result = conn.execute(insert(outbox).values(
            key=key, document_id=document_id, case_id=doc.case_id, student_id=doc.student_id,
            channel=send.channel, recipient_id=send.recipient_id, address=send.address,
            subject=send.subject, language=send.language, status="queued", attempts=0,
            next_at=at, queued_at=at))
        detail = f"queued to go by {send.channel}"
        conn.execute(insert(outbox_history).values(
            outbox_id=result.inserted_primary_key[0], at=at, status="queued", attempt=0,
            detail=detail, prev_hash=event_hash,
            hash=history_hash(event_hash, key, at, "queued", 0, detail)))


def _doc_values(doc: DocumentRow) -> dict[str, Any]:
    return dict(student_id=doc.student_id, template=doc.template, recipient_id=doc.recipient_id,
                recipient_name=doc.recipient_name, path=doc.path, sha256=doc.sha256,
                size=doc.size, batch_key=doc.batch_key, context=doc.context,
                **({"case_id": doc.case_id} if doc.case_id else {}))


def _case(row: Any) -> CaseRow:
    values = dict(row)
    values["fields"] = json.loads(values["fields"])
    values["restricted"] = bool(values["restricted"])
    values["child_protection"] = bool(values["child_protection"])
    values["legal_hold"] = bool(values["legal_hold"])
    return CaseRow(**values)
