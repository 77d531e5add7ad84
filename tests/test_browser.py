"""The staff web page in a real browser (issue 10): Debian's Chromium, driven by
Playwright, against a real ``liaison serve`` on 127.0.0.1, over a real store. Every step
finds things by their visible labels, as a person would.

No browser is downloaded: Chromium is /usr/bin/chromium (``.ci/run`` installs Debian's
package). Without it these tests fail, never skip, so a CI run cannot pass without them.
A screenshot of each page is written to tests/screenshots/ (not committed).
"""

from __future__ import annotations

import datetime as dt
import re
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
    page.get_by_label("Student's name").press_sequentially("hugh")
    page.get_by_label("Hughes, Ethan").check()  # listed as the name was typed
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


def _enrol(school: Path, staff: str) -> str:
    engine = Liaison.at(school)
    try:
        return str(Users(engine).enrol_second_factor(staff).as_json()["secret"])
    finally:
        engine.close()


def _sign_in_with_code(page: Any, base: str, staff: str, secret: str) -> None:
    from engine.core import totp

    page.goto(f"{base}/")
    page.get_by_label("Staff ID").fill(staff)
    page.get_by_label("Password").fill(PASSWORD_FOR_TESTS)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Code").fill(totp.code(secret, totp.step_of(time.time())))
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Today").wait_for()


def _banned_parent(school: Path) -> tuple[str, str]:
    """A conduct case of Mrs O'Brien (C2006) after a repeat incident, where the
    headteacher may ban her (HSP-5); and a second case of hers."""
    today = dt.date.today().isoformat()
    engine = Liaison.at(school)
    try:
        opened = {"contact": ["C2006"], "incident_date": [today], "severity": ["concern"],
                  "incident_summary": ["Shouted at reception staff"]}
        case = engine.open("conduct_escalation", "S1004", "HY09", opened).case
        engine.advance(case, "repeat_incident", "HY09", {
            "repeat_date": [today], "repeat_summary": ["Abusive emails to three teachers"]})
        second = engine.open("conduct_escalation", "S1004", "HY09", {
            **opened, "incident_summary": ["Rude to the school nurse"]}).case
    finally:
        engine.close()
    return case, second


def test_hsp_5_the_headteacher_bans_a_parent_with_her_code_and_the_banner_follows(
        served: str, browser: Any, school: Path) -> None:
    case, second = _banned_parent(school)
    secret = _enrol(school, "HT01")
    page = browser.new_page()
    _sign_in_with_code(page, served, "HT01", secret)
    page.goto(f"{served}/cases/{case}")
    title = "Ban the parent temporarily from the site and from contact with staff"
    page.get_by_role("link", name=title).click()
    day = dt.date.today()
    page.get_by_label("The ban starts").fill((day + dt.timedelta(days=3)).isoformat())
    page.get_by_label("Representations may be made until").fill(
        (day + dt.timedelta(days=10)).isoformat())
    page.get_by_label("The ban will be reviewed by").fill(
        (day + dt.timedelta(days=40)).isoformat())
    page.get_by_label("How the parent may still write to the school").fill(
        "by letter to the School Office")
    page.get_by_label("What you will tell the parent about why they are banned").fill(
        "You sent abusive emails to three teachers")
    page.get_by_label("What you will tell the parent about how the child will be dropped "
                      "off").fill("Liam may be dropped off at the Orchard Lane gate")
    _shot(page, "site-ban")
    page.get_by_role("button", name=title).click()
    assert "is now" in page.get_by_role("status").inner_text()
    page.goto(f"{served}/cases/{second}")
    banner = page.get_by_role("alert")
    assert "Site ban in force" in banner.inner_text()
    assert "by letter to the School Office" in banner.inner_text()
    _shot(page, "banner")


def test_the_office_is_refused_the_headteachers_events_and_a_form_without_its_token(
        served: str, browser: Any, school: Path) -> None:
    case, _ = _banned_parent(school)
    page = browser.new_page()
    _sign_in(page, served, "OF01")
    page.goto(f"{served}/cases/{case}")
    title = "Ban the parent temporarily from the site and from contact with staff"
    assert page.get_by_role("link", name=title).count() == 0
    refused = page.request.post(f"{served}/cases/{case}/events/issue_site_ban",
                                form={"ban_from": dt.date.today().isoformat()})
    assert refused.status == 400 and "security token" in refused.text()


def test_five_bad_passwords_lock_the_account_in_the_browser(served: str,
                                                            browser: Any) -> None:
    page = browser.new_page()
    page.goto(f"{served}/sign-in")
    for _ in range(5):
        page.get_by_label("Staff ID").fill("HY09")
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Sign in").click()
    assert "locked" in page.get_by_role("alert").inner_text()
    page.get_by_label("Staff ID").fill("HY09")
    page.get_by_label("Password").fill(PASSWORD_FOR_TESTS)
    page.get_by_role("button", name="Sign in").click()
    assert "locked" in page.get_by_role("alert").inner_text()


def test_a_query_is_logged_and_acknowledged_with_the_keyboard_alone(served: str,
                                                                    browser: Any) -> None:
    page = browser.new_page()
    page.goto(f"{served}/sign-in")
    page.keyboard.type("OF01")  # Staff ID has the focus when the page opens
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD_FOR_TESTS)
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Today").wait_for()
    page.get_by_role("link", name="Open a case").focus()
    page.keyboard.press("Enter")
    page.get_by_label("Workflow").focus()
    page.keyboard.press("ArrowDown")  # the first workflow the office may open
    page.keyboard.press("Tab")  # to the student's name
    page.keyboard.type("Ethan")
    page.get_by_label("Hughes, Ethan").wait_for()  # the matches, swapped in by htmx
    page.keyboard.press("Tab")  # Search
    page.keyboard.press("Tab")  # the first match
    page.keyboard.press("Space")  # chosen
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # Next
    page.get_by_role("button", name="Open the case").wait_for()
    # Every input of the form and its button are reached with Tab, in order.
    reached = []
    for _ in range(60):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.textContent.trim() || "
                                     "document.activeElement.name || ''"))
        if reached[-1] == "Open the case":
            break
    assert reached[-1] == "Open the case", reached
    assert "at" in reached  # the last input before the button


PAGES = ("/", "/cases", "/open", "/open?q=a&do=search", "/letters",
         "/letters/options_evening.docx", "/report",
         "/import", "/workflows", "/workflows/conduct_escalation", "/students/S1004",
         "/cases/NO-SUCH-CASE")


def test_every_page_has_no_serious_accessibility_violations(served: str, browser: Any,
                                                            school: Path) -> None:
    """axe-core on each page, signed in as the headteacher with her code: no serious or
    critical violation (WCAG 2.2 AA as axe checks it)."""
    from axe_playwright_python.sync_playwright import Axe

    case, _ = _banned_parent(school)
    secret = _enrol(school, "HT01")
    page = browser.new_page()
    axe = Axe()
    found = {}
    page.goto(f"{served}/sign-in")
    found["/sign-in"] = axe.run(page).response["violations"]
    _sign_in_with_code(page, served, "HT01", secret)
    for path in (*PAGES, f"/cases/{case}", f"/cases/{case}/events/issue_site_ban"):
        page.goto(f"{served}{path}")
        found[path] = axe.run(page).response["violations"]
    serious = {path: [(v["id"], v["impact"], v["nodes"][0]["html"][:80]) for v in got
                      if v["impact"] in ("serious", "critical")]
               for path, got in found.items()}
    assert not any(serious.values()), serious


def test_a_workflow_diagram_is_drawn_by_the_vendored_mermaid(served: str, browser: Any) -> None:
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _sign_in(page, served, "HY09")
    page.goto(f"{served}/workflows/home_visit")
    page.locator("pre.mermaid svg").wait_for()
    assert "proposed" in (page.locator("pre.mermaid svg").text_content() or "").lower()
    assert not [e for e in errors if "Content Security Policy" in e], errors
    _shot(page, "workflow")


def test_the_cases_search_narrows_as_one_types(served: str, browser: Any, school: Path) -> None:
    """htmx (vendored) updates the results as the search is typed, without a page load."""
    _banned_parent(school)  # two cases of Liam O'Brien
    page = browser.new_page()
    _sign_in(page, served, "HY09")
    page.goto(f"{served}/cases")
    loads: list[str] = []
    page.on("load", lambda p: loads.append(p.url))
    page.get_by_label("Search: a student's name or a case number").press_sequentially(
        "nobody by this name")
    page.get_by_text("0 cases, newest first.").wait_for()
    assert loads == []  # the table changed in place
    assert "q=nobody" in page.url  # and the address says what is shown


def test_open_a_case_finds_the_student_as_the_name_is_typed(served: str, browser: Any) -> None:
    """htmx narrows the students in place as each letter is typed; without script the
    Search button gives the same list (the same page, asked for whole)."""
    from playwright.sync_api import expect

    page = browser.new_page()
    _sign_in(page, served, "HY09")
    page.goto(f"{served}/open")
    loads: list[str] = []
    page.on("load", lambda p: loads.append(p.url))
    page.get_by_label("Workflow").select_option("conduct_escalation")
    name = page.get_by_label("Student's name")
    name.press_sequentially("a")
    page.get_by_role("group", name="Student").wait_for()
    many = page.get_by_role("radio").count()
    name.press_sequentially("isha")  # Aisha Rahman alone
    page.get_by_label("Rahman, Aisha").wait_for()
    expect(page.get_by_role("radio")).to_have_count(1)
    assert many > 1 and loads == []  # narrowed in place, no page load
    _shot(page, "open-a-case-search")
    page.get_by_label("Rahman, Aisha").check()
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Open the case").wait_for()
    assert "S1003" in page.inner_text("main")

    plain = browser.new_context(java_script_enabled=False).new_page()
    _sign_in(plain, served, "HY09")
    plain.goto(f"{served}/open")
    plain.get_by_label("Workflow").select_option("conduct_escalation")
    plain.get_by_label("Student's name").fill("rahman")
    plain.get_by_role("button", name="Search").click()
    plain.get_by_label("Rahman, Aisha").check()
    plain.get_by_role("button", name="Next").click()
    plain.get_by_role("button", name="Open the case").wait_for()


def test_cla_3_a_disclosure_opens_for_the_headteacher_only_with_her_code(
        served: str, browser: Any, school: Path) -> None:
    engine = Liaison.at(school)
    try:
        case = engine.open("external_contact", "S1001", "FT01", {
            "summary": ["Tutors a cousin"], "on_school_business": ["no"],
            "contact": ["C2001"]}).case
    finally:
        engine.close()
    page = browser.new_page()
    _sign_in(page, served, "HT01")  # a password only
    refused = page.goto(f"{served}/cases/{case}")
    assert refused.status == 403
    assert page.get_by_role("heading", name="This case needs your second factor").count() == 1
    page.get_by_role("button", name="Sign out").click()
    _sign_in_with_code(page, served, "HT01", _enrol(school, "HT01"))
    assert page.goto(f"{served}/cases/{case}").status == 200
    readers = page.locator("table", has=page.get_by_role("columnheader", name="How"))
    assert "Mrs" in readers.inner_text() or "HT01" in readers.inner_text()
    assert "web page" in readers.inner_text()
    _shot(page, "restricted-case")


def test_a_batch_of_letters_home_shows_its_progress_then_the_letters_made(
        served: str, browser: Any, school: Path) -> None:
    """The office sends a year group's letters: the batch's page shows a progress bar
    (named, with its numbers in words) that htmx brings up to date without a page load,
    then the letters made, each a download; axe finds nothing serious mid-way."""
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect
    from test_web_batch import year_group

    year_group(school, 150)
    page = browser.new_page()
    _sign_in(page, served, "OF01")
    page.get_by_role("link", name="Letters home").click()
    page.get_by_role("link", name="Praise letter").click()
    page.get_by_label("A year group").check()
    page.get_by_label("Year group", exact=True).select_option("12")
    page.get_by_label("Term").fill("the Autumn term")
    page.get_by_label("Achievement").fill("A fine term of work")
    page.get_by_role("button", name="Send the batch").click()
    bar = page.get_by_role("progressbar", name="Students whose letters are made")
    bar.wait_for()
    loads: list[str] = []
    page.on("load", lambda p: loads.append(p.url))
    serious = [v["id"] for v in Axe().run(page).response["violations"]
               if v["impact"] in ("serious", "critical")]
    assert not serious, serious
    _shot(page, "batch-progress")
    expect(page.get_by_role("heading", name="The letters of the batch (300)")).to_be_visible(
        timeout=120_000)
    assert loads == []  # brought up to date in place, by htmx
    assert "300 letters made for 150 students" in page.get_by_role("status").inner_text()
    assert page.get_by_role("link", name=re.compile(r"^S9000-C90000-.*\.docx$")).count() == 1
    _shot(page, "batch-done")
