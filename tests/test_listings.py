"""`liaison cases` a page at a time (issue 14): the pages, followed by their footers, are
every case the member of staff may see, once each, in order; `--json` streams the same
text the whole list printed; the page is read from an index whatever the store's size."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import OPENING, Run
from test_scale import _steps

from engine.service.liaison import Liaison

Cli = Callable[..., Run]
DISCLOSURE = {"summary": ["x"], "on_school_business": ["no"], "contact": ["C2001"]}
VISIT = {"contact": ["C2006"], "reason": ["curriculum"], "purpose": ["Year 7 reading"],
         "visitor": ["HY09"]}


def _cases(engine: Liaison) -> list[str]:
    """Eleven cases of several workflows; two restricted (CLA-3), one opened by FT01."""
    made = []
    for student, parent in (("S1001", "C2001"), ("S1002", "C2003"), ("S1003", "C2004"),
                            ("S1004", "C2006")):
        made.append(engine.open("conduct_escalation", student, "HY09",
                                {**OPENING, "contact": [parent]}).case)
        made.append(engine.open("contact_log", student, "FT01", {}).case)
    made.append(engine.open("external_contact", "S1001", "FT01", DISCLOSURE).case)
    made.append(engine.open("external_contact", "S1002", "HT01",
                            {**DISCLOSURE, "contact": ["C2003"]}).case)
    made.append(engine.open("home_visit", "S1004", "HY09", VISIT).case)
    return made


def _follow(school_cli: Cli, *args: str) -> list[str]:
    """Every page, from the first, by the --after each footer names."""
    shown: list[str] = []
    after: list[str] = []
    for _ in range(20):
        run = school_cli("cases", *args, *after)
        assert run.code == 0, run.err
        shown += re.findall(r"│ ([A-Z]{3}-2026-[0-9A-Z]{4,6}) ", run.out)
        footer = re.search(r"([\d,]+) more: the next with --after (\S+)", run.out)
        if footer is None:
            return shown
        after = ["--after", footer.group(2)]
    raise AssertionError("the pages never ended")


def test_the_pages_are_every_visible_case_once_in_order(liaison: Liaison,
                                                        school_cli: Cli) -> None:
    made = _cases(liaison)
    for who in ("OF01", "FT01", "HT01"):
        expected = [c.id for c in liaison.visible_cases(who)]  # can_see, case by case
        assert _follow(school_cli, "--as", who, "--limit", "3") == expected
        assert _follow(school_cli, "--as", who) == expected  # one page of 50
        streamed = school_cli("cases", "--as", who, "--json")
        assert [c["case"] for c in streamed.json()] == expected
    mine, theirs = made[8], made[9]  # FT01's disclosure and HT01's (random numbers, CLA-3)
    assert theirs not in _follow(school_cli, "--as", "FT01", "--limit", "2")
    assert mine in _follow(school_cli, "--as", "FT01", "--limit", "2")


def test_the_footer_says_how_many_more(liaison: Liaison, school_cli: Cli) -> None:
    _cases(liaison)
    order = [c.id for c in liaison.visible_cases("HT01")]  # opened together: by id
    assert len(order) == 11
    run = school_cli("cases", "--as", "HT01", "--limit", "4")
    assert run.out.rstrip().splitlines()[-1] == \
        f"7 more: the next with --after {order[3]} (and --limit N for more at a time)"
    last = school_cli("cases", "--as", "HT01", "--after", order[-2])
    assert "more:" not in last.out and order[-1] in last.out
    assert school_cli("cases", "--as", "HT01", "--after", order[-1]).out == \
        "no cases to show\n"


def test_json_streams_the_text_the_whole_list_printed(liaison: Liaison,
                                                      school_cli: Cli) -> None:
    _cases(liaison)
    whole = json.dumps(liaison.cases("OF01").as_json(), indent=2, ensure_ascii=False)
    assert school_cli("cases", "--as", "OF01", "--json").out == whole + "\n"
    assert school_cli("cases", "--as", "OF01", "--state", "closed", "--json").out == "[]\n"
    page = school_cli("cases", "--as", "OF01", "--json", "--limit", "2", "--after",
                      "CON-2026-0001").json()
    assert [c["case"] for c in page] == ["CON-2026-0002", "CON-2026-0003"]


@pytest.mark.sqlite_only  # reads or changes the SQLite file itself
def test_a_bad_page_is_one_line_and_an_unseen_case_is_not_found(liaison: Liaison,
                                                                 school_cli: Cli) -> None:
    _cases(liaison)
    for args, said in (
            (["--limit", "0"], "error: --limit 0: show at least 1 case"),
            (["--limit", "0", "--json"], "error: --limit 0: show at least 1 case"),
            (["--after", "NOPE-1"], "error: --after: no case 'NOPE-1' (see 'liaison cases')"),
            (["--after", "EXT-2026-0002", "--json"],
             "error: --after: no case 'EXT-2026-0002' (see 'liaison cases')")):
        run = school_cli("cases", "--as", "OF01", *args)
        assert (run.code, run.out, run.err) == (1, "", said + "\n")


def _more_cases(school: Path, n: int) -> None:
    db = sqlite3.connect(school / "cases" / "liaison.sqlite3")
    db.executemany("INSERT INTO cases (id, workflow, state, student_id, holder, fields, "
                   "version, opened_at, opened_by, restricted, child_protection) VALUES "
                   "(?, 'contact_log', 'open', 'S1001', 'FT01', '{}', 1, ?, 'FT01', 0, 0)",
                   [(f"LOG-2027-{i:04d}", f"2027-01-01T09:{i % 60:02d}:{i // 60:02d}")
                    for i in range(n)])
    db.commit()
    db.close()


@pytest.mark.sqlite_only  # reads or changes the SQLite file itself
def test_a_page_reads_the_same_rows_however_many_cases_follow(liaison: Liaison,
                                                               school: Path) -> None:
    _cases(liaison)
    seen = liaison.visibility(liaison.school.member("OF01"))

    def page(r):  # type: ignore[no-untyped-def]
        return list(r.case_lines(seen, limit=5))
    before = _steps(liaison, page)
    _more_cases(school, 300)
    assert _steps(liaison, page) == before
