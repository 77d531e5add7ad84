"""Counts kept by the day, so ``liaison report`` need not read every event and deadline of
its range (issue 14): a three-year report read 400,000 rows to print a few hundred counts.

``event_tallies``: how many events of each (workflow, restricted, event) happened each day;
``deadline_tallies``: how many deadlines of each (workflow, restricted) fall each day, by
outcome (met on time, late, cancelled, open). Triggers keep them in the same transaction
as the row they count, whichever path writes it (an advance, a deadline met or cancelled,
a letter leaving later, a disposal), on SQLite and on PostgreSQL alike; the report reads
them, and counts from the rows only where the tally cannot say (today's open deadlines,
restricted workflows seen by their opener, cases hidden from a member of staff by name).
Both are rebuilt here from the rows already stored (tests/test_report_sql.py holds them
equal to counting the rows).

On PostgreSQL the rebuild counts every school's rows: the owner lifts FORCE on events and
deadlines for this transaction only (it holds their locks until it commits)."""

import sqlalchemy as sa
from alembic import op

from engine.store.migrations import tenancy

revision = "0018_perf_tallies"
down_revision = "0017_due_count_indexes"

# A deadline's outcome as stored: it falls at its moment, else at its day's end.
OUTCOME = ("CASE WHEN {r}.status = 'met' THEN CASE WHEN {r}.met_at <= coalesce("
           "{r}.due_at || ':00', {r}.due_on || 'T23:59:59') THEN 'met' ELSE 'late' END "
           "WHEN {r}.status = 'open' THEN 'open' ELSE 'cancelled' END")

EVENT_KEY = "school_id, day, workflow, restricted, event"
DEADLINE_KEY = "school_id, day, workflow, restricted, outcome"


def _event_tally(row: str, sign: str) -> str:
    """Add ``sign`` 1 to the tally of the event ``row`` (NEW or OLD)."""
    return (f"INSERT INTO event_tallies ({EVENT_KEY}, n) "
            f"SELECT {row}.school_id, substr({row}.occurred_at, 1, 10), c.workflow, "
            f"c.restricted, {row}.event, {sign}1 FROM cases c "
            f"WHERE c.school_id = {row}.school_id AND c.id = {row}.case_id "
            f"ON CONFLICT ({EVENT_KEY}) DO UPDATE SET n = event_tallies.n + excluded.n;")


def _deadline_tally(row: str, sign: str) -> str:
    """Add ``sign`` 1 to the tally of the deadline ``row`` (NEW or OLD)."""
    return (f"INSERT INTO deadline_tallies ({DEADLINE_KEY}, n) "
            f"SELECT {row}.school_id, {row}.due_on, c.workflow, c.restricted, "
            f"{OUTCOME.format(r=row)}, {sign}1 FROM cases c "
            f"WHERE c.school_id = {row}.school_id AND c.id = {row}.case_id "
            f"ON CONFLICT ({DEADLINE_KEY}) DO UPDATE SET n = deadline_tallies.n + excluded.n;")


def _statements() -> dict[str, dict[str, list[str]]]:
    """Each table's trigger statements, by the operation they follow."""
    return {
        "events": {"INSERT": [_event_tally("NEW", "+")],
                   "UPDATE": [_event_tally("OLD", "-"), _event_tally("NEW", "+")],
                   "DELETE": [_event_tally("OLD", "-")]},
        "deadlines": {"INSERT": [_deadline_tally("NEW", "+")],
                      "UPDATE": [_deadline_tally("OLD", "-"), _deadline_tally("NEW", "+")],
                      "DELETE": [_deadline_tally("OLD", "-")]},
    }


def _tables() -> None:
    for name, kind in (("event_tallies", "event"), ("deadline_tallies", "outcome")):
        op.create_table(
            name,
            sa.Column("school_id", sa.String, nullable=False),
            sa.Column("day", sa.String, nullable=False),  # YYYY-MM-DD
            sa.Column("workflow", sa.String, nullable=False),
            sa.Column("restricted", sa.Boolean, nullable=False),  # the case's, as stored
            sa.Column(kind, sa.String, nullable=False),
            sa.Column("n", sa.Integer, nullable=False),
            sa.PrimaryKeyConstraint("school_id", "day", "workflow", "restricted", kind))


def _triggers(conn: sa.engine.Connection) -> None:
    for table, operations in _statements().items():
        for operation, statements in operations.items():
            name = f"tally_{table}_{operation.lower()}"
            body = "\n  ".join(statements)
            if conn.dialect.name == "postgresql":
                rows = "NEW" if operation != "DELETE" else "OLD"
                conn.exec_driver_sql(
                    f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql "
                    # its tables by the schema it was made in: pg_restore empties search_path
                    "SET search_path FROM CURRENT AS $$\n"
                    f"BEGIN\n  {body}\n  RETURN {rows};\nEND $$")
                conn.exec_driver_sql(f"CREATE TRIGGER {name} AFTER {operation} ON {table} "
                                     f"FOR EACH ROW EXECUTE FUNCTION {name}()")
            else:  # SQLite: an INSERT ... SELECT with a WHERE may take ON CONFLICT
                conn.exec_driver_sql(f"CREATE TRIGGER {name} AFTER {operation} ON {table} "
                                     f"FOR EACH ROW BEGIN\n  {body}\nEND")


def _rebuild(conn: sa.engine.Connection) -> None:
    postgresql = conn.dialect.name == "postgresql"
    if postgresql:
        for table in ("events", "deadlines", "cases"):
            conn.exec_driver_sql(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    conn.exec_driver_sql(
        f"INSERT INTO event_tallies ({EVENT_KEY}, n) "
        "SELECT e.school_id, substr(e.occurred_at, 1, 10), c.workflow, c.restricted, e.event, "
        "count(*) FROM events e JOIN cases c ON c.school_id = e.school_id AND c.id = e.case_id "
        "GROUP BY e.school_id, substr(e.occurred_at, 1, 10), c.workflow, c.restricted, e.event")
    conn.exec_driver_sql(
        f"INSERT INTO deadline_tallies ({DEADLINE_KEY}, n) "
        f"SELECT d.school_id, d.due_on, c.workflow, c.restricted, {OUTCOME.format(r='d')}, "
        "count(*) FROM deadlines d JOIN cases c ON c.school_id = d.school_id "
        "AND c.id = d.case_id "
        f"GROUP BY d.school_id, d.due_on, c.workflow, c.restricted, {OUTCOME.format(r='d')}")
    if postgresql:
        for table in ("events", "deadlines", "cases"):
            conn.exec_driver_sql(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")


def upgrade() -> None:
    conn = op.get_bind()
    if sa.inspect(conn).has_table("event_tallies"):  # a store stamped behind what it holds
        return
    _tables()
    _rebuild(conn)
    _triggers(conn)
    for table in ("event_tallies", "deadline_tallies"):
        tenancy.protect(conn, table)
