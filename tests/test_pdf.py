"""PDFs for printing (`--pdf` on `advance` and `letters batch`), made by LibreOffice for real.

A PDF goes next to each letter's .docx, from one LibreOffice run for the whole batch; the
.docx stays the record (its row and hash), and `liaison doctor` keeps the PDF of a recorded
letter. Without LibreOffice the command says how to install it and does nothing. The PDF's
text is read back with pdftotext (poppler-utils) where it is installed.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import Run, case_files

from engine.service.liaison import Liaison

Cli = Callable[..., Run]
needs_soffice = pytest.mark.skipif(not (shutil.which("soffice") or shutil.which("libreoffice")),
                                   reason="LibreOffice is not installed")
pytestmark = pytest.mark.slow
PRAISE = ["--set", "term=the Autumn term 2026",
          "--set", "achievement=Ethan led the school's charity run, raising £412."]


def pdf_text(path: Path) -> str | None:
    """The PDF's text, one line per line, or None where pdftotext is not installed."""
    if not shutil.which("pdftotext"):
        return None
    done = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True)
    return "\n".join(" ".join(line.split()) for line in done.stdout.splitlines())


def assert_pdf_of(path: Path, *lines: str) -> None:
    assert path.is_file(), path
    assert path.read_bytes().startswith(b"%PDF-")
    text = pdf_text(path)
    if text is not None:
        for line in lines:
            assert line in text, (line, text)


@needs_soffice
def test_nsw_6_a_batch_with_pdf_has_a_pdf_next_to_each_letter(
        school_cli: Cli, liaison: Liaison, school: Path, tmp_path: Path) -> None:
    listed = tmp_path / "students.csv"
    listed.write_text("id\nS1001\nS1005\n", encoding="utf-8")
    run = school_cli("letters", "batch", "praise_letter", "--as", "OF01", "--students", listed,
                     *PRAISE, "--pdf", "--json")
    assert run.code == 0, run.err
    assert (run.json()["made"], run.json()["pdfs"]) == (3, 3)
    rows = {d["recipient_name"]: d for d in liaison.store.documents() if d["batch_key"]}
    assert sorted(rows) == ["Mr Daniel Hughes", "Mr Karim Haddad and Mrs Leila Haddad",
                            "Mrs Sarah Hughes"]
    for name, row in rows.items():
        pdf = school / str(row["path"]).replace(".docx", ".pdf")
        assert_pdf_of(pdf, name, "A letter of praise",
                      "Ethan led the school's charity run, raising £412.")
    assert_pdf_of(school / str(rows["Mr Karim Haddad and Mrs Leila Haddad"]["path"])
                  .replace(".docx", ".pdf"), "interpreter (Arabic)")


@needs_soffice
def test_a_re_run_with_pdf_makes_the_pdfs_still_missing(
        school_cli: Cli, liaison: Liaison, school: Path, tmp_path: Path) -> None:
    listed = tmp_path / "students.csv"
    listed.write_text("id\nS1001\n", encoding="utf-8")
    args = ["letters", "batch", "praise_letter", "--as", "OF01", "--students", listed, *PRAISE]
    assert school_cli(*args).code == 0
    assert not list(school.rglob("*.pdf"))
    run = school_cli(*args, "--pdf")
    assert run.code == 0, run.err
    assert run.out.splitlines()[1:] == ["  skipped 2 letters made before in this batch",
                                        "  wrote 2 PDFs"]
    assert len(list(school.rglob("*.pdf"))) == 2
    assert school_cli(*args, "--pdf", "--json").json()["pdfs"] == 0  # nothing left to do


@needs_soffice
def test_advance_with_pdf_prints_each_letter(school_cli: Cli, school: Path) -> None:
    opened = school_cli("open", "conduct_escalation", "--student", "S1004", "--as", "HY09",
                        "--set", "contact=C2006", "--set", "incident_date=2026-11-20",
                        "--set", "severity=concern",
                        "--set", "incident_summary=Shouted at reception staff", "--json")
    case = opened.json()["case"]
    run = school_cli("advance", case, "request_meeting", "--as", "OF01",
                     "--set", "meeting_at=2026-11-26T15:30", "--set", "with_staff=HY09",
                     "--pdf", "--json")
    assert run.code == 0, run.err
    made = run.json()
    assert made["pdfs"] == [d["path"].replace(".docx", ".pdf") for d in made["documents"]]
    assert made["pdfs"]
    assert_pdf_of(school / made["pdfs"][0], "Mrs Zoë O'Brien", "Dear Mrs O'Brien,",
                  "I am writing to confirm the meeting on Thursday 26 November 2026 at 3.30pm")


@needs_soffice
def test_doctor_keeps_the_pdf_of_a_recorded_letter(
        school_cli: Cli, liaison: Liaison, school: Path, tmp_path: Path) -> None:
    listed = tmp_path / "students.csv"
    listed.write_text("id\nS1022\n", encoding="utf-8")
    school_cli("letters", "batch", "praise_letter", "--as", "OF01", "--students", listed,
               *PRAISE, "--pdf")
    (pdf,) = school.rglob("*.pdf")
    orphan = pdf.with_name("S1022-C9999-00000000.pdf")  # a PDF whose letter is not recorded
    orphan.write_bytes(pdf.read_bytes())
    run = school_cli("doctor")
    assert run.out.splitlines()[:2] == ["removed 1 orphaned file(s)",
                                        f"  {orphan.relative_to(school).as_posix()}"]
    assert pdf.is_file() and not orphan.exists()


@pytest.mark.parametrize("command", [
    ["letters", "batch", "praise_letter", "--as", "OF01", "--year", "9", *PRAISE, "--pdf"],
    ["advance", "{case}", "request_meeting", "--as", "OF01", "--set",
     "meeting_at=2026-11-26T15:30", "--set", "with_staff=HY09", "--pdf"],
])
def test_without_libreoffice_the_error_says_how_to_install_it_and_nothing_is_done(
        school_cli: Cli, liaison: Liaison, school: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, command: list[str]) -> None:
    opened = school_cli("open", "conduct_escalation", "--student", "S1004", "--as", "HY09",
                        "--set", "contact=C2006", "--set", "incident_date=2026-11-20",
                        "--set", "severity=concern",
                        "--set", "incident_summary=Shouted at reception staff", "--json")
    case = opened.json()["case"]
    before = liaison.store.dump(), case_files(school)
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with no soffice on it
    run = school_cli(*[part.replace("{case}", case) for part in command])
    assert run.code == 1
    assert run.err == ("error: LibreOffice is not installed, so no PDF can be made: install "
                       "it (Debian, Ubuntu: apt-get install libreoffice-writer-nogui; "
                       "elsewhere: https://www.libreoffice.org/download/) and run the command "
                       "again\n")
    assert (liaison.store.dump(), case_files(school)) == before


# ------------------------------------------------- layout, with the longest realistic values

LONG_TEXT = ("On the morning of Thursday 19 November you came into the reception area "
             "without an appointment & raised your voice at two members of the office team, "
             "saying \"you're all useless <and> I'll see you in court\"; you then followed a "
             "teacher into the corridor and would not leave when asked to by the Deputy "
             "Headteacher, so the police were called, and you left the school site shortly before "
             "they arrived.")
assert 390 <= len(LONG_TEXT) <= 410


def _long_family() -> tuple[Any, tuple[Any, ...]]:
    """A pupil and parent with the longest names and address a school's MIS gives: 40
    characters of name with &<>'", a two-line street and a long town."""
    from engine.core.people import Contact, Student

    student = Student("S9999", "Maximilian-Alexander", "O'Donoghue & <Sons>", 7, "7P",
                      "Kestrel")
    parent = Contact(id="C9999", student_id="S9999", title="Mrs",
                     first_name="Siobhán-Marguerite", last_name="O'Donoghue \"&\" <Ltd>",
                     relationship="Mother",
                     address_line1="Flat 12, The Old Granary Buildings, 147-149 Upper St "
                                   "Margaret's Road",
                     address_line2="Little Hadley-on-the-Marsh Industrial Estate (East)",
                     town="Kingsford upon Avon", postcode="MB10 4QZ", email="", phone="",
                     language="Polish", separate_correspondence=False, correspondence="all")
    assert len(parent.full_name) >= 40
    return student, (parent,)


def _page_texts(pdf: Path) -> list[str]:
    """Each page's text (pdfinfo's page count, pdftotext page by page)."""
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    pages = int(next(line.split()[-1] for line in info.stdout.splitlines()
                     if line.startswith("Pages:")))
    return [subprocess.run(["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(pdf), "-"],
                           capture_output=True, text=True, check=True).stdout
            for n in range(1, pages + 1)]


def _one_letter_each(long: bool) -> dict[str, tuple[bytes, tuple[str, str]]]:
    """Every shipped workflow letter, one recipient each, as the engine composes it, with
    the longest realistic values (or the sample family's ordinary ones): its bytes and
    who signs it (name, title)."""
    from test_letters_by_recipient import SENT, _compose

    from engine.core import compose as composing
    from engine.letters import renderer as letters

    out: dict[str, tuple[bytes, tuple[str, str]]] = {}
    student, contacts = _long_family()
    for sent in SENT:
        if sent.doc.template in out:
            continue
        kind = "social worker and virtual school head" if sent.doc.to.startswith("kind:") \
            else "one parent"
        plan, made, snap = _compose(sent, kind)
        if long and sent.doc.to in ("contact", "contacts", "each_contact"):
            values = {k: (LONG_TEXT if f.type == "text" else [LONG_TEXT[:120]] * 3
                          if f.type == "list" else v)
                      for k, v in plan.values.items()
                      if (f := sent.workflow.field_types().get(k))} | {"contact": "C9999"}
            plan = dataclasses.replace(plan, values=values)
            snap = dataclasses.replace(snap, student=student, contacts=contacts)
            made = [x for x in composing.compose(sent.workflow, plan, snap).letters
                    if x.spec is sent.doc]
        letter = made[0]
        data = letters.render(SCHOOL_LETTERS / sent.doc.template, letter.context)
        signer = letter.context["signatory"]
        out[sent.doc.template] = (data, (signer["name"], signer["title"]))
    return out


SCHOOL_LETTERS = Path(__file__).resolve().parent.parent / "letters"


@needs_soffice
def test_every_letter_keeps_its_pages_and_its_sign_off_with_the_longest_values(
        tmp_path: Path) -> None:
    """Issue 9: each shipped workflow letter, for a parent with a 40-character name with
    &<>'", a two-line street and 400-character notes, converted by LibreOffice as --pdf
    does: it has as many pages as with ordinary values, and "Yours sincerely," is on the
    page of the signatory's name and title (no title alone under a second letterhead)."""
    from engine.service.pdf import to_pdf

    made = {}
    for long in (False, True):
        folder = tmp_path / ("long" if long else "short")
        folder.mkdir()
        letters_made = _one_letter_each(long)
        paths = []
        for name, (data, _signer) in letters_made.items():
            (folder / name).write_bytes(data)
            paths.append(folder / name)
        made[long] = (letters_made, dict(zip([p.name for p in paths], to_pdf(paths),
                                              strict=True)))
    (long_letters, long_pdfs), (_short, short_pdfs) = made[True], made[False]
    wrong = []
    for name, pdf in long_pdfs.items():
        pages, ordinary = _page_texts(pdf), _page_texts(short_pdfs[name])
        signer_name, title = long_letters[name][1]
        signed = [i for i, text in enumerate(pages) if "Yours sincerely," in text]
        if not signed:  # a record for the file: its pages, as long as its notes
            continue
        page = pages[signed[-1]]
        if f"{signer_name} {title}" not in " ".join(page.split()):
            wrong.append(f"{name}: the sign-off is not on the page of {signer_name}, {title}")
        body = _body_lines(page.split("Yours sincerely,")[0])
        if len(pages) > len(ordinary) and not body:
            wrong.append(f"{name}: page {len(pages)} holds only the signature")
        if len(pages) > len(ordinary) + 1:
            wrong.append(f"{name}: {len(pages)} pages, against {len(ordinary)}")
    assert not wrong, "\n".join(wrong)


def _body_lines(text: str) -> list[str]:
    """The lines of a page above its sign-off that are the letter's, not the letterhead."""
    head = ("Hillcrest Academy", "Orchard Lane", "Telephone ")
    return [line for line in (" ".join(x.split()) for x in text.splitlines())
            if line and not line.startswith(head)]
