"""``liaison documents`` and ``liaison history`` page as ``cases`` does (issue 14): a page
of ``--limit`` (50 by default), a last line saying how many more and the ``--after`` for
the next, every line once and in order however the pages fall (a letter's way out after
the event that made it), what a member of staff may not see never listed nor found
(CLA-3), and ``--json`` the same text the whole list printed, streamed."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from conftest import OPENING, Run, case_in, walk
from test_outbox import configure

from engine.service.liaison import Liaison
from engine.service.views import HistoryEntry, LetterStep

Cli = Callable[..., Run]
DISCLOSURE = {"summary": ["x"], "on_school_business": ["no"], "contact": ["C2001"]}


def _follow(school_cli: Cli, command: list[str], pattern: str) -> list[str]:
    """The first cell of every line of every page, by the --after each footer names."""
    shown: list[str] = []
    after: list[str] = []
    for _ in range(50):
        run = school_cli(*command, *after)
        assert run.code == 0, run.err
        shown += re.findall(pattern, run.out)
        footer = re.search(r"([\d,]+) more: the next with --after (\S+)", run.out)
        if footer is None:
            return shown
        after = ["--after", footer.group(2)]
    raise AssertionError("the pages never ended")


def _documents(engine: Liaison) -> None:
    """Letters of three conduct cases, and a restricted disclosure FT01 opened (CLA-3)."""
    case_in(engine, "site_ban_confirmed")
    case_in(engine, "meeting_held")
    case_in(engine, "warning_issued")
    engine.open("external_contact", "S1001", "FT01", DISCLOSURE)


def _seen_documents(engine: Liaison, actor: str) -> list[dict[str, Any]]:
    """What the listing was before it paged: every row, each case asked of can_see."""
    who = engine.school.member(actor)
    return [d for d in engine.store.documents()
            if d["case_id"] is None or engine.can_see(engine.store.case(d["case_id"]), who)]


def test_the_documents_pages_are_every_visible_document_once_in_order(
        liaison: Liaison, school_cli: Cli) -> None:
    _documents(liaison)
    for who in ("OF01", "HT01", "FT01"):
        expected = [d["path"] for d in _seen_documents(liaison, who)]
        assert len(expected) >= 6
        paths = _follow(school_cli, ["documents", "--as", who, "--limit", "2"],
                        r"│ (cases/documents/\S+\.docx)")
        assert paths == expected
        streamed = school_cli("documents", "--as", who, "--json").json()
        assert [d["path"] for d in streamed] == expected
    restricted = [d["path"] for d in _seen_documents(liaison, "FT01")
                  if d["case_id"].startswith("EXT-")]
    assert restricted and not set(restricted) & {
        d["path"] for d in _seen_documents(liaison, "OF01")}


def test_the_documents_footer_json_and_refusals(liaison: Liaison, school_cli: Cli) -> None:
    _documents(liaison)
    rows = _seen_documents(liaison, "OF01")
    run = school_cli("documents", "--as", "OF01", "--limit", "4")
    assert run.out.rstrip().splitlines()[-1] == (
        f"{len(rows) - 4} more: the next with --after {rows[3]['path']} "
        "(and --limit N for more at a time)")
    whole = [{"case": d["case_id"], "student": d["student_id"], "template": d["template"],
              "recipient": d["recipient_name"], "created_at": d["created_at"],
              "path": d["path"], "sha256": d["sha256"]} for d in rows]
    assert school_cli("documents", "--as", "OF01", "--json").out == json.dumps(
        whole, indent=2, ensure_ascii=False) + "\n"
    page = school_cli("documents", "--as", "OF01", "--json", "--limit", "2", "--after",
                      rows[0]["path"]).json()
    assert page == whole[1:3]
    unseen = [d["path"] for d in _seen_documents(liaison, "FT01")
              if d["case_id"].startswith("EXT-")][0]
    for args, said in (
            (["--limit", "0"], "error: --limit 0: show at least 1 document"),
            (["--after", "nope.docx"],
             "error: --after: no document 'nope.docx' (see 'liaison documents')"),
            (["--after", unseen, "--json"],
             f"error: --after: no document '{unseen}' (see 'liaison documents')")):
        got = school_cli("documents", "--as", "OF01", *args)
        assert (got.code, got.out, got.err) == (1, "", said + "\n")


def _trail(engine: Liaison, case: str) -> list[Any]:
    """The whole history as it was listed before it paged."""
    entries: list[Any] = [HistoryEntry.of(e) for e in engine.store.events(case)]
    from engine.store.outbox import Outbox

    entries += [LetterStep(h["at"], h["status"], h["detail"], h["template"],
                           h["recipient_name"], h["channel"])
                for h in Outbox(engine.store).history(case)]
    return sorted(entries, key=lambda x: x.at if isinstance(x, LetterStep) else x.occurred_at)


def test_the_history_pages_are_every_line_once_in_order_with_each_letters_way_out(
        liaison: Liaison, school: Any, school_cli: Cli) -> None:
    configure(school, 2525)  # letters are queued: steps in the history
    reread = Liaison.at(school, clock=liaison.clock)
    liaison.school = reread.school  # the engine reads the school's mail server again
    reread.close()
    case = case_in(liaison, "site_ban_confirmed")
    walk(liaison, case, [("lift_ban", "HT01"), ("resolve", "HY09"), ("close", "HY09")])
    expected = _trail(liaison, case)
    assert sum(isinstance(e, LetterStep) for e in expected) >= 3
    whole = json.dumps([e.as_json() for e in expected], indent=2, ensure_ascii=False) + "\n"
    assert school_cli("history", case, "--as", "OF01", "--json").out == whole
    lines = [f"{e.seq} {e.event}" if isinstance(e, HistoryEntry) else f"letter {e.status}"
             for e in expected]
    for limit in ("1", "2", "3", "50"):
        got = _follow(school_cli, ["history", case, "--as", "OF01", "--limit", limit],
                      r"│ (\d+ +│ \w+|  +│ letter \w+)")
        assert [re.sub(r"[ │]+", " ", g).strip() for g in got] == lines
    first = school_cli("history", case, "--as", "OF01", "--limit", "2")
    third = next(i for i, e in enumerate(expected) if isinstance(e, HistoryEntry) and e.seq == 3)
    assert first.out.rstrip().splitlines()[-1] == (
        f"{len(expected) - third} more: the next with --after 2 "
        "(and --limit N for more at a time)")
    paged = school_cli("history", case, "--as", "OF01", "--json", "--after", "2",
                       "--limit", "2").json()
    assert [e.get("seq") for e in paged if "seq" in e] == [3, 4]
    for args, said in (
            (["--limit", "0"], "error: --limit 0: show at least 1 event"),
            (["--after", "99"], f"error: --after: no event 99 in {case} (see 'liaison history')")):
        got = school_cli("history", case, "--as", "OF01", *args)
        assert (got.code, got.out, got.err) == (1, "", said + "\n")


def test_a_restricted_case_has_no_history_to_page_for_those_who_may_not_see_it(
        liaison: Liaison, school_cli: Cli) -> None:
    case = liaison.open("external_contact", "S1001", "FT01", DISCLOSURE).case
    liaison.open("conduct_escalation", "S1001", "HY09", {**OPENING, "contact": ["C2001"]})
    for args in ([], ["--json"], ["--after", "1"]):
        got = school_cli("history", case, "--as", "OF01", *args)
        assert (got.code, got.out, got.err) == (1, "", f"error: no case '{case}'\n")
    assert school_cli("history", case, "--as", "FT01", "--json").json()[0]["seq"] == 1
