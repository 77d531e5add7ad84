"""The print packs' own audit trail (table ``pack_audit``, revision 0020_web_pack_audit):
who made each pack of the post and who downloaded it, from which door, when. A pack
holds every posted letter of its day, so each reading of it is written down, as each
reading of a restricted case is (``case_views``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select

from engine.store.database import Store, own, pack_audit


class PackAudit:
    """The pack audit rows of one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def record(self, pack: str, action: str, staff_id: str, staff_name: str, door: str,
               at: str, letters: int | None = None, sha256: str | None = None) -> None:
        with self.store.writing() as conn:
            conn.execute(insert(pack_audit).values(
                pack=pack, action=action, staff_id=staff_id, staff_name=staff_name,
                door=door, at=at, letters=letters, sha256=sha256))

    def rows(self) -> list[dict[str, Any]]:
        """Every row, oldest first."""
        with self.store.reads() as r:
            query = select(*own(pack_audit)).order_by(pack_audit.c.id)
            return [dict(row._mapping) for row in r.conn.execute(query)]
