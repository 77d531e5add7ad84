"""The staff web page in a real browser (issue 10): Debian's Chromium, driven by
Playwright, against a real ``liaison serve`` on 127.0.0.1, over a real store. Every step
finds things by their visible labels, as a person would.

No browser is downloaded: Chromium is /usr/bin/chromium (``.ci/run`` installs Debian's
package). Without it these tests fail, never skip, so a CI run cannot pass without them.
A screenshot of each page is written to tests/screenshots/ (not committed).
"""

from __future__ import annotations

import datetime as dt
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from conftest import DATABASE, PASSWORD_FOR_TESTS
from docx import Document

from engine.service.liaison import Liaison
from engine.service.users import Users

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parent / "screenshots"
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(school: Path, _imported: Path, tmp_path: Path) -> Iterator[str]:
    """``liaison serve`` on a free port of 127.0.0.1, the school's people imported and
    three members of staff given a password; the address it serves on."""
    (school / DATABASE).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_imported, school / DATABASE)
    engine = Liaison.at(school)
    try:
        for staff in ("OF01", "HY09", "HT01"):
            Users(engine).set_password(staff, PASSWORD_FOR_TESTS)
    finally:
        engine.close()
    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "engine.cli.main", "serve", "--school", str(school),
             "--port", str(port)], stdout=out, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_for(port, server)
        said = log.read_text().splitlines()[0]
        assert f"on http://127.0.0.1:{port}/" in said, said
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert "Traceback" not in log.read_text()


def _wait_for(port: int, server: subprocess.Popen[str]) -> None:
    for _ in range(200):  # at most 20 s
        assert server.poll() is None, "liaison serve stopped"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail("liaison serve did not start listening")


@pytest.fixture
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: apt-get install chromium (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM),
                                     args=["--headless", "--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _sign_in(page: Any, base: str, staff: str) -> None:
    page.goto(f"{base}/")
    page.get_by_label("Staff ID").fill(staff)
    page.get_by_label("Password").fill(PASSWORD_FOR_TESTS)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Today").wait_for()


def test_the_office_logs_an_email_query_and_acknowledges_it(served: str, browser: Any) -> None:
    page = browser.new_page()
    page.goto(f"{served}/")
    _shot(page, "sign-in")
    _sign_in(page, served, "OF01")
    _shot(page, "today")
    page.get_by_role("link", name="Open a case").click()
    page.get_by_label("Workflow").select_option("query_routing")
    page.get_by_label("Student").select_option("S1001")
    page.get_by_role("button", name="Next").click()
    week_ago = (dt.datetime.now() - dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("Parent who raised it").select_option(index=1)
    page.get_by_label("pastoral").check()
    page.get_by_label("email").check()
    page.get_by_label("When it arrived").fill(week_ago)
    page.get_by_label("What the parent asks or is concerned about").fill("Asks about clubs")
    _shot(page, "open-a-case")
    page.get_by_role("button", name="Open the case").click()
    page.get_by_role("heading", name="Deadlines").wait_for()
    case = page.url.rsplit("/", 1)[-1]
    assert case.startswith("QRY-")
    deadlines = page.get_by_role("table").first
    assert "acknowledge by" in deadlines.inner_text()
    _shot(page, "case")
    page.get_by_role("link", name="Today").click()
    assert page.get_by_role("heading", name="Overdue (").count() == 1  # received a week ago
    assert page.get_by_role("link", name=case).count() == 1
    page.get_by_role("link", name=case).click()
    page.get_by_role("link", name="Acknowledge the letter or email").click()
    page.get_by_label("How an email was acknowledged").fill("Replied by email")
    _shot(page, "event")
    page.get_by_role("button", name="Acknowledge the letter or email").click()
    assert "is now" in page.get_by_role("status").inner_text()
    assert page.locator("td", has_text="acknowledge by").locator("..").get_by_text(
        "met").count() == 1


def test_a_head_of_year_requests_a_meeting_and_downloads_the_letter(
        served: str, browser: Any, school: Path) -> None:
    engine = Liaison.at(school)
    try:
        case = engine.open("conduct_escalation", "S1004", "HY09", {
            "contact": ["C2006"], "incident_date": [dt.date.today().isoformat()],
            "severity": ["concern"], "incident_summary": ["Shouted at reception staff"]}).case
    finally:
        engine.close()
    page = browser.new_page(accept_downloads=True)
    _sign_in(page, served, "HY09")
    page.goto(f"{served}/cases/{case}")
    title = "Request a meeting with the parent, confirmed in writing"
    page.get_by_role("link", name=title).click()
    meeting = (dt.datetime.now() + dt.timedelta(days=3)).strftime("%Y-%m-%dT15:30")
    page.get_by_label("Date and time of the meeting").fill(meeting)
    page.get_by_label("Member of staff meeting the parent").select_option("HY09")
    page.get_by_role("button", name=title).click()
    assert "Letter written for Mrs Zoë O'Brien" in page.get_by_role("status").inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="conduct meeting request for Mrs Zoë O'Brien").click()
    data = Path(download.value.path()).read_bytes()
    text = "\n".join(p.text for p in Document(BytesIO(data)).paragraphs)
    assert "meeting" in text.lower() and "O'Brien" in text
    _shot(page, "case-with-letter")


def test_the_office_cannot_see_a_disclosure_by_its_address(served: str, browser: Any,
                                                           school: Path) -> None:
    engine = Liaison.at(school)
    try:
        case = engine.open("external_contact", "S1001", "HT01", {
            "summary": ["Tutors a cousin"], "on_school_business": ["no"],
            "contact": ["C2001"]}).case
    finally:
        engine.close()
    page = browser.new_page()
    _sign_in(page, served, "OF01")
    response = page.goto(f"{served}/cases/{case}")
    assert response.status == 404
    assert page.get_by_role("heading", name="Page not found").count() == 1
    _shot(page, "not-found")
