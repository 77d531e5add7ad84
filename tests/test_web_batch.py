"""A batch of letters home sent from the web page, and the web process killed while it
runs (issue 10): a real ``liaison serve``, signed in over HTTP as a browser would, a year
group of 350 students with two letters each, SIGKILL once the page's progress bar is past
the first hundred students. The store is then read: every student has both letters or
neither, every group of a hundred is whole, every row names a file on disk; sending the
same letter again makes exactly the letters still missing, and none twice."""

from __future__ import annotations

import csv
import http.cookiejar
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from conftest import DATABASE, PASSWORD_FOR_TESTS
from test_browser import _free_port, _wait_for

from engine.service import batch
from engine.service.liaison import Liaison
from engine.service.users import Users

pytestmark = [pytest.mark.slow, pytest.mark.sqlite_only]
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
YEAR, STUDENTS = 12, 350
GIVEN = {"term": ["the Autumn term"], "achievement": ["A fine term of work"]}


def year_group(school: Path, n: int = STUDENTS) -> None:
    """The sample people and a year group of ``n`` students (Year 12), two parents each
    writing apart."""
    students = (school / "samples" / "students.csv").read_text(encoding="utf-8")
    contacts = (school / "samples" / "contacts.csv").read_text(encoding="utf-8")
    fields = list(csv.DictReader(io.StringIO(contacts)).fieldnames or [])
    more_s, more_c = io.StringIO(), io.StringIO()
    writer = csv.DictWriter(more_c, fieldnames=fields)
    for i in range(n):
        more_s.write(f"S9{i:03d},Pat{i},Pupil{i},{YEAR},12A,Kestrel,2009-09-01\n")
        for j, who in enumerate(("Mother", "Father")):
            writer.writerow({**{f: "" for f in fields}, "id": f"C9{i:03d}{j}",
                             "student_id": f"S9{i:03d}", "title": "Ms", "first_name": who,
                             "last_name": f"Pupil{i}", "relationship": who,
                             "address_line1": f"{i} High Street", "town": "Millbrook",
                             "postcode": f"MB1 {i % 9}AA", "language": "English",
                             "separate_correspondence": "yes", "correspondence": "all"})
    (school / "people-s.csv").write_text(students + more_s.getvalue(), encoding="utf-8")
    (school / "people-c.csv").write_text(contacts + more_c.getvalue(), encoding="utf-8")
    engine = Liaison.at(school)
    try:
        engine.import_students(school / "people-s.csv")
        engine.import_contacts(school / "people-c.csv")
        Users(engine).set_password("OF01", PASSWORD_FOR_TESTS)
    finally:
        engine.close()


def _signed_in(base: str) -> urllib.request.OpenerDirector:
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    token = TOKEN.search(opener.open(f"{base}/sign-in").read().decode())
    assert token
    opener.open(f"{base}/sign-in", urllib.parse.urlencode({
        "csrf_token": token.group(1), "staff_id": "OF01",
        "password": PASSWORD_FOR_TESTS}).encode()).read()
    return opener


def _letters(school: Path) -> tuple[Counter[str], list[str]]:
    """How many letters home each student has (the only batch of this store), and the
    rows' files."""
    engine = Liaison.at(school)
    try:
        rows = [d for d in engine.store.documents() if d["batch_key"]]
    finally:
        engine.close()
    return Counter(r["student_id"] for r in rows), [r["path"] for r in rows]


def test_a_batch_killed_mid_way_leaves_whole_students_and_is_finished_by_sending_again(
        school: Path, _imported: Path, tmp_path: Path) -> None:
    (school / DATABASE).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_imported, school / DATABASE)
    year_group(school)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "engine.cli.main", "serve", "--school", str(school),
         "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(port, server)  # type: ignore[arg-type]
        base = f"http://127.0.0.1:{port}"
        office = _signed_in(base)
        form = office.open(f"{base}/letters/praise_letter.docx").read().decode()
        token = TOKEN.search(form)
        assert token
        sent = office.open(f"{base}/letters/praise_letter.docx", urllib.parse.urlencode({
            "csrf_token": token.group(1), "who": "year", "year": str(YEAR), "do": "send",
            "term": GIVEN["term"][0], "achievement": GIVEN["achievement"][0]}).encode())
        progress = sent.geturl()  # the 303 followed: the batch's own page
        assert "/letters/batches/" in progress
        done = 0
        for _ in range(6000):  # until the bar is past the first group of 100 students
            page = office.open(progress).read().decode()
            found = re.search(r'<progress id="batch-bar" max="(\d+)" value="(\d+)"', page)
            assert found, "the batch ended before it could be stopped"
            assert int(found.group(1)) == STUDENTS
            done = int(found.group(2))
            if done > 100:
                break
            time.sleep(0.02)
        os.kill(server.pid, signal.SIGKILL)
        server.wait(10)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(10)
    assert 100 < done < STUDENTS
    counts, paths = _letters(school)
    assert set(counts.values()) <= {2}  # both letters of a student, or neither
    assert len(counts) % 100 == 0 and 100 <= len(counts) < STUDENTS  # whole groups only
    assert all((school / p).is_file() for p in paths)  # no row without its file
    engine = Liaison.at(school)
    try:
        again = batch.send(engine, "praise_letter.docx", "OF01", batch.Selection(year=YEAR),
                           GIVEN)
    finally:
        engine.close()
    assert again.made == 2 * (STUDENTS - len(counts)) and again.already_made == 2 * len(counts)
    counts, paths = _letters(school)
    assert len(counts) == STUDENTS and set(counts.values()) == {2}
    assert len(set(paths)) == len(paths) == 2 * STUDENTS
