"""Letters that reach people (issue 12): the outbox, and email to a real SMTP server.

The server is aiosmtpd's Controller on 127.0.0.1, in the test process; the worker is the
real ``liaison deliver`` (in-process, or a child process where it is killed). Received
messages are parsed back, the PDF attachment read with pdftotext. PWP-5.2 and PWP-5.3
promise written replies; HSP-5 a ban letter that reaches the parent; PWP-3.6 and a
barred contact (correspondence none) decide who may be written to; PWP-5.6 offers an
interpreter.
"""

from __future__ import annotations

import email
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from email.message import Message
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from conftest import DATABASE, POSTGRESQL, Run
from test_outbox import configure, set_contact

from engine.service.liaison import Liaison
from engine.service.sources import open_school

Cli = Callable[..., Run]
needs_soffice = pytest.mark.skipif(not (shutil.which("soffice") or shutil.which("libreoffice")),
                                   reason="LibreOffice is not installed")
PRAISE = ["--set", "term=the Autumn term 2026",
          "--set", "achievement=A fine term of work."]
ROOT = Path(__file__).resolve().parent.parent


class Server:
    """What the test SMTP server received, and how it answers."""

    def __init__(self) -> None:
        self.received: list[Message] = []
        self.envelopes: list[list[str]] = []
        self.refuse = ""  # an SMTP reply to DATA instead of 250, e.g. "550 ..."
        self.drop = 0  # drop the connection at the next N messages
        self.kill_at = 0  # SIGKILL ``worker`` when the Nth message arrives
        self.worker: int | None = None
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return self.refuse
        if self.drop:
            self.drop -= 1
            server.transport.close()
            return "421 closing"
        with self.lock:
            self.received.append(email.message_from_bytes(envelope.content,
                                                          policy=default_policy))
            self.envelopes.append(list(envelope.rcpt_tos))
            if self.kill_at and len(self.received) == self.kill_at and self.worker:
                os.kill(self.worker, signal.SIGKILL)  # after taking it, before the 250
        return "250 OK"

    def ids(self) -> list[str]:
        return [str(m["Message-ID"]).strip() for m in self.received]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Server, int]]:
    server, port = Server(), free_port()
    controller = Controller(server, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield server, port
    finally:
        controller.stop()


def outbox(school_cli: Cli, actor: str = "OF01") -> list[dict[str, Any]]:
    run = school_cli("outbox", "--as", actor, "--json")
    assert run.code == 0, run.err
    return list(run.json())


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "attached.pdf"
    path.write_bytes(data)
    done = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True)
    return " ".join(done.stdout.split())


# ---------------------------------------------------------------------- email


def _batch(school_cli: Cli, year: str = "7") -> int:
    run = school_cli("letters", "batch", "praise_letter", "--as", "OF01", "--year", year,
                     *PRAISE, "--json")
    assert run.code == 0, run.err
    return int(run.json()["made"])


@pytest.fixture
def conduct_queued(school_cli: Cli, liaison: Liaison, school: Path,
                   smtp: tuple[Server, int]) -> str:
    """A conduct case whose meeting letter to Mrs O'Brien (C2006) is queued."""
    from conftest import open_conduct

    configure(school, smtp[1], engine=liaison)
    case = open_conduct(liaison).case
    liaison.advance(case, "request_meeting", "OF01",
                    {"meeting_at": ["2026-11-26T15:30"], "with_staff": ["HY09"]})
    return case


@needs_soffice
def test_an_email_carries_the_letter_as_a_pdf_and_names_only_school_student_subject(
        school_cli: Cli, conduct_queued: str, smtp: tuple[Server, int],
        tmp_path: Path) -> None:
    server, _ = smtp
    run = school_cli("deliver", "--once", "--json")
    assert run.code == 0, run.err
    assert run.json()["sent"] == 1
    (message,) = server.received
    assert server.envelopes == [["zoe.obrien@example.com"]]
    assert message["To"] == "zoe.obrien@example.com"
    assert message["Reply-To"] == "office@hillcrest-academy.example.org"
    assert message["Subject"].startswith("Hillcrest Academy: ")
    assert "Liam O'Brien" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    assert "Hillcrest Academy has sent you a letter about Liam O'Brien" in text
    assert "Shouted" not in text and "Mill Lane" not in text and "Zoë" not in text
    assert "interpreter" not in text  # Mrs O'Brien's language is English
    assert message.get_body(("html",)) is not None
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "conduct_meeting_request.pdf"
    if shutil.which("pdftotext"):
        body = pdf_text(attachment.get_content(), tmp_path)
        assert "Mrs Zoë O'Brien" in body and "Mill Lane" in body
    (row,) = outbox(school_cli)
    assert (row["status"], row["attempts"]) == ("sent", 1)
    history = school_cli("history", conduct_queued, "--as", "OF01", "--json").json()
    steps = [h["delivery"] for h in history if "delivery" in h]
    assert steps == ["queued", "sending", "sent"]
    assert any("emailed to zoe.obrien@example.com" in h.get("detail", "") for h in history)


@needs_soffice
def test_a_second_run_sends_nothing_again(school_cli: Cli, conduct_queued: str,
                                          smtp: tuple[Server, int]) -> None:
    assert school_cli("deliver", "--once").code == 0
    assert school_cli("deliver", "--once").code == 0
    assert len(smtp[0].received) == 1


@needs_soffice
def test_a_server_that_refuses_fails_the_letter_and_the_due_list_says_so(
        school_cli: Cli, conduct_queued: str, smtp: tuple[Server, int]) -> None:
    server, _ = smtp
    server.refuse = "550 5.1.1 Mailbox unavailable"
    run = school_cli("deliver", "--once", "--json")
    assert run.code == 0, run.err
    assert run.json()["failed"] == 1
    (row,) = outbox(school_cli)
    assert row["status"] == "failed"
    assert "550" in row["error"] and "Mailbox unavailable" in row["error"]
    history = school_cli("history", conduct_queued, "--as", "OF01", "--json").json()
    assert any(h.get("detail") == "failed: 5.1.1 Mailbox unavailable (1st attempt)"
               for h in history)
    due = school_cli("due", "--as", "OF01", "--all", "--json").json()
    letters = [d for d in due if d["deadline"] == "letter"]
    assert letters and letters[0]["case"] == conduct_queued
    assert "not sent" in letters[0]["title"]


@needs_soffice
def test_a_dropped_connection_is_tried_again_later_with_back_off(
        liaison: Liaison, conduct_queued: str, smtp: tuple[Server, int], clock: Any) -> None:
    import datetime as dt

    from engine.service.outbox import deliver_queued
    from engine.store.outbox import Outbox

    server, _ = smtp
    server.drop = 2
    assert deliver_queued(liaison).retrying == 1
    (row,) = Outbox(liaison.store).rows()
    assert (row["status"], row["attempts"]) == ("queued", 1)
    first = dt.datetime.fromisoformat(row["next_at"]) - clock.now
    assert deliver_queued(liaison).retrying == 0  # not due yet: nothing tried
    clock.now += first
    assert deliver_queued(liaison).retrying == 1
    (row,) = Outbox(liaison.store).rows()
    assert dt.datetime.fromisoformat(row["next_at"]) - clock.now == 2 * first  # back-off
    clock.now += 2 * first
    assert deliver_queued(liaison).sent == 1
    assert len(server.received) == 1
    (row,) = Outbox(liaison.store).rows()
    assert (row["status"], row["attempts"]) == ("sent", 3)


# ---------------------------------------------------------------------- checks at send time


@needs_soffice
def test_a_contact_barred_after_the_letter_was_made_gets_nothing(
        school_cli: Cli, liaison: Liaison, school: Path, conduct_queued: str,
        smtp: tuple[Server, int]) -> None:
    set_contact(liaison, school, "C2006", correspondence="none")
    run = school_cli("deliver", "--once", "--json")
    assert run.code == 0, run.err
    assert run.json()["withheld"] == 1
    assert smtp[0].received == []
    (row,) = outbox(school_cli)
    assert row["status"] == "withheld"


@needs_soffice
def test_a_contact_whose_email_was_removed_is_not_emailed(
        school_cli: Cli, liaison: Liaison, school: Path, conduct_queued: str,
        smtp: tuple[Server, int]) -> None:
    set_contact(liaison, school, "C2006", email="")
    run = school_cli("deliver", "--once", "--json")
    assert run.code == 0, run.err
    assert smtp[0].received == []
    (row,) = outbox(school_cli)
    assert (row["status"], row["error"]) == ("failed", "no email address on record")


@needs_soffice
def test_a_changed_email_goes_to_the_contacts_own_address_now(
        school_cli: Cli, liaison: Liaison, school: Path, conduct_queued: str,
        smtp: tuple[Server, int]) -> None:
    set_contact(liaison, school, "C2006", email="zoe.new@example.net")
    run = school_cli("deliver", "--once", "--json")
    assert run.code == 0, run.err
    assert smtp[0].envelopes == [["zoe.new@example.net"]]
    history = school_cli("history", conduct_queued, "--as", "OF01", "--json").json()
    assert any(h.get("detail") == "emailed to zoe.new@example.net (the address changed "
               "since the letter was made)" for h in history)


@needs_soffice
def test_another_familys_address_is_never_written_to(
        school_cli: Cli, liaison: Liaison, school: Path, conduct_queued: str,
        smtp: tuple[Server, int]) -> None:
    set_contact(liaison, school, "C2006", email="sarah.hughes@example.com")  # C2001's
    run = school_cli("deliver", "--once", "--json")
    assert run.code == 0, run.err
    assert smtp[0].received == []
    (row,) = outbox(school_cli)
    assert row["status"] == "failed" and "another family" in row["error"]


def test_pwp_5_6_an_interpreter_is_offered_in_the_email_where_the_language_is_not_english() -> None:
    from engine.core.sending import mail

    parts = mail("Hillcrest Academy", "01632 960410", "Zofia Nowak", "Praise letter",
                 "a.nowak@example.com", "praise_letter.pdf", "Polish")
    assert "interpreter (Polish)" in parts.text and "01632 960410" in parts.text
    assert "interpreter" not in mail("H", "", "S", "X", "t@e", "x.pdf").text


# ---------------------------------------------------------------------- the outbox


def test_outbox_is_role_gated_and_hides_restricted_cases(
        school_cli: Cli, liaison: Liaison, school: Path) -> None:
    from conftest import ONE_STEP_FIELDS, one_step_workflow, open_conduct

    one_step_workflow(school, "private_letter", "A letter seen by the head alone",
                      ["conduct_resolution.docx to contacts"])
    path = school / "workflows" / "private_letter.yaml"
    path.write_text(path.read_text(encoding="utf-8")
                    + "visible_to: {roles: [headteacher], opener: true}\n", encoding="utf-8")
    configure(school, 2525, engine=liaison)
    liaison.school = open_school(school)
    case = open_conduct(liaison).case
    liaison.advance(case, "request_meeting", "OF01",
                    {"meeting_at": ["2026-11-26T15:30"], "with_staff": ["HY09"]})
    hidden = liaison.open("private_letter", "S1001", "OF01", ONE_STEP_FIELDS).case
    assert [i["case"] for i in outbox(school_cli, "HY09")] == [case]  # HY09 holds it
    assert outbox(school_cli, "ST01") == []  # a teacher who neither holds nor manages it
    assert {i["case"] for i in outbox(school_cli, "HT01")} == {case, hidden}
    assert {i["case"] for i in outbox(school_cli, "VP02")} == {case}  # restricted: unseen
    run = school_cli("outbox", "--as", "NOBODY")
    assert run.code == 1 and run.err.startswith("error: unknown member of staff")


# ---------------------------------------------------------------------- a killed worker


@needs_soffice
@pytest.mark.slow
def test_a_worker_killed_between_send_and_record_never_sends_twice(
        school_cli: Cli, liaison: Liaison, school: Path, smtp: tuple[Server, int]) -> None:
    server, port = smtp
    configure(school, port)
    made = _batch(school_cli)
    assert made >= 4
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "engine.cli.main", "deliver", "--once", "--school",
               str(school)]
    worker = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    server.worker, server.kill_at = worker.pid, 2
    _, said = worker.communicate(timeout=300)
    assert worker.returncode == -signal.SIGKILL, said.decode()
    assert len(server.received) == 2
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300,
                           check=False)
    assert again.returncode == 0, again.stderr
    ids = server.ids()
    rows = outbox(school_cli)
    assert len(rows) >= made  # a joint letter goes to each parent's address
    assert len(ids) == len(set(ids)) == len(rows)  # every letter arrived, each exactly once
    assert [r["status"] for r in rows].count("sent") == len(rows) - 1
    (unsure,) = [r for r in rows if r["status"] == "unknown"]  # the one the kill cut off
    assert "stopped" in unsure["error"]
    assert POSTGRESQL or (school / DATABASE).exists()


# ---------------------------------------------------------------------- post


@needs_soffice
@pytest.mark.slow
def test_a_print_pack_holds_the_post_in_postcode_order_behind_a_cover_sheet(
        school_cli: Cli, liaison: Liaison, school: Path, tmp_path: Path) -> None:
    import datetime as dt

    from engine.core.sending import deemed_received

    configure(school, 2525, extra="  send: [post]\n")
    set_contact(liaison, school, "C2023", correspondence="none")  # after this: no letter
    made = _batch(school_cli)
    set_contact(liaison, school, "C2013", correspondence="none")  # barred since it was made
    run = school_cli("post", "--as", "ST01")
    assert run.code == 1 and "may not make a print pack" in run.err
    run = school_cli("post", "--as", "OF01", "--json")
    assert run.code == 0, run.err
    done = run.json()
    assert (done["letters"], done["withheld"]) == (made - 1, 1)
    pack = school / done["pack"]
    assert hashlib.sha256(pack.read_bytes()).hexdigest() == done["sha256"]
    calendar = liaison.school.calendar
    today = dt.date.today()
    assert done["received_on"] == deemed_received(
        today, lambda d: calendar.day_kind(d)[0] == "bank_holiday").isoformat()
    if shutil.which("pdftotext"):
        text = pdf_text(pack.read_bytes(), tmp_path)
        cover = text[:text.index("letter(s).")]
        places = [cover.index(p) for p in ("MB4 8AX", "MB6 2UX", "MB6 8AT", "MB7 1RP")]
        assert places == sorted(places)  # postcode order
        assert "Mensah" not in text  # withheld: barred after the letter was made
    rows = outbox(school_cli)
    assert sorted(r["status"] for r in rows) == ["posted"] * (made - 1) + ["withheld"]
    with liaison.store.reads() as r:
        pdf_rows = r.conn.exec_driver_sql("SELECT p.sha256, p.docx_sha256, d.sha256, p.path "
                                          "FROM pdfs p JOIN documents d "
                                          "ON d.id = p.document_id").all()
    assert len(pdf_rows) == made - 1
    for sha, docx_sha, document_sha, path in pdf_rows:
        assert docx_sha == document_sha
        assert hashlib.sha256((school / path).read_bytes()).hexdigest() == sha
    assert school_cli("post", "--as", "OF01").out.startswith("nothing to post")


def test_exc_6_a_posted_letter_is_deemed_received_on_the_second_working_day() -> None:
    import datetime as dt

    from engine.core.sending import deemed_received

    bank = {dt.date(2026, 12, 25), dt.date(2026, 12, 28)}
    assert deemed_received(dt.date(2026, 12, 3), bank.__contains__) == dt.date(2026, 12, 7)
    assert deemed_received(dt.date(2026, 12, 18), bank.__contains__) == dt.date(2026, 12, 22)
    assert deemed_received(dt.date(2026, 12, 23), bank.__contains__) == dt.date(2026, 12, 29)


@needs_soffice
def test_pwp_4_3_a_case_marked_child_protection_after_its_letter_was_queued_sends_nothing(
        school_cli: Cli, liaison: Liaison, conduct_queued: str,
        smtp: tuple[Server, int]) -> None:
    liaison.mark_child_protection(conduct_queued, "HT01", "A disclosure made today")
    run = school_cli("deliver", "--once", "--json")
    assert run.code == 0, run.err
    assert run.json()["withheld"] == 1
    assert smtp[0].received == []
    (row,) = outbox(school_cli)
    assert row["status"] == "withheld"


@needs_soffice
def test_pwp_5_2_a_deadline_met_by_a_letter_counts_from_when_the_letter_left(
        liaison: Liaison, school: Path, smtp: tuple[Server, int], clock: Any) -> None:
    import datetime as dt

    from test_query_routing import open_query

    from engine.service.outbox import deliver_queued

    configure(school, smtp[1], engine=liaison)
    case = open_query(liaison).case
    clock.now += dt.timedelta(hours=1)
    acknowledged = clock.now
    liaison.advance(case, "acknowledge", "OF01", {})
    clock.now += dt.timedelta(days=1)  # the letter leaves a day later
    assert deliver_queued(liaison).sent == 1
    (met,) = [d for d in liaison.store.deadlines(case) if d["name"] == "acknowledge_by"]
    assert met["status"] == "met"
    assert met["met_at"] == clock.now.isoformat(timespec="seconds") != \
        acknowledged.isoformat(timespec="seconds")


# ---------------------------------------------------------------------- the audit trail


def _tamper(liaison: Liaison, sql: str) -> None:
    """Change a letter's way out behind the engine's back (as someone with the database's
    password could), on either store."""
    with liaison.store.writing() as conn:
        conn.exec_driver_sql(sql)


@needs_soffice
@pytest.mark.parametrize(("sql", "found"), [
    ("UPDATE outbox_history SET detail = 'emailed to someone@else.example' "
     "WHERE status = 'sent'", "('sent') does not match its hash"),
    ("UPDATE outbox_history SET at = '2026-11-20T09:00:00' WHERE status = 'sent'",
     "('sent') does not match its hash"),
    ("DELETE FROM outbox_history WHERE status = 'sending'",
     "('sent') does not match its hash: it was changed, or one before it removed"),
    ("DELETE FROM outbox_history WHERE status = 'sent'",
     "says 'sent' after 1 attempt(s) but its way out ends in 'sending' after 1"),
    ("DELETE FROM outbox_history", "has no history of its way out (it was deleted)"),
])
def test_a_letters_way_out_is_in_the_audit_trail_and_an_edit_or_removal_is_found(
        school_cli: Cli, liaison: Liaison, conduct_queued: str, smtp: tuple[Server, int],
        sql: str, found: str) -> None:
    assert school_cli("deliver", "--once").code == 0
    run = school_cli("audit", "verify", "--as", "HT01")
    assert run.code == 0, run.err
    assert "1 letters' ways out hold" in run.out
    assert school_cli("audit", "verify", "--as", "HT01", "--json").json()["letters"] == 1
    _tamper(liaison, sql)
    for args in ((), ("--case", conduct_queued)):
        run = school_cli("audit", "verify", "--as", "HT01", *args)
        assert (run.code, run.out) == (1, ""), run.out
        assert run.err.startswith(f"error: audit: {conduct_queued}: letter "), run.err
        assert found in run.err and len(run.err.splitlines()) == 1


@needs_soffice
def test_exc_6_the_review_deadline_runs_from_the_deemed_receipt_of_the_letter_as_posted(
        school_cli: Cli, liaison: Liaison, school: Path, clock: Any) -> None:
    """The board's decision is dated as posted on Wednesday 28 April 2027 (the letter says
    received Friday 30 April, review by Monday 24 May), but the print pack goes a week
    later, Wednesday 5 May: deemed received Friday 7 May, so the parents have until 15
    school days after that; the letter's way out says so and the due list shows it."""
    import datetime as dt

    from test_exclusion import SUSPENSION

    from engine.service.post import print_pack

    configure(school, 2525, extra="  send: [post]\n", engine=liaison)
    clock.now = dt.datetime(2027, 4, 12, 15)
    case = liaison.open("exclusion", "S1001", "HT01",
                        {**SUSPENSION, "kind": ["permanent"], "start_on": ["2027-04-13"]}).case
    print_pack(liaison, "OF01")  # the notice of the exclusion itself goes first
    clock.now = dt.datetime(2027, 4, 28, 16)
    liaison.advance(case, "board_upholds", "OF01", {
        "board_met_on": ["2027-04-27"], "decision_reasons": ["The exclusion was lawful"],
        "posted_on": ["2027-04-28"], "review_panel_to": ["Westshire Council"]})
    review = {d["name"]: d["due_on"] for d in liaison.store.deadlines(case)}["review_request"]
    assert review == "2027-05-24"
    clock.now = dt.datetime(2027, 5, 5, 16)
    done = print_pack(liaison, "OF01").as_json()
    assert done["received_on"] == "2027-05-07"
    later = liaison.school.calendar.add_school_days(dt.date(2027, 5, 7), 15).isoformat()
    assert later > review
    deadlines = {d["name"]: (d["due_on"], d["status"]) for d in liaison.store.deadlines(case)}
    assert deadlines["review_request"] == (later, "open")
    history = school_cli("history", case, "--as", "HT01", "--json").json()
    moved = [h["detail"] for h in history if "school days from receipt" in h.get("detail", "")]
    assert moved and all(f"{dt.date.fromisoformat(later):%A %-d %B %Y} (15 school days from "
                         "receipt, EXC-6)" in m for m in moved)
    assert liaison.store.verify(school).letters >= 2  # the moves are in the chained history


# ---------------------------------------------------------------------- bounce reports


def dsn(returned: Message, recipient: str, action: str = "failed",
        status: str = "5.1.1") -> bytes:
    """A delivery status notification (RFC 3464) as Postfix writes one: the notice, the
    report, and the returned message's headers."""
    headers = "".join(f"{k}: {v}\r\n" for k, v in returned.items())
    return (
        "Return-Path: <>\r\n"
        "From: MAILER-DAEMON@mx.example.com (Mail Delivery System)\r\n"
        "To: letters@hillcrest-academy.example.org\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Date: Mon, 23 Nov 2026 09:05:00 +0000\r\n"
        "Message-ID: <20261123090500.4F1C21A2B3@mx.example.com>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=delivery-status;\r\n"
        '\tboundary="4F1C21A2B3.1764000000/mx.example.com"\r\n'
        "Auto-Submitted: auto-replied\r\n\r\n"
        "This is a MIME-encapsulated message.\r\n\r\n"
        "--4F1C21A2B3.1764000000/mx.example.com\r\n"
        "Content-Description: Notification\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
        "This is the mail system at host mx.example.com.\r\n\r\n"
        "I'm sorry to have to inform you that your message could not\r\n"
        "be delivered to one or more recipients.\r\n\r\n"
        "--4F1C21A2B3.1764000000/mx.example.com\r\n"
        "Content-Description: Delivery report\r\n"
        "Content-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.com\r\n"
        "X-Postfix-Queue-ID: 4F1C21A2B3\r\n"
        "Arrival-Date: Mon, 23 Nov 2026 09:00:01 +0000 (GMT)\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        f"Original-Recipient: rfc822;{recipient}\r\n"
        f"Action: {action}\r\n"
        f"Status: {status}\r\n"
        "Remote-MTA: dns; mail.example.com\r\n"
        f"Diagnostic-Code: smtp; 550 {status} <{recipient}>: Recipient address\r\n"
        "    rejected: User unknown in virtual mailbox table\r\n\r\n"
        "--4F1C21A2B3.1764000000/mx.example.com\r\n"
        "Content-Description: Undelivered Message Headers\r\n"
        "Content-Type: text/rfc822-headers\r\n\r\n"
        f"{headers}\r\n"
        "--4F1C21A2B3.1764000000/mx.example.com--\r\n").encode()


def maildir_of(tmp_path: Path, *messages: bytes) -> Path:
    import mailbox

    box = mailbox.Maildir(tmp_path / "bounces", create=True)
    for data in messages:
        box.add(data)
    return tmp_path / "bounces"


@needs_soffice
def test_a_bounce_report_marks_the_letter_bounced_in_its_history_and_on_the_due_list(
        school_cli: Cli, liaison: Liaison, conduct_queued: str, smtp: tuple[Server, int],
        tmp_path: Path) -> None:
    from engine.service.due import due_count

    assert school_cli("deliver", "--once").code == 0
    (sent,) = smtp[0].received
    before = due_count(liaison, "HY09", liaison.clock())
    folder = maildir_of(tmp_path, dsn(sent, "zoe.obrien@example.com"))
    run = school_cli("bounces", folder, "--json")
    assert run.code == 0, run.err
    assert {k: run.json()[k] for k in ("reports", "bounced", "already", "not_ours")} == \
        {"reports": 1, "bounced": 1, "already": 0, "not_ours": 0}
    assert "zoe.obrien" not in school_cli("bounces", folder).out  # no address printed
    (row,) = outbox(school_cli)
    assert row["status"] == "bounced" and "5.1.1" in row["error"]
    history = school_cli("history", conduct_queued, "--as", "OF01", "--json").json()
    assert [h["delivery"] for h in history if "delivery" in h] == \
        ["queued", "sending", "sent", "bounced"]
    assert any(h.get("detail", "").startswith("bounced: 550 5.1.1 <zoe.obrien@example.com>: "
                                              "Recipient address rejected")
               and "(reported by mx.example.com)" in h["detail"] for h in history)
    due = school_cli("due", "--as", "HY09", "--json").json()
    (letter,) = [d for d in due if d["deadline"] == "letter"]
    assert letter["case"] == conduct_queued and "bounced" in letter["title"]
    assert due_count(liaison, "HY09", liaison.clock()) == before + 1 == len(due)
    again = school_cli("bounces", folder, "--json").json()  # read twice: nothing new
    assert (again["bounced"], again["already"]) == (0, 1)
    assert school_cli("audit", "verify", "--as", "HT01").code == 0


@needs_soffice
def test_the_worker_reads_the_bounce_maildir_once_and_ignores_delays_and_strangers(
        school_cli: Cli, liaison: Liaison, school: Path, conduct_queued: str,
        smtp: tuple[Server, int], tmp_path: Path) -> None:
    import mailbox

    assert school_cli("deliver", "--once").code == 0
    (sent,) = smtp[0].received
    stranger = email.message_from_bytes(b"Message-ID: <someone.else@example.org>\r\n\r\n",
                                        policy=default_policy)
    folder = maildir_of(tmp_path, dsn(sent, "zoe.obrien@example.com", action="delayed",
                                      status="4.4.1"),
                        dsn(stranger, "x@example.org"), b"Subject: not a report\r\n\r\nhi\r\n")
    with (school / "school.yaml").open("a", encoding="utf-8") as f:
        f.write(f"  bounces:\n    maildir: {folder}\n")
    run = school_cli("deliver", "--once", "--json")
    assert run.code == 0, run.err
    assert run.json()["bounced"] == 0
    assert outbox(school_cli)[0]["status"] == "sent"  # a delay is not a bounce
    assert all("S" in m.get_flags() for m in mailbox.Maildir(folder).values())  # read once
    mailbox.Maildir(folder).add(dsn(sent, "zoe.obrien@example.com"))
    run = school_cli("deliver", "--once", "--json")
    assert run.code == 0, run.err
    assert run.json()["bounced"] == 1
    assert outbox(school_cli)[0]["status"] == "bounced"
    assert school_cli("deliver", "--once", "--json").json()["bounced"] == 0


def test_bounces_of_something_that_is_not_a_maildir_or_a_file_is_one_line(
        school_cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    run = school_cli("bounces", tmp_path / "folder")
    assert run.code == 1 and run.err.startswith(f"error: {tmp_path / 'folder'}: not a Maildir")
    run = school_cli("bounces", tmp_path / "missing.eml")
    assert run.code == 1 and run.err.startswith(f"error: {tmp_path / 'missing.eml'}: cannot "
                                                "read the bounce report")
    assert len(run.err.splitlines()) == 1


def test_a_dsn_returning_the_whole_message_names_its_message_id() -> None:
    """Exim and Exchange return the whole message (message/rfc822), Postfix its headers."""
    from engine.core.dsn import bounces

    original = (b"Message-ID: <liaison.0123@hillcrest-academy.example.org>\r\n"
                b"To: a@example.com\r\nSubject: A letter\r\n\r\nThe letter is attached.\r\n")
    report = (b"From: Mail Delivery System <Mailer-Daemon@mx.example.net>\r\n"
              b"Subject: Mail delivery failed: returning message to sender\r\n"
              b"MIME-Version: 1.0\r\n"
              b"Content-Type: multipart/report; report-type=delivery-status; boundary=E\r\n"
              b"\r\n--E\r\nContent-Type: text/plain\r\n\r\nIt could not be delivered.\r\n"
              b"--E\r\nContent-Type: message/delivery-status\r\n\r\n"
              b"Reporting-MTA: dns; mx.example.net\r\n\r\n"
              b"Final-Recipient: rfc822;a@example.com\r\nAction: failed\r\n"
              b"Status: 5.2.2\r\nDiagnostic-Code: smtp; 552 Mailbox full\r\n\r\n"
              b"--E\r\nContent-Type: message/rfc822\r\n\r\n" + original + b"--E--\r\n")
    (bounce,) = bounces(report)
    assert (bounce.message_id, bounce.recipient, bounce.status, bounce.diagnostic) == (
        "<liaison.0123@hillcrest-academy.example.org>", "a@example.com", "5.2.2",
        "552 Mailbox full")
    assert bounces(original) == []
