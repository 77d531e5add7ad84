"""Letters that reach people: the worker that emails what is queued (``liaison deliver``)
and the outbox as staff read it (``liaison outbox``).

Advancing a case queues its letters in the transaction that records them (never waiting
on a mail server); this sends them, in order, a batch at a time:

1. Reconcile what a stopped worker left half done (``engine.store.outbox``'s journal).
2. Check each letter again as it goes: a contact barred from correspondence since, a case
   marked child protection since (PWP-4.3), no email address any more, an address another
   family's contacts hold, an address changed since the letter was made (it goes to the
   contact's own address now, and the history says so).
3. Make the PDFs missing (one LibreOffice run for the batch), each recorded with its hash.
4. Record the attempts (with each email's Message-ID) in one transaction, hand each email
   to the server (journalled before and after), then record how each went in one more:
   sent, refused for good (a 5xx: failed), or to try again later with exponential back-off
   (a 4xx, a dropped connection), failed after MAX_ATTEMPTS.
"""

from __future__ import annotations

import hashlib
import os
import smtplib
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.header import Header
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formatdate
from pathlib import Path
from typing import Any

from engine.core import sending
from engine.core.people import Contact
from engine.core.rows import CaseRow
from engine.core.sending import EmailSettings
from engine.errors import ConflictError, InputError, LetterError
from engine.service import pdf
from engine.service.liaison import Liaison
from engine.service.views import Listing, OutboxEntry, listing
from engine.store.outbox import Journal, Outbox, worker_lock

BATCH = 100
SMTP_TIMEOUT = 30  # seconds a mail server may take to answer one command


@dataclass
class Sent:
    """What one run of the worker did (``liaison deliver``'s view)."""

    sent: int = 0
    posted: int = 0  # through GOV.UK Notify
    retrying: int = 0
    failed: int = 0
    withheld: int = 0
    bounced: int = 0  # letters sent before that a bounce report says did not arrive
    reconciled: dict[str, int] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"sent": self.sent, "posted": self.posted, "retrying": self.retrying,
                "failed": self.failed, "withheld": self.withheld, "bounced": self.bounced,
                "reconciled": self.reconciled}

    def as_lines(self) -> tuple[str, ...]:
        head = (f"emailed {self.sent}, to try again {self.retrying}, failed {self.failed}, "
                f"withheld {self.withheld}")
        if self.posted:
            head += f", posted through GOV.UK Notify {self.posted}"
        if self.bounced:
            head += f", bounced since sent {self.bounced}"
        again = [f"  {n} {what} after a stopped run" for what, n in self.reconciled.items()]
        return (head, *again, *self.lines)


class Mailer:
    """One connection to the school's mail server, opened when first needed and again
    after it drops."""

    def __init__(self, settings: EmailSettings) -> None:
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def send(self, message: Message, to: str) -> None:
        if self.smtp is None:
            self.smtp = self._connect()
        try:
            self.smtp.send_message(message, from_addr=self.settings.sender, to_addrs=[to])
        except (smtplib.SMTPServerDisconnected, OSError):
            self.close()
            raise

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        smtp = smtplib.SMTP(s.host, s.port, timeout=SMTP_TIMEOUT)
        if s.starttls:
            smtp.starttls()
        if s.username:
            smtp.login(s.username, os.environ.get(s.password_env, ""))
        return smtp

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                self.smtp.close()
            self.smtp = None


def settings_of(engine: Liaison) -> EmailSettings | None:
    """The mail server (None for a school that only posts through Notify), or say what
    school.yaml lacks; the password must be in the environment before anything is tried."""
    delivery = engine.school.delivery
    if delivery is None or (delivery.email is None and delivery.notify is None):
        raise InputError("school.yaml has no delivery.email: say which mail server sends the "
                         "school's letters (host, port, from, reply_to; docs/delivery.md)")
    e = delivery.email
    if e is not None and e.username and not os.environ.get(e.password_env):
        raise InputError(f"delivery.email.password_env names {e.password_env}, which is not "
                         "set: set it to the mail account's password and run again")
    return e


def deliver_queued(engine: Liaison, once: bool = True, poll: float = 30.0,
                   mailer: Mailer | None = None) -> Sent:
    """Send what is queued (``once``: what is due now; else keep going, looking again
    every ``poll`` seconds): email, and the post through GOV.UK Notify where configured."""
    from engine.service.bounces import configured, read_maildir
    from engine.service.notify import post_by_notify

    settings = settings_of(engine)
    maildir = configured(engine)
    box, journal = Outbox(engine.store), Journal(engine.school.cases_dir)
    done = Sent()
    with worker_lock(engine.school.cases_dir) as mine:
        if not mine:
            raise ConflictError("another 'liaison deliver' is sending the school's letters: "
                                "let it finish (one worker at a time)")
        done.reconciled = reconcile(box, journal, _now(engine))
        mailer = mailer or (Mailer(settings) if settings else None)
        try:
            with journal:
                while True:
                    if maildir is not None:
                        done.bounced += read_maildir(engine, maildir).bounced
                    if settings is not None and mailer is not None:
                        _pass(engine, box, journal, mailer, settings, done)
                    post_by_notify(engine, done)
                    if once:
                        break
                    time.sleep(poll)
        finally:
            if mailer is not None:
                mailer.close()
        journal.clear()  # every row it speaks of is recorded now
    return done


def reconcile(box: Outbox, journal: Journal, at: str) -> dict[str, int]:
    """Settle rows a killed worker left ``sending``, from the journal: never send twice."""
    said = journal.read()
    results, counts = [], {"sent": 0, "queued": 0, "unknown": 0}
    for row in (r for r in box.stuck() if r["channel"] == "email"):
        marks = said.get(row["id"], set())
        if "done" in marks:
            result = {"status": "sent", "sent_at": at, "sent_to": row["address"],
                      "detail": f"emailed to {row['address']} (recorded after a stopped run)"}
        elif "begin" in marks:
            result = {"status": "unknown", "error": "the worker stopped while handing it to "
                      "the mail server", "detail": "may have been emailed: the worker "
                      "stopped while the server took it; check the mail server's log, it is "
                      "not sent again by itself"}
        else:
            result = {"status": "queued", "detail": "not handed over before the worker "
                      "stopped: queued again"}
        counts[result["status"]] += 1
        results.append({"id": row["id"], **result})
    box.finish(results, at)
    return {k: v for k, v in counts.items() if v}


def _pass(engine: Liaison, box: Outbox, journal: Journal, mailer: Mailer,
          settings: EmailSettings, done: Sent) -> None:
    after, book = 0, None
    while True:
        now = _now(engine)
        rows = box.due(now, BATCH, after, channels=("email",))
        if not rows:
            return
        after = rows[-1]["id"]
        book = book if book is not None else _address_book(engine)
        _send_batch(engine, box, journal, mailer, settings, rows, done, book)


def _send_batch(engine: Liaison, box: Outbox, journal: Journal, mailer: Mailer,
                settings: EmailSettings, rows: list[dict[str, Any]], done: Sent,
                book: Mapping[str, list[tuple[str, str]]]) -> None:
    now = _now(engine)
    checked = _checks(engine, rows, book)
    withheld = [{"id": r["id"], **checked[r["id"]]} for r in rows
                if checked[r["id"]]["status"] != "go"]
    going = [r for r in rows if checked[r["id"]]["status"] == "go"]
    done.withheld += sum(w["status"] == "withheld" for w in withheld)
    done.failed += sum(w["status"] == "failed" for w in withheld)
    box.finish(withheld, now)
    if not going:
        return
    files = _pdfs(engine, box, going)
    ids = {r["id"]: sending.message_id(r["key"], settings.domain) for r in going}
    box.begin([(r["id"], r["message_id"] or ids[r["id"]]) for r in going], now)

    def build(row: Mapping[str, Any]) -> Message:
        return _message(engine, settings, row, checked[row["id"]]["to"],
                        row["message_id"] or ids[row["id"]], files[row["document_id"]])

    # The emails are built in a thread of their own while each is handed over: building
    # one (the email package's headers and MIME parts) was most of the worker's cost over
    # plain smtplib, and it runs while this thread waits on the mail server's replies.
    with ThreadPoolExecutor(1, thread_name_prefix="liaison-build") as builder:
        messages = builder.map(build, going)
        results = [_hand_over(engine, journal, mailer, row, checked[row["id"]]["to"],
                              message, done) for row, message in zip(going, messages,
                                                                     strict=True)]
    box.finish(results, _now(engine))
    _letters_left(engine, [r for r in results if r["status"] == "sent"], going)


def _hand_over(engine: Liaison, journal: Journal, mailer: Mailer, row: Mapping[str, Any],
               to: str, message: Message, done: Sent) -> dict[str, Any]:
    """One email to the server: journalled before and after, the outcome as a result."""
    mid = str(message["Message-ID"])
    attempt = int(row["attempts"]) + 1
    journal.note("begin", row["id"], mid)
    try:
        mailer.send(message, to)
    except smtplib.SMTPRecipientsRefused as exc:
        code, said = next(iter(exc.recipients.values()))
        return _refused(engine, row, attempt, int(code), _said(said), done)
    except smtplib.SMTPResponseException as exc:
        return _refused(engine, row, attempt, int(exc.smtp_code), _said(exc.smtp_error), done)
    except (smtplib.SMTPException, OSError) as exc:
        return retry_or_fail(engine, row, attempt, f"the mail server could not be reached ({exc})",
                      done)
    journal.note("done", row["id"], mid)
    done.sent += 1
    moved = "" if to == row["address"] else " (the address changed since the letter was made)"
    return {"id": row["id"], "status": "sent", "sent_at": _now(engine), "sent_to": to,
            "detail": f"emailed to {to}{moved}"}


def _refused(engine: Liaison, row: Mapping[str, Any], attempt: int, code: int, said: str,
             done: Sent) -> dict[str, Any]:
    if code >= 500:
        done.failed += 1
        why = f"refused by the mail server: {code} {said}".strip()
        return {"id": row["id"], "status": "failed", "error": why,
                "detail": f"failed: {said or code} ({ordinal(attempt)} attempt)"}
    return retry_or_fail(engine, row, attempt, f"the mail server said {code} {said}".strip(), done)


def retry_or_fail(engine: Liaison, row: Mapping[str, Any], attempt: int, why: str,
           done: Sent) -> dict[str, Any]:
    """Try again later (exponential back-off), or give up after MAX_ATTEMPTS."""
    if attempt >= sending.MAX_ATTEMPTS:
        done.failed += 1
        return {"id": row["id"], "status": "failed", "error": why,
                "detail": f"failed: {why} ({ordinal(attempt)} attempt, the last)"}
    done.retrying += 1
    later = sending.retry_at(engine.clock(), attempt).isoformat(timespec="seconds")
    return {"id": row["id"], "status": "queued", "error": why, "next_at": later,
            "detail": f"not sent: {why} ({ordinal(attempt)} attempt); again at {later}"}


def _checks(engine: Liaison, rows: Sequence[Mapping[str, Any]],
            book: Mapping[str, list[tuple[str, str]]]) -> dict[int, dict[str, Any]]:
    """Whether each letter may still go, and to which address, as things are now."""
    students = sorted({r["student_id"] for r in rows})
    families = engine.store.contacts_of_students(students)
    out: dict[int, dict[str, Any]] = {}
    for row in rows:
        contacts = {c["id"]: Contact(**c) for c in families.get(row["student_id"], [])}
        out[row["id"]] = _check(row, contacts.get(row["recipient_id"]), book)
    return out


def _address_book(engine: Liaison) -> dict[str, list[tuple[str, str]]]:
    """Every contact's address, read once a pass (another family's is never written to)."""
    with engine.store.reads() as r:
        every = r.contacts_of_students(r.all_student_ids())
    return sending.address_book(c for cs in every.values() for c in cs)


def _check(row: Mapping[str, Any], contact: Contact | None,
           book: Mapping[str, list[tuple[str, str]]]) -> dict[str, Any]:
    if row["child_protection"]:
        return {"status": "withheld", "detail": "withheld: the case was marked child "
                "protection after the letter was made (PWP-4.3)"}
    if contact is None or not contact.receives_letters:
        return {"status": "withheld", "detail": "withheld: the contact may not be written to "
                "(barred from correspondence, or no longer a contact)"}
    if not contact.email:
        return {"status": "failed", "error": "no email address on record",
                "detail": "failed: the contact has no email address now; print and post it"}
    if sending.other_people(contact.email, contact, book):
        return {"status": "failed", "error": "the address is another family's too",
                "detail": "failed: the contact's email address is also held by another "
                "family's contact; check it with the family, then send it again"}
    return {"status": "go", "to": contact.email}


def ensure_pdfs(engine: Liaison, box: Outbox, rows: Sequence[Mapping[str, Any]],
                extra: Sequence[Path] = ()) -> tuple[dict[int, Path], list[Path]]:
    """Each letter's PDF by document id (made where missing, each recorded with its hash
    and its .docx's), and the PDFs of ``extra`` .docx files (a print pack's cover sheet):
    all from one LibreOffice run."""
    root = engine.school.root
    have = box.pdfs_of({r["document_id"] for r in rows})
    wanted = {r["document_id"]: r for r in rows if r["document_id"] not in have}
    if not wanted and not extra:
        return {doc_id: root / p["path"] for doc_id, p in have.items()}, []
    made = pdf.to_pdf([*(root / r["path"] for r in wanted.values()), *extra])
    at = _now(engine)
    records = []
    for (doc_id, row), path in zip(wanted.items(), made, strict=False):
        data = path.read_bytes()
        records.append({"document_id": doc_id, "path": path.relative_to(root).as_posix(),
                        "sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
                        "docx_sha256": row["docx_sha256"], "made_at": at})
    box.record_pdfs(records)
    have = box.pdfs_of({r["document_id"] for r in rows})
    return {doc_id: root / p["path"] for doc_id, p in have.items()}, made[len(wanted):]


def check_paper(engine: Liaison, row: Mapping[str, Any]) -> dict[str, Any] | None:
    """Why a letter on paper may no longer go (withheld), or None."""
    if row["child_protection"]:
        return {"status": "withheld", "detail": "withheld: the case was marked child "
                "protection after the letter was made (PWP-4.3)"}
    contacts = {c["id"]: c for c in engine.store.contacts_of(row["student_id"])}
    contact = contacts.get(row["recipient_id"])
    if contact is None or contact.get("correspondence") != "all" or contact.get("left_on"):
        return {"status": "withheld", "detail": "withheld: the contact may not be written to "
                "(barred from correspondence, or no longer a contact)"}
    return None


def _pdfs(engine: Liaison, box: Outbox, rows: Sequence[Mapping[str, Any]]) -> dict[int, Path]:
    try:
        return ensure_pdfs(engine, box, rows)[0]
    except LetterError as exc:
        raise LetterError(f"no letter was emailed: {exc}") from exc


def _message(engine: Liaison, settings: EmailSettings, row: Mapping[str, Any], to: str,
             message_id: str, pdf_path: Path) -> Message:
    """The email around a letter: multipart/mixed of the plain and HTML bodies
    (multipart/alternative) and the PDF. Built with the email package's MIME classes
    (``email.mime``) rather than EmailMessage: EmailMessage parses every header it is
    given through its header registry and encodes the attachment line by line in Python,
    and that building was most of the worker's cost over plain smtplib (bench/deliver.py);
    the bytes on the wire are the same MIME structure."""
    profile = engine.school.profile
    parts = sending.mail(profile.name, profile.phone, f"{row['first_name']} {row['last_name']}",
                         row["subject"], to, row["template"].removesuffix(".docx") + ".pdf",
                         row["language"])
    body = MIMEMultipart("alternative", _subparts=[MIMEText(parts.text, "plain", "utf-8"),
                                                  MIMEText(parts.html, "html", "utf-8")])
    letter = MIMEApplication(pdf_path.read_bytes(), "pdf")
    letter.add_header("Content-Disposition", "attachment", filename=parts.attachment_name)
    msg = MIMEMultipart("mixed", _subparts=[body, letter])
    msg["From"] = settings.sender
    msg["To"] = to
    msg["Reply-To"] = settings.reply_to
    msg["Subject"] = parts.subject if parts.subject.isascii() else Header(parts.subject, "utf-8")
    msg["Message-ID"] = message_id
    msg["Date"] = formatdate(localtime=True)
    return msg


def _letters_left(engine: Liaison, sent: list[dict[str, Any]],
                  rows: Sequence[Mapping[str, Any]]) -> None:
    """A deadline met by an event counts as met when its letter left (the first to go)."""
    by_id = {r["id"]: r for r in rows}
    engine.store.letters_left([(by_id[s["id"]]["document_id"], s["sent_at"]) for s in sent])


def _said(text: bytes | str) -> str:
    return (text.decode("utf-8", "replace") if isinstance(text, bytes) else text).strip()


def ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _now(engine: Liaison) -> str:
    return engine.clock().isoformat(timespec="seconds")

def listing_for(engine: Liaison, actor_id: str) -> Listing[OutboxEntry]:
    """The letters on their way and gone, of the cases this member of staff may see: the
    office and leaders see every visible case's, others those of cases they hold or
    manage. A restricted case's letters never show to someone who may not see it."""
    from engine.service.due import holders_for, may_list_all

    who = engine.school.member(actor_id)
    everyone = may_list_all(engine, actor_id)
    holders = holders_for(who, engine.school.staff)
    items = [OutboxEntry(r["id"], r["case_id"], r["template"], r["recipient_name"],
                         r["channel"], r["status"], r["attempts"], r["queued_at"], r["sent_at"],
                         r["error"])
             for r in Outbox(engine.store).rows() if _visible(engine, r, who, everyone, holders)]
    return listing("Outbox", ("#", "case", "letter", "to", "by", "status", "attempts", "when",
                              "why"), items)


def _visible(engine: Liaison, row: Mapping[str, Any], who: Any, everyone: bool,
             holders: set[str]) -> bool:
    if row["case_id"] is None:  # letters home in a batch: the senders' work
        return bool(who.roles & engine.school.group("senders"))
    if not engine.can_see(case_of(row), who):
        return False
    return everyone or row["holder"] in holders


def case_of(row: Mapping[str, Any]) -> CaseRow:
    """Enough of an outbox row's case for Liaison.can_see (workflow, opener, restricted)."""
    return CaseRow(id=row["case_id"], workflow=row["workflow"], state=row["state"],
                   student_id=row["student_id"], contact_id=None, holder=row["holder"],
                   fields={}, version=0, opened_at="", opened_by=row["opened_by"],
                   closed_at=None, restricted=bool(row["restricted"]),
                   child_protection=bool(row["child_protection"]))
