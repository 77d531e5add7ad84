"""Sign-in records of the web page: each member of staff's password hash, second factor
and failed sign-ins (tables ``logins`` and ``sign_ins``, migration 0007).

The store only keeps and counts; ``engine.service.users`` decides (hashing, codes, when an
account locks). Counting happens in the write transaction itself, so two wrong passwords
sent at once both count.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, or_, select, update

from engine.store.database import Store, logins, own, sign_ins


class Logins:
    """The sign-in rows of one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, staff_id: str) -> dict[str, Any] | None:
        with self.store.reads() as r:
            row = r.conn.execute(select(*own(logins)).where(logins.c.staff_id == staff_id)).first()
        return dict(row._mapping) if row else None

    def by_token(self, token_hash: str) -> str | None:
        """The staff id whose CLI token has this hash."""
        with self.store.reads() as r:
            return r.conn.scalar(select(logins.c.staff_id)
                                 .where(logins.c.token_hash == token_hash))

    def all(self) -> dict[str, dict[str, Any]]:
        with self.store.reads() as r:
            rows = r.conn.execute(select(*own(logins))).all()
        return {row.staff_id: dict(row._mapping) for row in rows}

    def save(self, staff_id: str, at: str, **values: Any) -> None:
        """Set columns of a member of staff's row (made if missing)."""
        with self.store.writing() as conn:
            done = conn.execute(update(logins).where(logins.c.staff_id == staff_id)
                                .values(updated_at=at, **values))
            if done.rowcount == 0:
                conn.execute(insert(logins).values(
                    **{"staff_id": staff_id, "updated_at": at, "failures": 0, **values}))

    def failed(self, staff_id: str, at: str, outcome: str, limit: int,
               locked_until: str) -> int:
        """Count one failed sign-in and record it; at ``limit`` failures in a row the
        account is locked until ``locked_until`` (and the count starts again). Returns
        the count after this one (0 when this one locked the account)."""
        with self.store.writing() as conn:
            self._row(conn, staff_id, at)
            count = conn.execute(update(logins).where(logins.c.staff_id == staff_id)
                                 .values(failures=logins.c.failures + 1, updated_at=at)
                                 .returning(logins.c.failures)).scalar_one()
            if count >= limit:
                conn.execute(update(logins).where(logins.c.staff_id == staff_id)
                             .values(failures=0, locked_until=locked_until))
                count = 0
            conn.execute(insert(sign_ins).values(staff_id=staff_id, at=at, outcome=outcome))
        return count

    def record(self, staff_id: str, at: str, outcome: str, reset: bool = False) -> None:
        """Record a sign-in tried (``reset``: it succeeded, so the failures start again)."""
        with self.store.writing() as conn:
            if reset:
                conn.execute(update(logins).where(logins.c.staff_id == staff_id)
                             .values(failures=0, locked_until=None))
            conn.execute(insert(sign_ins).values(staff_id=staff_id, at=at, outcome=outcome))

    def use_step(self, staff_id: str, step: int) -> bool:
        """Take a second-factor code's time step, once: False if it (or a later one) was
        used already, so a code seen over a shoulder cannot be replayed."""
        with self.store.writing() as conn:
            done = conn.execute(update(logins).where(
                logins.c.staff_id == staff_id,
                or_(logins.c.totp_last_step.is_(None), logins.c.totp_last_step < step))
                .values(totp_last_step=step))
        return done.rowcount == 1

    def attempts(self, staff_id: str) -> list[dict[str, Any]]:
        """The sign-ins tried for one member of staff, oldest first."""
        with self.store.reads() as r:
            rows = r.conn.execute(select(*own(sign_ins)).where(sign_ins.c.staff_id == staff_id)
                                  .order_by(sign_ins.c.id)).all()
        return [dict(row._mapping) for row in rows]

    @staticmethod
    def _row(conn: Any, staff_id: str, at: str) -> None:
        exists = conn.execute(select(logins.c.staff_id)
                              .where(logins.c.staff_id == staff_id)).first()
        if not exists:
            conn.execute(insert(logins).values(staff_id=staff_id, updated_at=at, failures=0))
