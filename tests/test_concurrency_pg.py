"""Eight processes advancing the same case and different cases at once, round after round,
on PostgreSQL at READ COMMITTED (issue 17): the versioned UPDATE lets exactly one of the
writers of a version win, the others get the conflict error and leave nothing behind (no
event, no letter, no file), and the writers of different cases all win."""

from __future__ import annotations

import multiprocessing
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from conftest import CONDUCT_FIELDS, NOW, case_files, case_in

from engine.service.liaison import Liaison

pytestmark = pytest.mark.postgresql

WRITERS = 8
SAME = 4  # writers 0..3 race on one case; 4..7 each advance a case of their own
ROUNDS = 4


class AtBarrier:
    """A clock that waits for every writer the first time it is read (after the case is
    loaded, before the commit), so all eight commit together."""

    def __init__(self, barrier: Any) -> None:
        self.barrier: Any = barrier

    def __call__(self) -> Any:
        if self.barrier is not None:
            barrier, self.barrier = self.barrier, None
            barrier.wait()
        return NOW.replace(month=12, day=15)


def _writer(school: str, case: str, index: int, barrier: Any, results: Any) -> None:
    engine = Liaison.at(Path(school), clock=AtBarrier(barrier))
    try:
        engine.advance(case, "review_ban", "HT01", CONDUCT_FIELDS["review_ban"])
        results.put((index, "won"))
    except Exception as exc:
        results.put((index, type(exc).__name__))
    finally:
        engine.close()


def test_eight_processes_one_winner_per_version_no_lost_update_no_duplicate_letter(
        liaison: Liaison, school: Path) -> None:
    cases = [case_in(liaison, "site_ban_confirmed", student=s, contact=c) for s, c in
             (("S1004", "C2006"), ("S1002", "C2003"), ("S1001", "C2001"),
              ("S1003", "C2004"), ("S1005", "C2008"))]
    shared, own = cases[0], cases[1:]
    start = {c: liaison.store.case(c).version for c in cases}
    context = multiprocessing.get_context("fork")
    for _ in range(ROUNDS):
        barrier, results = context.Barrier(WRITERS, timeout=120), context.Queue()
        targets = [shared] * SAME + own
        workers = [context.Process(target=_writer, args=(str(school), case, i, barrier,
                                                         results))
                   for i, case in enumerate(targets)]
        for worker in workers:
            worker.start()
        outcomes = dict(results.get(timeout=240) for _ in workers)
        for worker in workers:
            worker.join(timeout=60)
            assert worker.exitcode == 0
        racing = Counter(outcomes[i] for i in range(SAME))
        assert racing == {"won": 1, "ConflictError": SAME - 1}, outcomes
        assert all(outcomes[i] == "won" for i in range(SAME, WRITERS)), outcomes
    for case in cases:
        row, events = liaison.store.case(case), liaison.store.events(case)
        assert row.version == start[case] + ROUNDS == len(events)
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        reviews = [d for d in liaison.store.documents(case_id=case)
                   if d["template"] == "conduct_ban_reviewed.docx"]
        assert len(reviews) == ROUNDS * len({d["recipient_id"] for d in reviews})
    rows = {d["path"]: d["sha256"] for d in liaison.store.documents()}
    assert case_files(liaison.school.root) == rows  # every loser's files were removed
