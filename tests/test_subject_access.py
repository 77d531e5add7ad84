"""Subject access (issue 11; SAR-1..5: the right of access, UK GDPR Articles 12 and 15).

The request is a workflow with a clock of calendar months, not school days; the export
is driven through the real CLI and read back by listing the zip and opening its files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ONE_STEP, ONE_STEP_FIELDS, Run, letter_text, move_clock, snapshot
from test_pdf import pdf_text

from engine.errors import PermissionDenied, TransitionNotAllowed
from engine.service import retention
from engine.service.liaison import Liaison

REQUEST = {"contact": ["C2001"], "received_at": ["2026-11-25T09:00"],
           "whose_data": ["student"], "request": ["Every record the school holds about Ethan"]}


# ---------------------------------------------------------------------------- the clock


@pytest.mark.parametrize(("received", "months", "due"), [
    ("2026-09-30", 1, "2026-10-30"),  # October half term: a working day all the same
    ("2026-11-25", 1, "2026-12-29"),  # Christmas Day, the weekend, Boxing Day's Monday
    ("2027-01-31", 1, "2027-03-01"),  # no 31 February: 28 February, a Sunday: Monday
    ("2028-01-31", 1, "2028-02-29"),  # a leap year: the month's last day, a Tuesday
    ("2027-03-31", 1, "2027-04-30"),
    ("2026-11-30", 3, "2027-03-01"),  # extended by two months: 28 February is a Sunday
    ("2026-12-15", 12, "2027-12-15"),
])
def test_sar_2_one_calendar_month_from_receipt_to_the_corresponding_day(
        liaison: Liaison, received: str, months: int, due: str) -> None:
    calendar = liaison.school.calendar
    assert calendar.months_after(dt.date.fromisoformat(received), months).isoformat() == due


def test_sar_2_a_request_is_acknowledged_with_the_date_it_will_be_answered_by(
        liaison: Liaison) -> None:
    move_clock(liaison, dt.datetime(2026, 11, 25, 10, 0))
    outcome = liaison.open("subject_access", "S1001", "OF01", REQUEST)
    assert outcome.deadlines == [{"name": "respond_by", "due": "2026-12-29"}]
    [letter] = outcome.documents
    assert letter.recipient == "Mrs Sarah Hughes"
    text = letter_text(liaison.school.root, letter.path)
    assert "a copy of the personal data the school holds about Ethan." in text
    assert "you will hear from us by Tuesday 29 December 2026" in text


def test_sar_3_sar_4_an_extension_is_written_with_its_reasons_and_meets_the_new_date(
        liaison: Liaison) -> None:
    move_clock(liaison, dt.datetime(2026, 11, 30, 10, 0))
    case = liaison.open("subject_access", "S1001", "OF01",
                        {**REQUEST, "received_at": ["2026-11-30T09:00"]}).case
    liaison.advance(case, "check_identity", "OF01",
                    {"identity_checked": ["Known to the office; signature matches"]})
    reasons = {"extension_reasons": ["Your request covers six years of records across "
                                     "three of our services"]}
    with pytest.raises(PermissionDenied, match="only assistant_head, deputy_head"):
        liaison.advance(case, "extend", "OF01", reasons)
    move_clock(liaison, dt.datetime(2026, 12, 10, 10, 0))
    extended = liaison.advance(case, "extend", "VP02", reasons)
    assert extended.deadlines == [{"name": "respond_by", "due": "2027-03-01"}]
    text = letter_text(liaison.school.root, extended.documents[0].path)
    assert "Your request covers six years of records across three of our services." in text
    assert "You will receive our response by Monday 1 March 2027." in text
    assert [(d["name"], d["due_on"], d["status"]) for d in liaison.store.deadlines(case)] == [
        ("respond_by", "2026-12-30", "cancelled"), ("respond_by", "2027-03-01", "open")]
    move_clock(liaison, dt.datetime(2027, 2, 1, 10, 0))
    liaison.advance(case, "respond", "HT01", {"response_summary": [
        "We enclose a copy of every record we hold about Ethan"]})
    assert [d["status"] for d in liaison.store.deadlines(case)] == ["cancelled", "met"]


def test_sar_3_an_extension_is_refused_after_the_first_month_in_one_line(
        liaison: Liaison) -> None:
    move_clock(liaison, dt.datetime(2026, 11, 30, 10, 0))
    case = liaison.open("subject_access", "S1001", "OF01",
                        {**REQUEST, "received_at": ["2026-11-30T09:00"]}).case
    liaison.advance(case, "check_identity", "OF01",
                    {"identity_checked": ["Known to the office; signature matches"]})
    move_clock(liaison, dt.datetime(2026, 12, 31, 9, 0))  # the month ended on 30 December
    before = snapshot(liaison)
    with pytest.raises(TransitionNotAllowed) as refused:
        liaison.advance(case, "extend", "HT01", {"extension_reasons": [
            "Six years of records across three services"]})
    assert str(refused.value) == (f"{case}: 'extend' too late: within 1 calendar month of "
                                  "received at (2026-11-30), that is by 2026-12-30")
    assert snapshot(liaison) == before
    assert "extend" not in [a.name for a in liaison.actions(case, "HT01")]
    liaison.advance(case, "respond", "HT01", {"response_summary": ["Enclosed: every record"]})


# ---------------------------------------------------------------------------- the export


def _family(engine: Liaison) -> dict[str, str]:
    """S1001's family: cases in four workflows (conduct, contact log, the restricted
    disclosure, and one disposed of), as HT01 may see them all."""
    move_clock(engine, dt.datetime(2026, 11, 23, 9, 0))
    root = engine.school.root
    text = ONE_STEP.format(name="kept", title="Kept a year", prefix="KEP",
                           documents="    - {template: conduct_resolution.docx, to: contacts}")
    (root / "workflows" / "kept.yaml").write_text(text + "retain: {years: 1, from: opened}\n",
                                                  encoding="utf-8")
    engine = Liaison.at(root, clock=engine.clock)
    cases = {
        "disposed": engine.open("kept", "S1001", "OF01", ONE_STEP_FIELDS,
                                at=dt.datetime(2025, 11, 20, 10, 0)).case,
        "conduct": engine.open("conduct_escalation", "S1001", "HY09", {
            "contact": ["C2002"], "incident_date": ["2026-11-20"], "severity": ["concern"],
            "incident_summary": ["Shouted at Mrs Zoë O'Brien in the car park"]}).case,
        "log": engine.open("contact_log", "S1001", "FT01", {}).case,
        "restricted": engine.open("external_contact", "S1001", "FT01", {
            "summary": ["I coach the under-12s football team that Ethan plays in"],
            "on_school_business": ["no"], "contact": ["C2001"]}).case,
    }
    engine.advance(cases["log"], "log_contact", "FT01", {
        "parent": ["C2001"], "method": ["telephone"], "initiated_by": ["school"],
        "nature": ["positive"], "summary": ["Ethan won the Year 9 maths challenge"]})
    engine.advance(cases["conduct"], "request_meeting", "OF01", {
        "meeting_at": ["2026-11-26T15:30"], "with_staff": ["HY09"]})
    retention.dispose(engine, cases["disposed"], "HT01", "Retention period ended",
                      dt.date(2026, 11, 23))
    engine.close()
    return cases


def _zip(path: Path) -> tuple[zipfile.ZipFile, dict]:
    z = zipfile.ZipFile(path)
    return z, json.loads(z.read("manifest.json"))


def test_sar_1_sar_5_a_student_s_export_holds_exactly_what_the_policy_allows(
        liaison: Liaison, school: Path, tmp_path: Path, school_cli: Callable[..., Run]) -> None:
    cases = _family(liaison)
    out = tmp_path / "ethan.zip"
    run = school_cli("export", "subject", "--student", "S1001", "--as", "HT01", out)
    assert (run.code, run.err) == (0, ""), run.err
    z, manifest = _zip(out)
    names = z.namelist()
    assert names[:4] == ["manifest.json", "data.json", "chronology.txt", "chronology.pdf"]
    assert sorted(c["case"] for c in manifest["cases"]) == sorted(
        [cases["conduct"], cases["log"], cases["restricted"]])  # not the disposed one
    documents = [n for n in names if n.startswith("documents/")]
    assert {n.split("/")[1] for n in documents} == {cases["conduct"], cases["restricted"]}
    assert not any(cases["disposed"] in n for n in names)
    assert {f["path"] for f in manifest["files"]} == set(names) - {"manifest.json"}
    data = json.loads(z.read("data.json"))
    assert data["subject"]["id"] == "S1001" and data["subject"]["date_of_birth"]
    [log] = [c for c in data["cases"] if c["case"] == cases["log"]]
    assert log["history"][-1]["fields"]["summary"] == "Ethan won the Year 9 maths challenge"
    chronology = z.read("chronology.txt").decode()
    assert f"{cases['conduct']}  request meeting  (by Mrs Janet Cole)" in chronology
    review = manifest["review"]
    assert {"case": cases["restricted"],
            "why": "a restricted case (CLA-3): decide what may be disclosed"} in review
    named = {r["file"]: r["names"] for r in review if "file" in r}
    assert "Mrs Zoë O'Brien" in named["data.json"]  # another pupil's parent: a third party
    assert all("Ethan Hughes" not in n for n in named.values())  # not the subject himself
    # The chronology as a PDF too, made by LibreOffice, its hash in the manifest.
    pdf = z.read("chronology.pdf")
    assert pdf.startswith(b"%PDF-")
    hashes = {f["path"]: f["sha256"] for f in manifest["files"]}
    assert hashes["chronology.pdf"] == hashlib.sha256(pdf).hexdigest()
    (tmp_path / "chronology.pdf").write_bytes(pdf)
    text = pdf_text(tmp_path / "chronology.pdf")  # None where pdftotext is not installed
    assert text is None or f"{cases['conduct']} request meeting Mrs Janet Cole" in text
    assert text is None or "Chronology of the records held about Ethan Hughes" in text


def test_sar_1_each_export_is_recorded_seen_by_senior_leaders_and_verified(
        liaison: Liaison, school: Path, tmp_path: Path, school_cli: Callable[..., Run]) -> None:
    cases = _family(liaison)
    out = tmp_path / "ethan.zip"
    assert school_cli("export", "subject", "--student", "S1001", "--as", "HT01", out).code == 0
    manifest = zipfile.ZipFile(out).read("manifest.json")
    [record] = liaison.store.exports()
    assert (record["exported_by"], record["subject_kind"], record["subject_id"]) == (
        "HT01", "student", "S1001")
    assert record["manifest_sha256"] == hashlib.sha256(manifest).hexdigest()
    assert sorted(json.loads(record["cases"])) == sorted(
        [cases["conduct"], cases["log"], cases["restricted"]])
    log = school_cli("export", "log", "--as", "VP01", "--json")
    assert log.code == 0, log.err
    assert [(e["exported_by"], e["subject"], e["manifest_sha256"]) for e in log.json()] == [
        ("HT01 (Dr Helen Marsh)", "student S1001", record["manifest_sha256"])]
    refused = school_cli("export", "log", "--as", "OF01")
    assert refused.code == 1 and "may not see the subject access exports" in refused.err
    verified = school_cli("audit", "verify", "--as", "HT01")
    assert verified.code == 0, verified.err
    assert verified.out.rstrip().endswith("; the record of 1 subject access export(s) holds")
    # A refused export is not recorded.
    again = school_cli("export", "subject", "--student", "S1001", "--as", "HT01", out)
    assert again.code == 1 and len(liaison.store.exports()) == 1


@pytest.mark.sqlite_only  # changes the SQLite file itself
@pytest.mark.parametrize("tamper", ["UPDATE exports SET subject_id = 'S1002'",
                                    "DELETE FROM exports WHERE id = 1"])
def test_an_export_s_record_edited_or_removed_is_found(
        liaison: Liaison, school: Path, tmp_path: Path, school_cli: Callable[..., Run],
        tamper: str) -> None:
    for name in ("one", "two"):
        run = school_cli("export", "subject", "--student", "S1001", "--as", "HT01",
                         tmp_path / f"{name}.zip")
        assert run.code == 0, run.err
    with sqlite3.connect(school / "cases" / "liaison.sqlite3") as db:
        db.execute(tamper)
    run = school_cli("audit", "verify", "--as", "HT01")
    assert run.code == 1
    assert run.err.startswith("error: audit: the record of the subject access export of ")
    assert run.err.endswith("does not match its hash (edited, or an export before it "
                            "removed)\n")


def test_sar_5_restricted_cases_are_exported_only_by_those_allowed_to_see_them(
        liaison: Liaison, tmp_path: Path, school_cli: Callable[..., Run]) -> None:
    cases = _family(liaison)
    out = tmp_path / "ethan.zip"
    assert school_cli("export", "subject", "--student", "S1001", "--as", "VP02", out).code == 0
    z, manifest = _zip(out)
    assert sorted(c["case"] for c in manifest["cases"]) == [cases["conduct"], cases["log"]]
    assert not any(cases["restricted"] in n for n in z.namelist())
    assert "I coach" not in z.read("data.json").decode()
    refused = school_cli("export", "subject", "--student", "S1001", "--as", "FT01",
                         tmp_path / "no.zip")
    assert refused.code == 1 and "may not export a subject's records" in refused.err
    assert not (tmp_path / "no.zip").exists()


def test_sar_1_a_parent_s_export_holds_the_cases_and_letters_that_name_them(
        liaison: Liaison, tmp_path: Path, school_cli: Callable[..., Run]) -> None:
    cases = _family(liaison)
    out = tmp_path / "daniel.zip"
    assert school_cli("export", "subject", "--contact", "C2002", "--as", "HT01", out).code == 0
    z, manifest = _zip(out)
    assert [c["case"] for c in manifest["cases"]] == [cases["conduct"]]
    letters = [n for n in z.namelist() if n.endswith(".docx")]
    assert len(letters) == 1 and "-C2002-" in letters[0]
    mother = tmp_path / "sarah.zip"
    assert school_cli("export", "subject", "--contact", "C2001", "--as", "HT01",
                      mother).code == 0
    _, manifest = _zip(mother)
    assert sorted(c["case"] for c in manifest["cases"]) == sorted([cases["log"],
                                                                   cases["restricted"]])


def test_sar_5_a_contact_barred_by_a_court_order_gets_only_their_own_case(
        liaison: Liaison, tmp_path: Path, school_cli: Callable[..., Run]) -> None:
    """C2005 (S1003's father) is barred from correspondence: a log of a call naming him is
    about his daughter, and stays out of his export."""
    own = liaison.open("conduct_escalation", "S1003", "HY09", {
        "contact": ["C2005"], "incident_date": ["2026-11-20"], "severity": ["concern"],
        "incident_summary": ["Came to reception without an appointment"]}).case
    log = liaison.open("contact_log", "S1003", "FT01", {}).case
    liaison.advance(log, "log_contact", "FT01", {
        "parent": ["C2005"], "method": ["telephone"], "initiated_by": ["parent"],
        "nature": ["information"], "summary": ["Asked about Aisha's timetable"]})
    out = tmp_path / "imran.zip"
    assert school_cli("export", "subject", "--contact", "C2005", "--as", "HT01", out).code == 0
    z, manifest = _zip(out)
    assert [c["case"] for c in manifest["cases"]] == [own]
    assert "timetable" not in z.read("data.json").decode()
    assert any("barred from correspondence" in n for n in manifest["not_included"])


def test_an_export_never_overwrites_and_bad_input_writes_nothing(
        liaison: Liaison, tmp_path: Path, school_cli: Callable[..., Run]) -> None:
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "x.zip"
    out.write_bytes(b"kept")
    run = school_cli("export", "subject", "--student", "S1001", "--as", "HT01", out)
    assert run.err == f"error: {out} exists: choose another name (an export never " \
                      "overwrites)\n"
    assert out.read_bytes() == b"kept"
    both = school_cli("export", "subject", "--student", "S1001", "--contact", "C2001",
                      "--as", "HT01", tmp_path / "out" / "y.zip")
    assert both.err == "error: say whose records: --student ID or --contact ID\n"
    unknown = school_cli("export", "subject", "--contact", "C9999", "--as", "HT01",
                         tmp_path / "out" / "z.zip")
    assert unknown.err == "error: no contact 'C9999' (import contacts first)\n"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["x.zip"]
