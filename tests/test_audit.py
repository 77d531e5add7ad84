"""`liaison audit verify` and the daily seal (issue 11; PWP-5.6: records kept properly).

Each tampering is done to the real SQLite file (or the document on disk) behind the
engine's back, as someone with the file would do it; each is found with one line naming
the first broken link, exit 1. The untouched store verifies, exit 0.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import CONDUCT_FIELDS, NOW, POSTGRESQL, Run, case_in, move_clock, open_conduct
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.service.liaison import Liaison
from engine.store import audit
from engine.store.database import EVENT_BODY, _json, chain_hash

DATABASE = "cases/liaison.sqlite3"


def _sql(school: Path, statement: str, *args: object) -> None:
    with sqlite3.connect(school / DATABASE) as db:
        db.execute(statement, args)


def _walked(liaison: Liaison) -> tuple[str, str]:
    """Two conduct cases, one with a warning letter (30 November, sealing the day's
    trail), and a third a month later, whose opening seals both."""
    first = case_in(liaison, "warning_issued")
    second = open_conduct(liaison, student="S1002", contact="C2003").case
    move_clock(liaison, NOW + dt.timedelta(days=30))
    open_conduct(liaison, student="S1001", contact="C2001")  # the day's first write seals
    return first, second


def _newest_event_id(liaison: Liaison) -> int:
    """The id of the school's newest event (5 in its own SQLite file; in a database shared
    with other schools, ids are the database's)."""
    from sqlalchemy import func, select

    from engine.store.database import events

    with liaison.store.reads() as r:
        return int(r.conn.scalar(select(func.max(events.c.id))))


def _verify(cli: Callable[..., Run], school: Path, *args: str) -> Run:
    return cli("audit", "verify", "--as", "HT01", "--school", school, *args)


@pytest.mark.sqlite_only  # reads or changes the SQLite file itself
def test_an_untouched_store_verifies_and_a_later_day_s_first_change_seals_it(
        liaison: Liaison, school: Path, cli: Callable[..., Run]) -> None:
    _walked(liaison)
    run = _verify(cli, school)
    assert (run.code, run.err) == (0, "")
    assert run.out.startswith("ok: 3 cases, 4 events and 1 documents verified; the seal of "
                              "2026-12-23 holds")
    data = _verify(cli, school, "--json").json()
    assert (data["cases"], data["events"], data["seals"]) == (3, 4, 2)  # 30 Nov, 23 Dec


@pytest.mark.sqlite_only  # tampers with the SQLite file behind the engine's back
@pytest.mark.parametrize(("tamper", "found"), [
    (lambda s, a, b: _sql(s, "UPDATE events SET fields = replace(fields, 'Abusive', 'Polite') "
                             "WHERE case_id = ? AND seq = 2", a),
     "{a}: event 2 (repeat_incident) does not match its hash: it was changed after it was "
     "recorded"),
    (lambda s, a, b: _sql(s, "UPDATE events SET actor = 'HT01' WHERE case_id = ? AND seq = 1",
                          a),
     "{a}: event 1 (open) does not match its hash"),
    (lambda s, a, b: _sql(s, "DELETE FROM events WHERE case_id = ? AND seq = 1", a),
     "{a}: event 1 is missing (the next is 2)"),
    (lambda s, a, b: _sql(s, "DELETE FROM events WHERE case_id = ?", b),
     "{b}: the case has no events (its trail was deleted)"),
    (lambda s, a, b: _sql(s, "UPDATE cases SET state = 'closed' WHERE id = ?", a),
     "{a}: the case says 'closed' (version 2) but its trail ends in 'warning_issued'"),
])
def test_an_edited_or_missing_event_or_case_row_is_named(
        liaison: Liaison, school: Path, cli: Callable[..., Run], tamper, found: str) -> None:
    a, b = _walked(liaison)
    tamper(school, a, b)
    run = _verify(cli, school)
    assert (run.code, run.out) == (1, "")
    assert run.err.startswith(f"error: audit: {found.format(a=a, b=b)}"), run.err
    assert len(run.err.splitlines()) == 1


@pytest.mark.sqlite_only  # tampers with the SQLite file behind the engine's back
def test_deleting_the_newest_events_of_a_sealed_trail_breaks_the_seal(
        liaison: Liaison, school: Path, cli: Callable[..., Run]) -> None:
    """A chain alone cannot show its end was cut off: the seal can."""
    a, _ = _walked(liaison)
    _sql(school, "DELETE FROM documents WHERE case_id = ?", a)
    _sql(school, "DELETE FROM deadlines WHERE case_id = ?", a)
    _sql(school, "DELETE FROM events WHERE case_id = ? AND seq = 2", a)
    _sql(school, "UPDATE cases SET state = 'incident_reported', version = 1 WHERE id = ?", a)
    run = _verify(cli, school)
    assert run.code == 1
    assert run.err == ("error: audit: the seal of 2026-12-23 no longer matches: events "
                       "sealed then have been deleted or changed\n"), run.err


@pytest.mark.sqlite_only  # tampers with the SQLite file behind the engine's back
def test_deleting_a_whole_case_breaks_the_seal(
        liaison: Liaison, school: Path, cli: Callable[..., Run]) -> None:
    _, b = _walked(liaison)
    for table, column in (("deadlines", "case_id"), ("documents", "case_id"),
                          ("events", "case_id"), ("cases", "id")):
        _sql(school, f"DELETE FROM {table} WHERE {column} = ?", b)
    run = _verify(cli, school)
    assert run.code == 1
    assert run.err == ("error: audit: the seal of 2026-12-23 covered 2 cases and 1 are left: "
                       "a case sealed then has been deleted\n"), run.err


@pytest.mark.sqlite_only  # tampers with the SQLite file behind the engine's back
def test_a_swapped_or_missing_document_file_is_named(
        liaison: Liaison, school: Path, cli: Callable[..., Run]) -> None:
    a, _ = _walked(liaison)
    (letter,) = [d for d in liaison.store.documents(case_id=a)]
    path = school / letter["path"]
    path.write_bytes(path.read_bytes() + b"\0")
    run = _verify(cli, school)
    assert run.err == (f"error: audit: {letter['path']} is not the file recorded (SHA-256 "
                       "differs)\n")
    path.unlink()
    assert _verify(cli, school).err == f"error: audit: {letter['path']} is missing\n"


@pytest.mark.sqlite_only  # tampers with the SQLite file behind the engine's back
def test_an_edited_seal_is_found(liaison: Liaison, school: Path,
                                 cli: Callable[..., Run]) -> None:
    _walked(liaison)
    _sql(school, "UPDATE seals SET cases = 9 WHERE id = (SELECT MAX(id) FROM seals)")
    assert _verify(cli, school).err == ("error: audit: the seal of 2026-12-23 does not match "
                                        "its hash\n")


def test_verify_and_seal_are_for_leaders_and_one_case_must_be_visible(
        liaison: Liaison, school: Path, cli: Callable[..., Run]) -> None:
    a, _ = _walked(liaison)
    refused = cli("audit", "verify", "--as", "FT01", "--school", school)
    assert refused.code == 1 and refused.err.startswith("error: FT01 (")
    assert "may not verify the audit trail" in refused.err
    one = _verify(cli, school, "--case", a)
    assert one.code == 0 and one.out.startswith("ok: 1 cases, 2 events and 1 documents")
    unknown = _verify(cli, school, "--case", "CON-2026-0099")
    assert unknown.err == "error: no case 'CON-2026-0099'\n"

    sealed = cli("audit", "seal", "--as", "OF01", "--school", school)
    assert sealed.code == 0
    assert sealed.out.startswith("sealed: 3 cases up to event ")  # the new case too
    move_clock(liaison, NOW + dt.timedelta(days=31))
    liaison.advance(a, "seek_legal_advice", "VP02", CONDUCT_FIELDS["seek_legal_advice"])
    again = cli("audit", "seal", "--as", "OF01", "--school", school, "--json").json()
    assert again["seal"]["last_event_id"] == _newest_event_id(liaison)


@pytest.mark.parametrize("tamper", [
    None,
    "UPDATE events SET actor = 'HT01' WHERE case_id = '{a}' AND seq = 2",
    "DELETE FROM events WHERE case_id = '{b}'",
    "UPDATE cases SET state = 'closed' WHERE id = '{c}'",
])
@pytest.mark.sqlite_only  # reads or changes the SQLite file itself
def test_the_chains_checked_in_two_processes_say_what_one_says(
        liaison: Liaison, school: Path, tamper: str | None) -> None:
    """With --processes 2, from 50,000 events verify splits the chains across two
    processes (bench/audit.py); here from none, on the same store, the result is the same
    to the letter."""
    a, b = _walked(liaison)
    c = liaison.store.cases()[-1].id
    if tamper:
        _sql(school, tamper.format(a=a, b=b, c=c))
    one = liaison.store.verify(school, workers=1)
    assert liaison.store.verify(school, workers=2, parallel_from=0) == one
    assert (tamper is None) == (type(one).__name__ == "Verified")


@pytest.mark.sqlite_only  # writes the SQLite file itself
def test_an_event_with_a_nul_verifies_and_the_long_way_says_the_same(
        liaison: Liaison, school: Path, cli: Callable[..., Run]) -> None:
    """A NUL in a field (written behind the engine's back) is hashed alike by the
    database's JSON and the store's; and the store's own way (``_holds``, taken only where
    the database's text does not match) accepts the event and refuses it changed."""
    case = open_conduct(liaison).case
    with sqlite3.connect(school / DATABASE) as db:
        names = ", ".join(EVENT_BODY)
        row = db.execute(f"SELECT {names} FROM events WHERE case_id = ?", (case,)).fetchone()
        body = {**dict(zip(EVENT_BODY, row, strict=True)), "fields": '{"note":"a\x00b"}'}
        db.execute("UPDATE events SET fields = ?, hash = ? WHERE case_id = ?",
                   (body["fields"], chain_hash("", body), case))
    assert _verify(cli, school).code == 0
    with liaison.store.reads() as r:
        assert audit._holds(r.conn, case, 1, "", chain_hash("", body))
        assert not audit._holds(r.conn, case, 1, "", chain_hash("x", body))
    with sqlite3.connect(school / DATABASE) as db:
        db.execute("UPDATE events SET fields = ? WHERE case_id = ?", ('{"note":"a\x00c"}', case))
    assert _verify(cli, school).err == (f"error: audit: {case}: event 1 (open) does not "
                                        "match its hash: it was changed after it was "
                                        "recorded\n")


_TEXT = st.text(alphabet=st.characters(min_codepoint=1, max_codepoint=0x10FFFF,
                                       blacklist_categories=("Cs",)), max_size=30)
# The database of the run: SQLite in memory, or the PostgreSQL server of the run (a query
# on no table, so no school's rows).
_DATABASE = sa.create_engine(POSTGRESQL or "sqlite://")


@settings(max_examples=60, deadline=None)
@given(row=st.tuples(_TEXT, st.integers(min_value=1, max_value=2**31 - 1), _TEXT,
                     st.none() | _TEXT, _TEXT, _TEXT, _TEXT, _TEXT, _TEXT, _TEXT),
       prev=_TEXT)
def test_the_database_writes_the_text_the_store_hashes(row: tuple, prev: str) -> None:
    """audit.hashed_text has the database write each event's JSON (verify's speed,
    bench/audit.py); for any text (quotes, controls, every plane, but NUL, which neither
    database keeps in text), a number and a null, it must be chain_hash's to the byte, so
    that verify takes the long way only for a link that is broken."""
    names = [*EVENT_BODY, "prev_hash"]
    table = sa.select(*[sa.cast(sa.literal(v), sa.Integer if n == "seq" else sa.Text).label(n)
                        for n, v in zip(names, (*row, prev), strict=True)]).subquery("e")
    with _DATABASE.connect() as conn:
        text = conn.scalar(sa.select(audit.hashed_text(conn.dialect.name, table.c)))
    body = dict(zip(EVENT_BODY, row, strict=True))
    assert text == prev + _json(body)
    assert hashlib.sha256(text.encode()).hexdigest() == chain_hash(prev, body)
