"""The staff web page through Flask's test client: the same use cases as the CLI, the
same roles, a real store and real letters (issue 10). The browser walk is
tests/test_browser.py.

Every form is posted with the CSRF token the page gave, as a browser would.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from conftest import PASSWORD_FOR_TESTS, open_conduct, snapshot
from docx import Document

from engine.core import totp
from engine.service.liaison import Liaison
from engine.service.users import Users
from engine.web.app import create_app

PASSWORD = PASSWORD_FOR_TESTS
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def users(liaison: Liaison) -> Users:
    u = Users(liaison)
    for staff in ("OF01", "HY09", "HT01", "FT01"):
        u.set_password(staff, PASSWORD)
    return u


@pytest.fixture
def client(liaison: Liaison, users: Users) -> Iterator[Any]:
    app = create_app(liaison.school.root, liaison)
    with app.test_client() as c:
        yield c


def token(client: Any, path: str) -> str:
    page = client.get(path)
    found = TOKEN.search(page.get_data(as_text=True))
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def post(client: Any, path: str, data: dict[str, Any], form: str | None = None) -> Any:
    return client.post(path, data={"csrf_token": token(client, form or path), **data})


def sign_in(client: Any, staff: str, password: str = PASSWORD) -> Any:
    return post(client, "/sign-in", {"staff_id": staff, "password": password})


@pytest.fixture
def as_staff(client: Any) -> Callable[[str], Any]:
    def signed(staff: str) -> Any:
        client.post("/sign-out", data={"csrf_token": token(client, "/sign-in")})
        assert sign_in(client, staff).status_code == 302
        return client
    return signed


def text(response: Any) -> str:
    return response.get_data(as_text=True)


# ---------------------------------------------------------------------- signing in

def test_the_sign_in_page_has_the_contract_labels(client: Any) -> None:
    page = text(client.get("/sign-in"))
    assert '<label for="staff_id">Staff ID</label>' in page
    assert '<label for="password">Password</label>' in page
    assert '<button type="submit">Sign in</button>' in page


def test_every_page_but_sign_in_asks_to_sign_in_first(client: Any) -> None:
    for path in ("/", "/cases", "/cases/CON-2026-0001", "/open", "/workflows"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/sign-in")


def test_a_wrong_password_and_an_unknown_id_get_the_same_answer(client: Any) -> None:
    wrong = sign_in(client, "OF01", "not the password")
    unknown = sign_in(client, "ZZ99", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "Staff ID or password is wrong" in text(wrong)
    assert "Staff ID or password is wrong" in text(unknown)


def test_signing_in_sets_a_http_only_same_site_cookie(client: Any) -> None:
    response = sign_in(client, "OF01")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_form_without_its_csrf_token_is_refused(client: Any) -> None:
    response = client.post("/sign-in", data={"staff_id": "OF01", "password": PASSWORD})
    assert response.status_code == 400
    assert "security token" in text(response)


def test_five_bad_passwords_lock_the_account_and_are_recorded(client: Any,
                                                              users: Users) -> None:
    for _ in range(4):
        assert "wrong" in text(sign_in(client, "HY09", "bad password 1"))
    locked = sign_in(client, "HY09", "bad password 1")
    assert "now locked after 5 failed sign-ins" in text(locked)
    refused = sign_in(client, "HY09")  # the right password, too late
    assert refused.status_code == 401 and "locked" in text(refused)
    outcomes = [a["outcome"] for a in users.logins.attempts("HY09")]
    assert outcomes == ["bad_password"] * 5 + ["locked"]
    assert users.listing().as_json()[
        [r["staff"] for r in users.listing().as_json()].index("HY09")]["locked_until"]


def test_the_lock_ends_after_fifteen_minutes(client: Any, users: Users,
                                             liaison: Liaison) -> None:
    import datetime as dt

    for _ in range(5):
        sign_in(client, "HY09", "bad password 1")
    liaison.clock.now += dt.timedelta(minutes=16)  # type: ignore[attr-defined]
    assert sign_in(client, "HY09").status_code == 302


def test_a_second_factor_asks_for_the_code_once(client: Any, users: Users,
                                                liaison: Liaison) -> None:
    secret = users.enrol_second_factor("HT01").as_json()["secret"]
    first = sign_in(client, "HT01")
    assert first.headers["Location"].startswith("/sign-in/code")
    assert client.get("/").status_code == 302  # not signed in until the code
    page = text(client.get("/sign-in/code"))
    assert '<label for="code">Code</label>' in page
    assert post(client, "/sign-in/code", {"code": "000000"}).status_code == 401
    good = totp.code(secret, totp.step_of(liaison.clock().timestamp()))
    assert post(client, "/sign-in/code", {"code": good}).status_code == 302
    assert client.get("/").status_code == 200
    # The same code does not work twice (someone who saw it over a shoulder).
    client.post("/sign-out", data={"csrf_token": token(client, "/")})
    sign_in(client, "HT01")
    assert post(client, "/sign-in/code", {"code": good}).status_code == 401


def test_totp_matches_the_rfc_6238_vectors() -> None:
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # "12345678901234567890"
    for unix, expected in ((59, "287082"), (1111111109, "081804"), (1234567890, "005924"),
                           (2000000000, "279037")):
        assert totp.code(secret, totp.step_of(unix)) == expected


def test_a_next_address_off_the_site_is_ignored(client: Any) -> None:
    response = post(client, "/sign-in?next=//evil.example/", {"staff_id": "OF01",
                                                              "password": PASSWORD},
                    form="/sign-in")
    assert response.headers["Location"] == "/"


def test_pages_carry_a_content_security_policy_without_inline_script(client: Any) -> None:
    policy = client.get("/sign-in").headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy


# ---------------------------------------------------------------------- the pages

def test_today_is_the_due_list(as_staff: Callable[[str], Any], liaison: Liaison) -> None:
    case = open_conduct(liaison).case
    liaison.advance(case, "request_meeting", "OF01",
                    {"meeting_at": ["2026-11-26T15:30"], "with_staff": ["HY09"]})
    page = text(as_staff("HY09").get("/"))
    assert "Rest of the week" in page and case in page


def _queries(engine: Liaison, n: int) -> list[str]:
    """n email queries logged by the office, each with deadlines of its own."""
    return [engine.open("query_routing", "S1001", "OF01", {
        "contact": ["C2001"], "kind": ["general"], "channel": ["email"],
        "received_at": [f"2026-11-1{i}T10:00"], "summary": [f"Query {i}"]}).case
        for i in range(n)]


def _rows(page: str) -> list[str]:
    """The case ids of a page's table rows, in order."""
    return re.findall(r'<tr class="[a-z_]+">\s*<td>[^<]*</td>\s*<td><a href="/cases/([^"]+)"',
                      page)


def test_today_shows_a_page_of_the_due_list_with_how_many_and_the_next_page(
        client: Any, as_staff: Callable[[str], Any], liaison: Liaison) -> None:
    """A bounded page, whatever is due: the headings and the header count say how many in
    all, and Next and Previous walk the rest, in the due list's order."""
    from engine.service.due import due_list

    _queries(liaison, 3)
    client.application.config["DUE_PAGE"] = 2
    office = as_staff("OF01")
    whole = [d.case for d in due_list(liaison, "OF01", liaison.clock()).items]
    assert len(whole) > 4
    first = text(office.get("/"))
    assert _rows(first) == whole[:2]
    assert f'aria-label="{len(whole)} due"' in first  # the header, counted with the page
    assert f"Deadlines 1 to 2 of {len(whole)}" in first and "Previous" not in first
    assert 'href="/?start=2">Next 2</a>' in first
    shown, start = _rows(first), 2
    while True:
        page = text(office.get(f"/?start={start}"))
        shown += _rows(page)
        assert 'aria-label="Pages of the due list"' in page and ">Previous 2</a>" in page
        if ">Next " not in page:
            break
        start += 2
    assert shown == whole
    assert "No deadlines this far down the list." in text(office.get("/?start=900"))


def test_cases_are_counted_only_as_far_as_a_page_needs(
        client: Any, as_staff: Callable[[str], Any], liaison: Liaison) -> None:
    """Past COUNT_TO the page says "more than" and still pages on, newest first; within
    it, the number and the pages are exact."""
    made = _queries(liaison, 3)
    office = as_staff("OF01")
    assert "3 cases, newest first." in text(office.get("/cases"))
    client.application.config.update(COUNT_TO=1, CASES_PAGE=1)
    first = text(office.get("/cases"))
    assert "More than 1 case, newest first." in first
    assert "Page 1\n" in first and 'href="/cases?page=2' in first and "Page 1 of" not in first
    assert _listed(first) == [made[2]]  # newest first
    second = text(office.get("/cases?page=2"))  # counted to 2 now: still more than that
    assert _listed(second) == [made[1]] and "Page 2\n" in second
    last = text(office.get("/cases?page=3"))  # counted to 3: exact, and no next page
    assert _listed(last) == [made[0]] and "3 cases, newest first." in last
    assert "Page 3 of 3" in last and "page=4" not in last


def _listed(page: str) -> list[str]:
    return re.findall(r'<tr><td><a href="/cases/([^"]+)"', page)


def test_all_cases_is_offered_to_the_office_only(as_staff: Callable[[str], Any]) -> None:
    assert "Show all cases" in text(as_staff("OF01").get("/"))
    teacher = as_staff("HY09")
    assert "Show all cases" not in text(teacher.get("/"))
    assert teacher.get("/?all=1").status_code == 403


def test_a_case_page_offers_each_event_by_its_title(as_staff: Callable[[str], Any],
                                                    liaison: Liaison) -> None:
    case = open_conduct(liaison).case
    page = text(as_staff("HY09").get(f"/cases/{case}"))
    for action in liaison.actions(case, "HY09"):
        assert f">{action.title}</a>" in page
    form = text(as_staff("HY09").get(f"/cases/{case}/events/request_meeting"))
    assert ('<label for="request_meeting-meeting_at">Date and time of the meeting</label>'
            in form)
    assert '<input id="request_meeting-meeting_at" name="meeting_at" type="datetime-local"' \
        in form
    assert '<label for="request_meeting-with_staff">Member of staff meeting the parent' in form


def test_firing_an_event_writes_the_letter_to_download(as_staff: Callable[[str], Any],
                                                       liaison: Liaison) -> None:
    case = open_conduct(liaison).case
    client = as_staff("HY09")
    path = f"/cases/{case}/events/request_meeting"
    done = post(client, path, {"meeting_at": "2026-11-26T15:30", "with_staff": "HY09"})
    assert done.status_code == 302 and done.headers["Location"] == f"/cases/{case}"
    assert liaison.case(case, "HY09").state == "meeting_requested"
    page = text(client.get(f"/cases/{case}"))
    assert "Letter written for Mrs Zoë O&#39;Brien" in page
    link = re.search(r'href="(/documents/[^"]+\.docx)"', page)
    assert link
    with client.get(link.group(1)) as download:
        assert download.status_code == 200
        assert "attachment" in download.headers["Content-Disposition"]
        data = download.data
    words = "\n".join(p.text for p in Document(BytesIO(data)).paragraphs)
    assert "meeting" in words.lower()


def test_a_refused_event_says_why_keeps_what_was_typed_and_changes_nothing(
        as_staff: Callable[[str], Any], liaison: Liaison) -> None:
    case = open_conduct(liaison).case
    client = as_staff("HY09")
    before = snapshot(liaison)
    response = post(client, f"/cases/{case}/events/request_meeting",
                    {"meeting_at": "not a time", "with_staff": "HY09"})
    assert response.status_code == 422
    page = text(response)
    assert "is not a date and time" in page and 'value="not a time"' in page
    assert snapshot(liaison) == before


def test_the_office_is_refused_the_headteachers_events(as_staff: Callable[[str], Any],
                                                       liaison: Liaison) -> None:
    case = open_conduct(liaison).case
    liaison.advance(case, "repeat_incident", "HY09",
                    {"repeat_date": ["2026-11-21"], "repeat_summary": ["Abusive emails"]})
    client = as_staff("OF01")
    assert "Issue a temporary site ban" not in text(client.get(f"/cases/{case}"))
    assert client.get(f"/cases/{case}/events/issue_site_ban").status_code == 404
    before = snapshot(liaison)
    response = post(client, f"/cases/{case}/events/issue_site_ban",
                    {"ban_from": "2026-12-07"}, form=f"/cases/{case}")
    assert response.status_code == 403 and "only headteacher" in text(response)
    assert snapshot(liaison) == before


def test_an_unknown_and_an_invisible_case_are_the_same_404(as_staff: Callable[[str], Any],
                                                           liaison: Liaison) -> None:
    restricted = _restricted_case(liaison)
    office = as_staff("OF01")
    unknown, hidden = office.get("/cases/DIS-2026-9999"), office.get(f"/cases/{restricted}")
    assert unknown.status_code == hidden.status_code == 404
    assert text(unknown) == text(hidden)


def test_a_document_of_an_invisible_case_is_a_404(as_staff: Callable[[str], Any],
                                                  liaison: Liaison) -> None:
    given = {"summary": ["I tutor a cousin at weekends"], "on_school_business": ["no"],
             "contact": ["C2001"]}
    outcome = liaison.open("external_contact", "S1001", "FT01", given)
    name = Path(outcome.documents[0].path).name
    with as_staff("HT01").get(f"/documents/{name}") as seen:
        assert seen.status_code == 403  # she may, with her second factor (below)
    client = as_staff("OF01")
    assert client.get(f"/documents/{name}").status_code == 404
    assert client.get("/documents/..%2F..%2Fschool.yaml").status_code == 404
    assert client.get("/documents/liaison.sqlite3").status_code == 404


def test_open_a_case_from_the_page(as_staff: Callable[[str], Any], liaison: Liaison) -> None:
    client = as_staff("HY09")
    assert "Parent conduct escalation" in text(client.get("/open"))
    form = text(client.get("/open?workflow=conduct_escalation&student=S1004"))
    assert "Open the case" in form
    done = post(client, "/open", {"workflow": "conduct_escalation", "student": "S1004",
                                  "contact": "C2006", "incident_date": "2026-11-20",
                                  "severity": "concern",
                                  "incident_summary": "Shouted at reception"},
                form="/open?workflow=conduct_escalation&student=S1004")
    assert done.status_code == 302 and done.headers["Location"].startswith("/cases/CON-")


def test_open_a_case_finds_the_student_by_part_of_a_name(as_staff: Callable[[str], Any],
                                                          liaison: Liaison) -> None:
    """The student is found by name, not picked from every student of the school: each
    word typed narrows the matches (the page htmx swaps in, and Search without script),
    and the one chosen stays chosen while the name changes."""
    client = as_staff("HY09")
    empty = text(client.get("/open"))
    assert '<label for="q">Student\'s name</label>' in empty
    assert 'name="student"' not in empty  # no list of every student
    found = text(client.get("/open?workflow=conduct_escalation&q=brie&do=search"))
    radios = re.findall(r'<input type="radio" id="(student-\d+)" name="student" '
                        r'value="([^"]+)"', found)
    assert [v for _, v in radios] == ["S1004"]
    assert '<label for="student-1">O&#39;Brien, Liam (year' in found
    assert '<option value="conduct_escalation" selected>' in found  # kept while searching
    everyone = {v for _, v in re.findall(r'id="(student-\d+)" name="student" value="([^"]+)"',
                                         text(client.get("/open?q=e&do=search")))}
    narrowed = {v for _, v in re.findall(r'id="(student-\d+)" name="student" value="([^"]+)"',
                                         text(client.get("/open?q=e+li&do=search")))}
    assert narrowed and narrowed < everyone  # every word must match
    assert "No student's name has “zzqx” in it." in text(client.get("/open?q=zzqx&do=search"))
    kept = text(client.get("/open?q=zzqx&student=S1004&do=search"))
    assert 'value="S1004" checked' in kept
    missing = text(client.get("/open?q=brie&workflow=conduct_escalation&do=next"))
    assert "Choose a student first." in missing
    form = text(client.get("/open?workflow=conduct_escalation&q=brie&student=S1004&do=next"))
    assert "Open the case" in form and 'name="student" value="S1004"' in form


def test_the_student_cases_and_workflows_pages(as_staff: Callable[[str], Any],
                                               liaison: Liaison) -> None:
    case = open_conduct(liaison).case
    client = as_staff("OF01")
    student = text(client.get("/students/S1004"))
    assert "Contacts" in student and case in student
    assert case in text(client.get("/cases?workflow=conduct_escalation"))
    assert case not in text(client.get("/cases?workflow=query_routing"))
    assert "Parent conduct escalation" in text(client.get("/workflows"))
    assert client.get("/students/S9999").status_code == 404


def test_a_server_error_shows_a_reference_not_a_traceback(liaison: Liaison,
                                                          users: Users) -> None:
    app = create_app(liaison.school.root, liaison)

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("secret detail")

    with app.test_client() as c:
        sign_in(c, "OF01")
        response = c.get("/boom")
    assert response.status_code == 500
    assert "reference" in text(response) and "secret detail" not in text(response)
    assert "Traceback" not in text(response)


def test_a_session_idle_too_long_is_signed_out(liaison: Liaison, users: Users) -> None:
    app = create_app(liaison.school.root, liaison, idle_minutes=0)
    with app.test_client() as c:
        sign_in(c, "OF01")
        assert c.get("/").status_code == 302


def test_the_search_box_finds_a_student_by_name_or_goes_to_a_case_by_number(
        as_staff: Callable[[str], Any], liaison: Liaison) -> None:
    liam = open_conduct(liaison).case  # Liam O'Brien, S1004
    ethan = open_conduct(liaison, student="S1001", contact="C2001").case
    client = as_staff("HY09")
    found = text(client.get("/cases?q=o'brien"))
    assert liam in found and ethan not in found
    assert "Liam O&#39;Brien" in found  # the name shown, escaped
    both = text(client.get("/cases?q=liam+brien"))  # every word, in any order
    assert liam in both
    straight = client.get(f"/cases?q={ethan.lower()}")
    assert straight.status_code == 302 and straight.headers["Location"] == f"/cases/{ethan}"
    assert "0 cases, newest first." in text(client.get("/cases?q=nobody+called+this"))


def test_the_search_never_finds_a_case_one_may_not_see(as_staff: Callable[[str], Any],
                                                       liaison: Liaison) -> None:
    hidden = _restricted_case(liaison)
    office = as_staff("OF01")
    assert office.get(f"/cases?q={hidden}").status_code == 200  # no redirect to it
    assert hidden not in text(office.get("/cases?q=Ethan"))


def test_the_report_page_draws_each_indicator_by_month(as_staff: Callable[[str], Any],
                                                      liaison: Liaison) -> None:
    open_conduct(liaison)
    open_conduct(liaison, student="S1001", contact="C2001")
    client = as_staff("HT01")
    page = text(client.get("/report"))
    assert "<svg" in page and "<script>" not in page  # drawn on the server, no script
    month = liaison.clock().strftime("%b")
    # The chart's accessible name carries the numbers, as the table beside it does.
    assert "Incidents of disrespectful behaviour recorded by month:" in page
    assert f"{month} 2" in page
    assert "Incidents of disrespectful behaviour recorded: 2" in page
    assert "Site bans issued: 0" in page
    later = text(client.get("/report?from=2030-01-01&to=2030-02-01"))
    assert "Incidents of disrespectful behaviour recorded: 0" in later
    bad = client.get("/report?from=someday")
    assert bad.status_code == 400 and "&#39;someday&#39; is not a date" in text(bad)


def upload(client: Any, kind: str, data: bytes, name: str = "export.csv") -> Any:
    return client.post("/import", data={"csrf_token": token(client, "/import"), "kind": kind,
                                        "file": (BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_the_office_imports_the_mis_exports_from_the_page(as_staff: Callable[[str], Any],
                                                         liaison: Liaison) -> None:
    office = as_staff("OF01")
    assert "Import" in text(office.get("/"))
    students = b"id,first_name,last_name,year,form,house\nS9001,Ada,Lovelace,7,7P,Kestrel\n"
    done = upload(office, "students", students, "students.csv")
    assert done.status_code == 302
    assert "Imported 1 students from students.csv." in text(office.get("/import"))
    assert liaison.student("S9001").last_name == "Lovelace"


def test_a_bad_export_lists_each_bad_row_and_imports_nothing(as_staff: Callable[[str], Any],
                                                            liaison: Liaison) -> None:
    office = as_staff("OF01")
    before = snapshot(liaison)
    bad = (b"id,first_name,last_name,year,form,house\n"
           b"S9001,Ada,Lovelace,7,7P,Kestrel\n"
           b"S9002,,Turing,seven,7P,Kestrel\n"
           b"S9003,<b>Grace</b>,Hopper,8,8R,Heron\n"
           b"S9004,Alan,Hodges,15,7P,Kestrel\n")
    response = upload(office, "students", bad, "students.csv")
    page = text(response)
    assert response.status_code == 422 and "Nothing was imported" in page
    assert "students.csv:3:" in page and "students.csv:5:" in page
    assert "<b>Grace" not in page  # the file's text is escaped on the page
    assert snapshot(liaison) == before
    with pytest.raises(Exception, match="no student 'S9001'"):
        liaison.student("S9001")


def test_a_teacher_may_not_import(as_staff: Callable[[str], Any]) -> None:
    teacher = as_staff("HY09")
    assert "/import" not in text(teacher.get("/"))
    assert teacher.get("/import").status_code == 403


OPTIONS_EVENING = {"who": "year", "year": "9", "evening_date": "2026-12-10",
                   "start_time": "18:00", "end_time": "20:00", "venue": "the Main Hall",
                   "return_by": "2026-12-04"}


def send_letters(client: Any, template: str, data: dict[str, Any]) -> Any:
    path = f"/letters/{template}"
    return client.post(path, data={"csrf_token": token(client, path), **data},
                       content_type="multipart/form-data")


def sent_batch(client: Any, template: str, data: dict[str, Any]) -> Any:
    """Send a batch from the page and follow it to its page once its thread is done (the
    web process's own record of it says when: no clock)."""
    started = send_letters(client, template, {**data, "do": "send"})
    assert started.status_code == 303, text(started)
    where = started.headers["Location"]
    job = client.application.extensions["batches"][where.rsplit("/", 1)[-1]]
    assert job.finished.wait(60)
    return client.get(where)


def test_nsw_4_the_office_sends_a_letter_home_to_a_year_once(as_staff: Callable[[str], Any],
                                                            liaison: Liaison) -> None:
    office = as_staff("OF01")
    listed = text(office.get("/letters"))
    assert "Options evening" in listed and "conduct" not in listed  # batch letters only
    page = text(office.get("/letters/options_evening.docx"))
    assert 'type="date"' in page and 'type="time"' in page
    sent = sent_batch(office, "options_evening.docx", OPTIONS_EVENING)
    assert sent.status_code == 200, text(sent)
    assert "6 letters made for 5 students" in text(sent)
    assert "The letters of the batch (6)" in text(sent)  # each listed, to download
    assert text(sent).count('download>S1') == 6
    rows = [d for d in liaison.store.documents() if d["batch_key"]]
    assert len(rows) == 6 and {r["template"] for r in rows} == {"options_evening.docx"}
    mine = next(r for r in rows if r["recipient_id"] == "C2001")
    letter = "\n".join(p.text for p in Document(liaison.school.root / mine["path"]).paragraphs)
    assert "Dear Mrs Hughes" in letter and "Thursday 10 December 2026" in letter
    again = sent_batch(office, "options_evening.docx", OPTIONS_EVENING)
    assert "0 letters made" in text(again) and "6 made before in this batch" in text(again)


def test_a_preview_is_a_download_and_records_nothing(as_staff: Callable[[str], Any],
                                                     liaison: Liaison) -> None:
    office = as_staff("OF01")
    before = snapshot(liaison)
    got = send_letters(office, "options_evening.docx", {**OPTIONS_EVENING, "do": "preview"})
    assert got.status_code == 200
    assert "attachment" in got.headers["Content-Disposition"]
    letter = "\n".join(p.text for p in Document(BytesIO(got.data)).paragraphs)
    assert "Thursday 10 December 2026" in letter and "the Main Hall" in letter
    assert snapshot(liaison) == before


def test_a_praise_letter_to_an_uploaded_list_gives_each_student_their_own_words(
        as_staff: Callable[[str], Any], liaison: Liaison) -> None:
    office = as_staff("OF01")
    listed = b"id,achievement\nS1004,helping at the <Year 7> open evening & more\n"
    sent = sent_batch(office, "praise_letter.docx", {
        "who": "list", "students": (BytesIO(listed), "praise.csv"), "term": "autumn"})
    assert sent.status_code == 200, text(sent)
    rows = [d for d in liaison.store.documents() if d["batch_key"]]
    assert {r["student_id"] for r in rows} == {"S1004"}
    letter = "\n".join(p.text for p in Document(liaison.school.root / rows[0]["path"])
                        .paragraphs)
    assert "Helping at the <Year 7> open evening & more." in letter


def test_a_letter_home_with_a_field_missing_or_by_a_tutor_sends_nothing(
        as_staff: Callable[[str], Any], liaison: Liaison) -> None:
    office = as_staff("OF01")
    missing = send_letters(office, "options_evening.docx",
                           {**OPTIONS_EVENING, "venue": "", "do": "send"})
    assert missing.status_code == 422 and "Nothing was sent" in text(missing)
    assert "fill in venue: the letter prints it" in text(missing)
    assert 'value="the Main Hall"' not in text(missing) and 'value="2026-12-10"' in text(missing)
    nobody = send_letters(office, "options_evening.docx", {**OPTIONS_EVENING, "who": "",
                                                           "do": "send"})
    assert "say whom the letters are for" in text(nobody)
    tutor = as_staff("FT01")
    refused = send_letters(tutor, "options_evening.docx", {**OPTIONS_EVENING, "do": "send"})
    assert refused.status_code == 422 and "may not send batch letters" in text(refused)
    assert not [d for d in liaison.store.documents() if d["batch_key"]]
    assert office.get("/letters/conduct_formal_warning.docx").status_code == 400


def test_a_workflow_page_shows_its_diagram_steps_and_clauses(as_staff: Callable[[str], Any]
                                                            ) -> None:
    client = as_staff("HY09")
    assert 'href="/workflows/home_visit"' in text(client.get("/workflows"))
    response = client.get("/workflows/home_visit")
    page = text(response)
    assert response.status_code == 200
    assert '<pre class="mermaid"' in page and "stateDiagram-v2" in page
    assert "/static/vendor/mermaid-11.17.2.min.js" in page  # vendored, no CDN
    assert "BEM-" in page and "Who may" in page
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "style-src 'self' 'unsafe-inline'" in policy
    assert "'unsafe-inline'" not in client.get("/").headers["Content-Security-Policy"]
    assert client.get("/workflows/no_such_workflow").status_code == 404
    with client.get("/static/vendor/mermaid-11.17.2.min.js") as script:
        assert script.status_code == 200


def with_code(client: Any, users: Users, liaison: Liaison, staff: str) -> Any:
    """``staff`` signed in with a second factor, enrolled now."""
    secret = users.enrol_second_factor(staff).as_json()["secret"]
    client.post("/sign-out", data={"csrf_token": token(client, "/sign-in")})
    assert sign_in(client, staff).headers["Location"].startswith("/sign-in/code")
    code = totp.code(secret, totp.step_of(liaison.clock().timestamp()))
    assert post(client, "/sign-in/code", {"code": code}).status_code == 302
    return client


def test_cla_3_a_restricted_case_asks_for_the_second_factor_first(
        as_staff: Callable[[str], Any], users: Users, liaison: Liaison) -> None:
    restricted = _restricted_case(liaison)
    document = Path(liaison.documents("HT01", case=restricted).items[0].path).name
    head = as_staff("HT01")  # she may read disclosures, but signed in with a password only
    for path in (f"/cases/{restricted}", f"/documents/{document}",
                 f"/cases/{restricted}/events/decide"):
        refused = head.get(path)
        assert refused.status_code == 403, path
        assert "needs your second factor" in text(refused)
    assert not liaison.reads_of(restricted, "HT01").items  # refused: nothing was shown
    with_code(head, users, liaison, "HT01")
    page = text(head.get(f"/cases/{restricted}"))
    assert "Who has read this case" in page
    with head.get(f"/documents/{document}") as download:
        assert download.status_code == 200
    reads = liaison.reads_of(restricted, "HT01").as_json()
    assert [(r["staff"], r["what"], r["door"]) for r in reads] == [
        ("HT01", "the case", "web"), ("HT01", document, "web")]
    # Someone who may not see it learns nothing of a second factor: the same 404.
    assert as_staff("OF01").get(f"/cases/{restricted}").status_code == 404


def test_cla_3_reading_a_restricted_case_is_written_down_and_an_ordinary_one_is_not(
        school_cli: Callable[..., Any], liaison: Liaison) -> None:
    restricted = _restricted_case(liaison)
    assert school_cli("show", restricted, "--as", "HT01").code == 0
    assert school_cli("history", restricted, "--as", "HT01").code == 0
    readers = school_cli("readers", restricted, "--as", "HT01", "--json").json()
    assert [(r["staff"], r["what"], r["door"]) for r in readers][-2:] == [
        ("HT01", "the case", "cli"), ("HT01", "its history", "cli")]
    assert all(r["at"] for r in readers)
    hidden = school_cli("readers", restricted, "--as", "OF01")
    assert hidden.code != 0 and f"no case '{restricted}'" in hidden.err
    ordinary = open_conduct(liaison).case
    assert school_cli("show", ordinary, "--as", "HY09").code == 0
    assert school_cli("readers", ordinary, "--as", "HY09", "--json").json() == []


def _restricted_case(liaison: Liaison) -> str:
    """A disclosure of contact outside school by FT01 (CLA-3: restricted)."""
    given = {"summary": ["I tutor a cousin at weekends"], "on_school_business": ["no"],
             "contact": ["C2001"]}
    return liaison.open("external_contact", "S1001", "FT01", given).case


# ---------------------------------------------------------------------- the commands

def test_users_password_reads_standard_input_and_lists_who_has_one(
        school_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    done = school_cli("users", "password", "OF01")
    assert done.code == 0 and "password set for OF01" in done.out
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    refused = school_cli("users", "password", "HY09")
    assert refused.code == 1 and "at least 10 characters" in refused.err
    rows = {r["staff"]: r for r in school_cli("users", "list", "--json").json()}
    assert rows["OF01"]["password"] and not rows["HY09"]["password"]
    assert not rows["OF01"]["second_factor"] and rows["OF01"]["locked_until"] is None


def test_users_second_factor_prints_its_otpauth_uri(school_cli: Callable[..., Any]) -> None:
    enrolled = school_cli("users", "second-factor", "HT01", "--json").json()
    assert set(enrolled) == {"secret", "uri"}
    assert enrolled["uri"].startswith("otpauth://totp/")
    assert f"secret={enrolled['secret']}" in enrolled["uri"]
    rows = {r["staff"]: r for r in school_cli("users", "list", "--json").json()}
    assert rows["HT01"]["second_factor"]
    assert school_cli("users", "second-factor", "ZZ99").code == 1


# ---------------------------------------------------------------------- a batch's progress

def test_a_batch_in_progress_shows_a_progress_bar_polled_with_htmx(
        client: Any, as_staff: Callable[[str], Any]) -> None:
    """The page of a batch still being made: a labelled <progress>, the words for it, htmx
    asking again every second, and a plain link to do so without script; another member
    of staff's batch is not found."""
    from engine.web.letters_home import Job

    office = as_staff("OF01")
    client.application.extensions["batches"]["J1"] = Job("J1", "OF01", "praise_letter.docx",
                                                         done=3, total=10, started=True)
    page = text(office.get("/letters/batches/J1"))
    assert '<label for="batch-bar">Students whose letters are made</label>' in page
    assert '<progress id="batch-bar" max="10" value="3">3 of 10</progress>' in page
    assert "3 of 10 students done." in page
    assert 'hx-trigger="every 1s"' in page and '>Check again</a>' in page
    assert office.get("/letters/batches/NOPE").status_code == 404
    assert as_staff("HY09").get("/letters/batches/J1").status_code == 404  # not theirs


def test_a_batch_that_stopped_says_why_and_what_to_do(client: Any,
                                                     as_staff: Callable[[str], Any]) -> None:
    """A batch stopped by a letter that could not be made: its page says why, that the
    students before it are whole, and to send it again; no progress bar, no polling."""
    from engine.web.letters_home import Job

    office = as_staff("OF01")
    job = Job("J2", "OF01", "praise_letter.docx", done=4, total=10, started=True,
              error="student S1004: the letter could not be made")
    job.finished.set()
    client.application.extensions["batches"]["J2"] = job
    page = text(office.get("/letters/batches/J2"))
    assert "The batch stopped" in page and "student S1004: the letter could not be made" in page
    assert "Send the same letter again" in page
    assert "<progress" not in page and "hx-trigger" not in page


LIBREOFFICE = pytest.mark.skipif(not (__import__("shutil").which("soffice")
                                      or __import__("shutil").which("libreoffice")),
                                 reason="LibreOffice is not installed")


@LIBREOFFICE
@pytest.mark.sqlite_only  # test_outbox.configure leaves a store open (as delivery's tests)
def test_the_office_makes_and_downloads_the_print_pack_and_each_is_recorded(
        client: Any, as_staff: Callable[[str], Any], liaison: Liaison, school: Path) -> None:
    """The print pack of `liaison post` on the page: senders only, who made it and each
    download written down (who, door, when); a name not of a pack made is not found."""
    from test_outbox import configure

    from engine.store.packs import PackAudit

    configure(school, 2525, extra="  send: [post]\n", engine=liaison)
    office = as_staff("OF01")
    sent_batch(office, "praise_letter.docx", {"who": "year", "year": "7",
                                              "term": "autumn", "achievement": "Fine work"})
    assert ">Make today's print pack</button>" in text(office.get("/letters"))
    made = post(office, "/letters/print-pack", {}, form="/letters")
    assert made.status_code == 303
    listed = text(office.get("/letters"))
    assert "print pack cases/packs/pack-" in listed  # what liaison post says, flashed
    name = re.search(r'href="/letters/packs/(pack-[^"]+\.pdf)"', listed).group(1)
    got = office.get(f"/letters/packs/{name}")
    data = got.data
    got.close()
    assert got.status_code == 200 and data.startswith(b"%PDF")
    assert got.headers["Content-Type"] == "application/pdf"
    rows = [(r["action"], r["staff_id"], r["door"]) for r in PackAudit(liaison.store).rows()]
    assert rows == [("made", "OF01", "web"), ("downloaded", "OF01", "web")]
    assert ">1</td></tr>" in text(office.get("/letters"))  # downloaded once
    assert office.get("/letters/packs/..%2Fliaison.sqlite3").status_code == 404
    assert office.get("/letters/packs/pack-2020-01-01-000000.pdf").status_code == 404
    tutor = as_staff("FT01")
    assert tutor.get(f"/letters/packs/{name}").status_code == 403
    assert "print pack" not in text(tutor.get("/letters"))
    assert post(tutor, "/letters/print-pack", {}, form="/letters").status_code == 403
    assert len(PackAudit(liaison.store).rows()) == 2  # refusals record nothing
