"""The outbox: letters on their way (tables ``outbox``, ``outbox_history`` and ``pdfs``,
migration 0009), and the journal of hand-overs that survives a killed worker.

The store only keeps and moves rows; ``engine.service.outbox`` decides what goes, how and
when. Each status change writes a history row in the same transaction as the change.

The journal (``cases/outbox.journal``) is appended to (one ``write`` of one line, no
fsync: it must survive a killed process, not a power cut) just before an email is handed
to the mail server (``begin``) and as soon as the server has taken it (``done``). A row
left ``sending`` by a crash is reconciled from it: ``done`` means it went; no ``begin``
means it never reached the server and goes again; ``begin`` alone means the server may
have taken it, so it is never sent again by itself (``unknown``: a person checks).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, select, update

from engine.store.database import (
    Store,
    cases,
    deadlines,
    documents,
    events,
    history_hash,
    outbox,
    outbox_history,
    own,
    pdfs,
    students,
)

JOURNAL = "outbox.journal"
LOCK = "outbox.lock"
OPEN = ("queued", "sending")  # still on its way


class Outbox:
    """The outbox rows of one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def due(self, now: str, limit: int = 200, after: int = 0,
            channels: Sequence[str] = ("email",)) -> list[dict[str, Any]]:
        """Queued rows of these channels whose time has come, oldest first, with their
        document's file, case and student (what sending one needs)."""
        query = (self._joined().where(and_(outbox.c.status == "queued",
                                           outbox.c.next_at <= now, outbox.c.id > after,
                                           outbox.c.channel.in_(list(channels))))
                 .order_by(outbox.c.id).limit(limit))
        with self.store.reads() as r:
            result = r.conn.execute(query)
            return [dict(row._mapping) for row in result]

    def rows(self, case_ids: Iterable[str] | None = None,
             ids: Iterable[int] | None = None) -> list[dict[str, Any]]:
        """Every row (of these cases, or these ids), oldest first, joined as ``due``."""
        query = self._joined().order_by(outbox.c.id)
        if case_ids is not None:
            query = query.where(outbox.c.case_id.in_(list(case_ids)))
        if ids is not None:
            query = query.where(outbox.c.id.in_(list(ids)))
        with self.store.reads() as r:
            return [dict(row._mapping) for row in r.conn.execute(query)]

    def history(self, case_id: str) -> list[dict[str, Any]]:
        """The status changes of a case's letters, in order, with the letter they are of."""
        query = (select(outbox_history.c.at, outbox_history.c.status, outbox_history.c.attempt,
                        outbox_history.c.detail, outbox.c.id, outbox.c.channel,
                        outbox.c.recipient_id, documents.c.template,
                        documents.c.recipient_name, documents.c.path)
                 .join(outbox, outbox.c.id == outbox_history.c.outbox_id)
                 .join(documents, documents.c.id == outbox.c.document_id)
                 .where(outbox.c.case_id == case_id).order_by(outbox_history.c.id))
        with self.store.reads() as r:
            return [dict(row._mapping) for row in r.conn.execute(query)]

    def stuck(self) -> list[dict[str, Any]]:
        """Rows a worker began and never finished (it was stopped or killed)."""
        with self.store.reads() as r:
            return [dict(row._mapping) for row in r.conn.execute(
                select(*own(outbox)).where(outbox.c.status == "sending").order_by(outbox.c.id))]

    def failed(self) -> list[dict[str, Any]]:
        """Rows that need a person: failed, bounced, or unknown after a crash (the due
        list)."""
        query = self._joined().where(outbox.c.status.in_(("failed", "bounced", "unknown")))
        with self.store.reads() as r:
            return [dict(row._mapping) for row in r.conn.execute(query.order_by(outbox.c.id))]

    def by_message_id(self, message_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The emails of these Message-IDs: {Message-ID: row}."""
        with self.store.reads() as r:
            return {row.message_id: dict(row._mapping) for row in r.conn.execute(
                select(*own(outbox)).where(and_(outbox.c.channel == "email",
                                                outbox.c.message_id.in_(list(message_ids)))))}

    def counts(self) -> dict[str, int]:
        with self.store.reads() as r:
            return dict(r.conn.execute(select(outbox.c.status, func.count())
                                       .group_by(outbox.c.status)).all())

    def begin(self, rows: Sequence[tuple[int, str | None]], at: str) -> None:
        """Record an attempt of each row before it is made: (id, Message-ID) each, the
        Message-ID stored so that every attempt carries the same one. One statement for
        the lot (executemany): a row at a time cost more than the sending."""
        if not rows:
            return
        ids = [row_id for row_id, _ in rows]
        with self.store.writing() as conn:
            conn.execute(update(outbox).where(and_(outbox.c.id == bindparam("_id"),
                                                   outbox.c.status == "queued"))
                         .values(status="sending", attempts=outbox.c.attempts + 1,
                                 message_id=func.coalesce(outbox.c.message_id,
                                                          bindparam("_mid"))),
                         [{"_id": i, "_mid": m} for i, m in rows])
            self._history(conn, {i: ("sending", "") for i in ids}, at, "attempt {n}")

    def finish(self, results: Iterable[dict[str, Any]], at: str,
               moves: Sequence[tuple[int, str, str]] = ()) -> None:
        """Record how each attempt ended: ``id``, ``status``, ``detail`` and any of
        ``next_at``, ``sent_at``, ``sent_to``, ``error``, ``provider_id``, ``pack``,
        ``received_on`` (one statement for each set of columns); and, in the same
        transaction, the open deadlines that now run from a letter's receipt: (event id,
        deadline name, the day it falls) each."""
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        said: dict[int, tuple[str, str]] = {}
        for result in results:
            values = {k: v for k, v in result.items() if k not in ("id", "detail")}
            if values["status"] in ("sent", "posted") and "error" not in values:
                values["error"] = None
            groups.setdefault(tuple(sorted(values)), []).append(
                {"_id": result["id"], **{f"v_{k}": v for k, v in values.items()}})
            said[result["id"]] = (result["status"], result.get("detail", ""))
        if not said:
            return
        with self.store.writing() as conn:
            for columns, params in groups.items():
                conn.execute(update(outbox).where(outbox.c.id == bindparam("_id"))
                             .values({c: bindparam(f"v_{c}") for c in columns}), params)
            self._history(conn, said, at)
            if moves:
                conn.execute(update(deadlines).where(and_(
                    deadlines.c.event_id == bindparam("_event"),
                    deadlines.c.name == bindparam("_name"), deadlines.c.status == "open"))
                    .values(due_on=bindparam("_due")),
                    [{"_event": e, "_name": n, "_due": d} for e, n, d in moves])

    @staticmethod
    def _history(conn: Any, said: dict[int, tuple[str, str]], at: str,
                 detail: str = "") -> None:
        """A history row for each outbox row (its status, and the attempt it is at),
        chained to the row's history before it (audit verify). The rows are locked first
        (PostgreSQL), so two writers never chain to the same row."""
        ids = list(said)
        newest = (select(func.max(outbox_history.c.id))
                  .where(outbox_history.c.outbox_id.in_(ids))
                  .group_by(outbox_history.c.outbox_id))
        rows = {r.id: r for r in conn.execute(
            select(outbox.c.id, outbox.c.key, outbox.c.attempts)
            .where(outbox.c.id.in_(ids)).with_for_update())}
        heads = dict(conn.execute(select(outbox_history.c.outbox_id, outbox_history.c.hash)
                                  .where(outbox_history.c.id.in_(newest))).all())
        values = []
        for i, (status, text) in said.items():
            row, prev = rows[i], heads.get(i) or ""
            what = detail.format(n=row.attempts) if detail else text
            values.append({"outbox_id": i, "at": at, "status": status,
                           "attempt": row.attempts, "detail": what, "prev_hash": prev,
                           "hash": history_hash(prev, row.key, at, status, row.attempts,
                                                what)})
        conn.execute(insert(outbox_history), values)

    def made_by(self, document_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        """The case's workflow and the event that made each document (a batch letter's is
        not listed), with that event's open deadlines: {name: due_on}."""
        query = (select(documents.c.id, documents.c.event_id, events.c.event,
                        cases.c.workflow, deadlines.c.name, deadlines.c.due_on)
                 .join(events, events.c.id == documents.c.event_id)
                 .join(cases, cases.c.id == documents.c.case_id)
                 .outerjoin(deadlines, and_(deadlines.c.event_id == events.c.id,
                                            deadlines.c.status == "open"))
                 .where(documents.c.id.in_(list(document_ids))))
        out: dict[int, dict[str, Any]] = {}
        with self.store.reads() as r:
            for row in r.conn.execute(query):
                made = out.setdefault(row.id, {"event_id": row.event_id, "event": row.event,
                                               "workflow": row.workflow, "open": {}})
                if row.name is not None:
                    made["open"][row.name] = row.due_on
        return out

    def pdfs_of(self, document_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        with self.store.reads() as r:
            rows = r.conn.execute(select(*own(pdfs))
                                  .where(pdfs.c.document_id.in_(list(document_ids))))
            return {row.document_id: dict(row._mapping) for row in rows}

    def record_pdfs(self, rows: Iterable[dict[str, Any]]) -> None:
        rows = list(rows)
        if rows:
            with self.store.writing() as conn:
                conn.execute(insert(pdfs), rows)

    @staticmethod
    def _joined() -> Any:
        return (select(*own(outbox), documents.c.path, documents.c.template,
                       documents.c.recipient_name, documents.c.sha256.label("docx_sha256"),
                       cases.c.workflow, cases.c.restricted,
                       cases.c.opened_by, cases.c.holder, cases.c.state,
                       cases.c.child_protection, students.c.first_name,
                       students.c.last_name)
                .join(documents, documents.c.id == outbox.c.document_id)
                .outerjoin(cases, cases.c.id == outbox.c.case_id)
                .join(students, students.c.id == outbox.c.student_id))


class Journal:
    """The append-only record of hand-overs to the mail server (see the module's text)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / JOURNAL
        self._fd: int | None = None

    def __enter__(self) -> Journal:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        return self

    def __exit__(self, *_: object) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def note(self, what: str, row_id: int, message_id: str) -> None:
        assert self._fd is not None
        os.write(self._fd, f"{what} {row_id} {message_id}\n".encode())

    def read(self) -> dict[int, set[str]]:
        """What the journal says of each row: {id: {"begin", "done"}}."""
        out: dict[int, set[str]] = {}
        if not self.path.exists():
            return out
        for line in self.path.read_text(encoding="utf-8").splitlines():
            parts = line.split(" ")
            if len(parts) == 3 and parts[1].isdigit():
                out.setdefault(int(parts[1]), set()).add(parts[0])
        return out

    def clear(self) -> None:
        """Empty it, once every row it speaks of is recorded in the store."""
        with open(self.path, "w", encoding="utf-8"):
            pass


@contextmanager
def worker_lock(folder: Path) -> Iterator[bool]:
    """Whether this process is the only worker sending (an advisory lock on a file in
    ``folder``): a second ``liaison deliver`` must not reconcile the first one's rows."""
    import fcntl

    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
