"""The staff web page's own queries (issue 10): each reads only what one page shows.

A page of the due list with how many are overdue, due today and due later (one query:
the counts ride on the rows as window sums, so nothing is read twice); how many cases a
listing holds, counted no further than the page needs; students found by name for
opening a case; and the letters of a batch for its result page. Who may see what
(CLA-3) is a condition of each query, as in ``database._visible``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import and_, func, literal, or_, select
from sqlalchemy import case as case_when

from engine.core.rows import Visibility
from engine.store.database import Store, _visible, cases, deadlines, documents, students

RANKS = ("overdue", "due_today", "upcoming")  # the due list's order (service.views.ORDER)


class Pages:
    """The web page's queries over one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def due_page(self, until: str, now: str, holders: Iterable[str] | None,
                 seen: Visibility, offset: int, limit: int
                 ) -> tuple[dict[str, int], list[dict[str, Any]]]:
        """How many open deadlines due by ``until`` (ISO date) ``seen`` allows, by
        status as at ``now`` (ISO date and time), and ``limit`` of them from ``offset``
        in the due list's order, with the student's name: overdue (a moment passed, or a
        day before today), due today, then later; by the moment (a day's deadline at its
        end), case and name."""
        today = now[:10]
        rank = case_when((or_(and_(deadlines.c.due_at.is_not(None), deadlines.c.due_at <= now),
                              deadlines.c.due_on < today), 0),
                         (deadlines.c.due_on == today, 1), else_=2)
        moment = func.coalesce(deadlines.c.due_at, deadlines.c.due_on + literal("T24:00"))
        where = [deadlines.c.status == "open", deadlines.c.due_on <= until, *_visible(seen)]
        if holders is not None:
            where.append(cases.c.holder.in_(sorted(holders)))
        counts = [func.sum(case_when((rank == i, 1), else_=0)).over().label(f"n{i}")
                  for i in range(len(RANKS))]
        due = (select(deadlines.c.case_id, deadlines.c.name, deadlines.c.title,
                      deadlines.c.clause, deadlines.c.due_on, deadlines.c.due_at,
                      cases.c.workflow, cases.c.state, cases.c.student_id, cases.c.holder,
                      cases.c.restricted, cases.c.opened_by, rank.label("rank"),
                      moment.label("moment"), *counts)
               .join(cases, cases.c.id == deadlines.c.case_id).where(*where).subquery())
        order = (due.c.rank, due.c.moment, due.c.case_id, due.c.name)
        # The page first, then the students' names of its rows alone (not of every row).
        page = select(due).order_by(*order).offset(offset).limit(limit).subquery()
        query = (select(page, students.c.first_name, students.c.last_name)
                 .join(students, students.c.id == page.c.student_id)
                 .order_by(page.c.rank, page.c.moment, page.c.case_id, page.c.name))
        with self.store.reads() as r:
            result = r.conn.execute(query)
            names = list(result.keys())
            rows = [dict(zip(names, row, strict=True)) for row in result]
            if rows:
                return {s: int(rows[0][f"n{i}"] or 0) for i, s in enumerate(RANKS)}, rows
            # past the last page (or nothing due): the counts alone
            by_rank = select(due.c.rank, func.count()).group_by(due.c.rank)
            found = {rank_: n for rank_, n in r.conn.execute(by_rank)}
        return {s: int(found.get(i, 0)) for i, s in enumerate(RANKS)}, []

    def case_page(self, filters: Mapping[str, str | None], seen: Visibility,
                  words: Iterable[str], offset: int, limit: int, count_to: int
                  ) -> tuple[int, list[dict[str, Any]]]:
        """One page of the cases ``seen`` allows, newest first, and how many there are,
        counted up to ``count_to`` at most (a count past it is ``count_to + 1``: "more
        than"), so a school's 100,000 cases are not counted for each page.

        ``filters``: workflow, state, student_id, holder (None: any); ``words``: each
        must be in the case number or the student's name."""
        where = _visible(seen) + [cases.c[k] == v for k, v in filters.items() if v is not None]
        for word in words:
            like = f"%{word.replace('%', '').replace('_', '')}%"
            named = select(students.c.id).where(or_(students.c.first_name.ilike(like),
                                                    students.c.last_name.ilike(like)))
            # the few students of that name first, then their cases (on ix_cases_student)
            where.append(or_(cases.c.id.ilike(like), cases.c.student_id.in_(named)))
        counted = select(literal(1)).select_from(cases).where(*where).limit(count_to + 1)
        query = (select(cases.c.id, cases.c.workflow, cases.c.state, cases.c.student_id,
                        cases.c.holder, cases.c.opened_at, students.c.first_name,
                        students.c.last_name)
                 .join(students, students.c.id == cases.c.student_id).where(*where)
                 .order_by(cases.c.opened_at.desc(), cases.c.id.desc())
                 .offset(offset).limit(limit))
        with self.store.reads() as r:
            total = r.conn.scalar(select(func.count()).select_from(counted.subquery()))
            return int(total or 0), [dict(row._mapping) for row in r.conn.execute(query)]

    def students_named(self, words: Iterable[str], limit: int) -> list[dict[str, Any]]:
        """Students with every word in their first or last name (or their id), by name:
        at most ``limit`` of them."""
        where = []
        for word in words:
            like = f"%{word.replace('%', '').replace('_', '')}%"
            where.append(or_(students.c.first_name.ilike(like),
                             students.c.last_name.ilike(like), students.c.id.ilike(like)))
        query = (select(students.c.id, students.c.first_name, students.c.last_name,
                        students.c.year, students.c.form).where(*where)
                 .order_by(students.c.last_name, students.c.first_name, students.c.id)
                 .limit(limit))
        with self.store.reads() as r:
            return [dict(row._mapping) for row in r.conn.execute(query)]

    def batch_letters(self, batch: str) -> list[dict[str, Any]]:
        """The letters of a batch (their batch key starts with its id), by student."""
        query = (select(documents.c.path, documents.c.student_id, documents.c.recipient_name,
                        documents.c.created_at, students.c.first_name, students.c.last_name)
                 .join(students, students.c.id == documents.c.student_id)
                 # the keys from "BATCH:" up to "BATCH;" (';' follows ':'): on its index
                 .where(documents.c.case_id.is_(None), documents.c.batch_key >= f"{batch}:",
                        documents.c.batch_key < f"{batch};")
                 .order_by(students.c.last_name, students.c.first_name, documents.c.id))
        with self.store.reads() as r:
            return [dict(row._mapping) for row in r.conn.execute(query)]
