"""A letter's way out enters the case's hash chain (issue 12): each outbox_history row
keeps the hash of the row before it (``prev_hash``) and its own (``hash``), the first of a
letter's rows chained to the hash of the event that made the letter (none for a batch
letter outside a case), so ``liaison audit verify`` finds an edited or removed one. The
rows written before this revision are hashed here, in their order.

The hash is written out here as the store wrote it on the day (a revision never imports
the store's code): SHA-256 of the previous hash and the row's key, time, status, attempt
and detail as sorted, compact JSON."""

from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "0023_delivery_history_chain"
down_revision = "0022_safety_impersonations"

# The tables the hashing reads: on PostgreSQL row-level security is FORCEd on their owner
# too, so it is lifted for this transaction alone to hash every school's rows.
READ = ("outbox_history", "outbox", "documents", "events")


def _hash(prev: str, key: str, at: str, status: str, attempt: int, detail: str) -> str:
    body = {"key": key, "at": at, "status": status, "attempt": attempt, "detail": detail}
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev + text).encode()).hexdigest()


def upgrade() -> None:
    conn = op.get_bind()
    if "hash" in {c["name"] for c in sa.inspect(conn).get_columns("outbox_history")}:
        return  # a store stamped back to an earlier revision (tests do)
    conn.exec_driver_sql("ALTER TABLE outbox_history ADD COLUMN prev_hash VARCHAR")
    conn.exec_driver_sql("ALTER TABLE outbox_history ADD COLUMN hash VARCHAR")
    postgresql = conn.dialect.name == "postgresql"
    if postgresql:
        for table in READ:
            conn.exec_driver_sql(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    rows = conn.exec_driver_sql(
        "SELECT h.school_id, h.id, h.outbox_id, o.key, h.at, h.status, h.attempt, h.detail, "
        "e.hash FROM outbox_history h JOIN outbox o ON o.id = h.outbox_id "
        "AND o.school_id = h.school_id JOIN documents d ON d.id = o.document_id "
        "AND d.school_id = o.school_id LEFT JOIN events e ON e.id = d.event_id "
        "AND e.school_id = d.school_id ORDER BY h.school_id, h.outbox_id, h.id").all()
    heads: dict[tuple[str, int], str] = {}
    for school, row_id, outbox_id, key, at, status, attempt, detail, anchor in rows:
        prev = heads.get((school, outbox_id), anchor or "")
        heads[(school, outbox_id)] = made = _hash(prev, key, at, status, attempt, detail)
        conn.execute(sa.text("UPDATE outbox_history SET prev_hash = :prev, hash = :hash "
                             "WHERE school_id = :school AND id = :id"),
                     {"prev": prev, "hash": made, "school": school, "id": row_id})
    if postgresql:
        for table in READ:
            conn.exec_driver_sql(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
