"""PDFs for printing (`--pdf` on `advance` and `letters batch`), made by LibreOffice for real.

A PDF goes next to each letter's .docx, from one LibreOffice run for the whole batch; the
.docx stays the record (its row and hash), and `liaison doctor` keeps the PDF of a recorded
letter. Without LibreOffice the command says how to install it and does nothing. The PDF's
text is read back with pdftotext (poppler-utils) where it is installed.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

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
