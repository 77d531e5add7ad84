"""Imports that mirror the MIS (issue 15, finding 6: a parent removed from the MIS stayed
on file with correspondence=all and kept getting letters, because re-import only updated
and added).

``liaison import contacts --full`` takes the export as the whole truth: a contact on file
that it leaves out is marked as left (kept for the record, no letters from then on) and
listed, in one transaction, with ``--dry-run`` saying it all first. In either mode a bar
on correspondence is never lifted by the file alone (``--lift-bar``). Driven through the
real CLI on a real store; letters reopened with python-docx.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Run, open_conduct, snapshot, walk

from engine.errors import ImportRowError
from engine.service.liaison import Liaison

Cli = Callable[..., Run]
MODE_DEFAULT = ("updates and adds: contacts not in the file are kept; --full marks them as "
                "left")
MODE_FULL = "full: the file is the whole list, contacts not in it are marked as left"


def _export(liaison: Liaison, tmp_path: Path, name: str, *, drop: tuple[str, ...] = (),
            change: dict[str, dict[str, str]] | None = None) -> Path:
    """The sample contacts export without ``drop`` and with ``change`` (id -> columns)."""
    source = liaison.school.root / "samples" / "contacts.csv"
    with source.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        rows = [{**r, **(change or {}).get(r["id"], {})} for r in reader if r["id"] not in drop]
        columns = reader.fieldnames or []
    target = tmp_path / name
    with target.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, columns)
        writer.writeheader()
        writer.writerows(rows)
    return target


def _contact(liaison: Liaison, student: str, contact: str) -> dict[str, object]:
    return next(c for c in liaison.store.contacts_of(student) if c["id"] == contact)


def test_a_contact_gone_from_the_mis_stops_getting_letters_only_with_full(
        school_cli: Cli, liaison: Liaison, tmp_path: Path) -> None:
    """The finding, first as it was (the default keeps C2006 on file and writing to her),
    then --full: C2006 is marked as left, listed, kept, and the next letter skips her."""
    gone = _export(liaison, tmp_path, "gone.csv", drop=("C2006",))
    run = school_cli("import", "contacts", gone)
    assert run.code == 0, run.err
    assert run.out.splitlines() == [f"imported 38 contacts from {gone} (0 new, 38 updated; "
                                    f"{MODE_DEFAULT})"]
    assert _contact(liaison, "S1004", "C2006")["correspondence"] == "all"
    assert not _contact(liaison, "S1004", "C2006").get("left_on")

    run = school_cli("import", "contacts", gone, "--full")
    assert run.code == 0, run.err
    assert run.out.splitlines()[:2] == [
        f"imported 38 contacts from {gone} (0 new, 38 updated; {MODE_FULL})",
        "  marked 1 as left (no letters from now on, kept for the record): C2006 (S1004)"]
    kept = _contact(liaison, "S1004", "C2006")
    assert kept["left_on"] and kept["last_name"] == "O'Brien"  # kept for the record
    assert liaison.store.count("contacts") == 39

    case = open_conduct(liaison, contact="C2006").case
    asked = walk(liaison, case, [("request_meeting", "OF01")])
    assert asked.documents == []  # the case's parent has left: no letter is made
    assert asked.skipped == [{"template": "conduct_meeting_request.docx", "contact": "C2006",
                              "why": f"left: not in the MIS's export since {kept['left_on']}"}]
    record = school_cli("student", "S1004", "--as", "OF01")
    assert record.code == 0, record.err
    line = next(x for x in record.out.splitlines() if "C2006" in x)
    assert "left " in line and "yes" not in line.split("C2006")[1].split("│")[4]

    # A second full import says nothing more of her; the export with her again makes her
    # a contact again.
    again = school_cli("import", "contacts", gone, "--full")
    assert "marked 0 as left (no letters from now on, kept for the record): none" in again.out
    back = school_cli("import", "contacts", liaison.school.root / "samples" / "contacts.csv",
                      "--full")
    assert back.code == 0, back.err
    assert "  1 back in the file, a contact again: C2006" in back.out.splitlines()
    assert not _contact(liaison, "S1004", "C2006").get("left_on")


def test_a_dry_run_says_everything_and_records_nothing(
        school_cli: Cli, liaison: Liaison, tmp_path: Path) -> None:
    gone = _export(liaison, tmp_path, "gone.csv", drop=("C2006", "C2001"),
                   change={"C2005": {"correspondence": "all"}})
    before = snapshot(liaison)
    run = school_cli("import", "contacts", gone, "--full", "--dry-run")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0] == f"would import 37 contacts from {gone} (0 new, 37 updated; {MODE_FULL})"
    assert lines[1] == ("  would mark 2 as left (no letters from now on, kept for the "
                        "record): C2001 (S1001), C2006 (S1004)")
    assert lines[2].startswith(f"  {gone}:5: kept the bar on C2005 (S1003)")
    assert lines[-1] == "dry run: nothing was recorded"
    assert snapshot(liaison) == before


def test_the_file_alone_never_lifts_a_bar(school_cli: Cli, liaison: Liaison,
                                          tmp_path: Path) -> None:
    """C2005 is barred from correspondence (the sample's court order). An export saying
    'all' for him keeps the bar in either mode and says so at its line; --lift-bar lifts
    it, and only for a contact barred here whom the file says to write to."""
    unbarred = _export(liaison, tmp_path, "unbarred.csv",
                       change={"C2005": {"correspondence": "all"}})
    for mode in ((), ("--full",)):
        run = school_cli("import", "contacts", unbarred, *mode)
        assert run.code == 0, run.err
        assert run.out.splitlines()[-1] == (
            f"  {unbarred}:6: kept the bar on C2005 (S1003): the file says correspondence "
            "'all', but C2005 is barred from correspondence here; lift it with --lift-bar "
            "C2005")
        assert _contact(liaison, "S1003", "C2005")["correspondence"] == "none"
    before = snapshot(liaison)
    for wrong, said in [
        ("C2001", "--lift-bar C2001: no contact of that id is barred from correspondence "
                  "here"),
        ("C9999", "--lift-bar C9999: no contact of that id is barred from correspondence "
                  "here")]:
        run = school_cli("import", "contacts", unbarred, "--lift-bar", wrong)
        assert (run.code, run.out, run.err) == (1, "", f"error: {said}\n")
    same = liaison.school.root / "samples" / "contacts.csv"
    run = school_cli("import", "contacts", same, "--lift-bar", "C2005")
    assert run.err == (f"error: --lift-bar C2005: {same} does not say correspondence 'all' "
                       "for C2005; the bar stays\n")
    assert snapshot(liaison) == before
    run = school_cli("import", "contacts", unbarred, "--lift-bar", "C2005")
    assert run.code == 0, run.err
    assert run.out.splitlines()[-1] == "  lifted the bar on C2005 (--lift-bar)"
    assert _contact(liaison, "S1003", "C2005")["correspondence"] == "all"


def test_a_bad_row_in_a_full_import_marks_nobody_as_left(
        school_cli: Cli, liaison: Liaison, tmp_path: Path) -> None:
    """All or nothing: the file is read whole before the one transaction starts."""
    bad = _export(liaison, tmp_path, "bad.csv", drop=("C2006",),
                  change={"C2003": {"separate_correspondence": "maybe"}})
    before = snapshot(liaison)
    run = school_cli("import", "contacts", bad, "--full")
    assert run.code == 1 and "Traceback" not in run.err
    assert run.err.startswith(f"error: {bad}:4: column 'separate_correspondence'")
    assert snapshot(liaison) == before
    with pytest.raises(ImportRowError):
        liaison.mirror_contacts(bad, full=True)
    assert snapshot(liaison) == before


def test_a_batch_letter_skips_a_contact_who_has_left(
        school_cli: Cli, liaison: Liaison, tmp_path: Path) -> None:
    gone = _export(liaison, tmp_path, "gone.csv", drop=("C2006",))
    assert school_cli("import", "contacts", gone, "--full").code == 0
    run = school_cli("letters", "batch", "options_evening", "--as", "OF01", "--form", "7P",
                     "--set", "evening_date=2026-12-10", "--set", "start_time=18:00",
                     "--set", "end_time=20:00", "--set", "venue=The hall",
                     "--set", "return_by=2026-12-08", "--json")
    assert run.code == 0, run.err
    summary = run.json()
    assert summary["left"] == [{"student": "S1004", "contact": "C2006"}]
    assert summary["barred"] == []
