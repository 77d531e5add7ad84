"""The record of administrators acting as another member of staff at the CLI (table
``impersonations``, revision 0022_safety_impersonations): written before the command does
anything, never changed. ``engine.service.identity`` decides who may; this keeps and reads.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select

from engine.store.database import Store, impersonations, own


class Impersonations:
    """The impersonation rows of one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def record(self, **values: Any) -> None:
        """Write one down: by_staff, by_name, as_staff, as_name, reason, command, case_id,
        at."""
        with self.store.writing() as conn:
            conn.execute(insert(impersonations).values(**values))

    def of_case(self, case_id: str) -> list[dict[str, Any]]:
        """Those that named this case, oldest first."""
        query = select(*own(impersonations)).where(impersonations.c.case_id == case_id) \
            .order_by(impersonations.c.id)
        with self.store.reads() as r:
            return [dict(row._mapping) for row in r.conn.execute(query)]

    def all(self) -> list[dict[str, Any]]:
        """Every one, oldest first."""
        with self.store.reads() as r:
            return [dict(row._mapping) for row in r.conn.execute(
                select(*own(impersonations)).order_by(impersonations.c.id))]
