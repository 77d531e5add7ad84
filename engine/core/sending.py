"""How letters leave the school (pure): ``delivery:`` of school.yaml, the channels a
letter is queued on, the email that carries it, and when a posted letter counts as
received.

A letter is queued when it is made (in the same transaction as its document row), one
outbox row per (document, channel, recipient): an email to each addressee with an email
address, and one posted copy to the address the letter carries when someone has none.
Whether it may still go is decided again when it is sent (engine.service.outbox).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.core.people import Contact
from engine.core.reader import Reader

CHANNELS = ("email", "post", "print")
DEFAULT_SEND = ("email", "post")
# Back-off between attempts of an email that could not be handed over: 1, 2, 4, 8 minutes.
FIRST_RETRY = dt.timedelta(minutes=1)
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class EmailSettings:
    """The school's mail server (``delivery.email``); the password is read from the
    environment variable ``password_env`` when sending, never kept in school.yaml."""

    host: str
    port: int = 587
    starttls: bool = True
    username: str = ""
    password_env: str = ""
    sender: str = ""  # ``from:``
    reply_to: str = ""

    @property
    def domain(self) -> str:
        return self.sender.rpartition("@")[2] or "liaison.invalid"


@dataclass(frozen=True)
class NotifySettings:
    """GOV.UK Notify (``delivery.notify``): precompiled letters, the key from the
    environment variable ``api_key_env``."""

    api_key_env: str
    base_url: str = ""  # the API's address; empty for GOV.UK Notify's own


@dataclass(frozen=True)
class Delivery:
    """``delivery:`` of school.yaml; ``send`` is the school's default for documents that
    do not say (``send:`` on a document)."""

    email: EmailSettings | None = None
    notify: NotifySettings | None = None
    send: tuple[str, ...] = DEFAULT_SEND
    bounces: str = ""  # ``bounces: {maildir: PATH}``: where bounce reports arrive


@dataclass(frozen=True)
class Send:
    """One outbox row to be: the channel, the contact, and the address as it was when the
    letter was made (checked again when it is sent)."""

    channel: str
    recipient_id: str
    address: str
    subject: str = ""
    language: str = ""  # the contact's, where an interpreter is offered (PWP-5.6)


@dataclass(frozen=True)
class Mail:
    """An email's parts (the service builds the EmailMessage from them)."""

    subject: str
    to: str
    text: str
    html: str
    attachment_name: str
    headers: dict[str, str] = field(default_factory=dict)


def parse_delivery(r: Reader, raw: Any) -> Delivery | None:
    """``delivery:`` of school.yaml, or None when it has none (then letters are not queued)."""
    if raw is None:
        return None
    spec = r.mapping(raw, "delivery", ("email", "notify", "send", "bounces"))
    email = None
    if spec.get("email") is not None:
        e = r.mapping(spec["email"], "delivery.email", ("host", "port", "starttls", "username",
                                                        "password_env", "from", "reply_to"),
                      ("host", "from", "reply_to"))
        port = r.number(e.get("port"), "delivery.email.port") if "port" in e else 587
        email = EmailSettings(
            host=r.text(e.get("host"), "delivery.email.host"), port=port or 587,
            starttls=r.flag(e.get("starttls"), "delivery.email.starttls")
            if "starttls" in e else True,
            username=r.text(e.get("username"), "delivery.email.username"),
            password_env=r.text(e.get("password_env"), "delivery.email.password_env"),
            sender=r.text(e.get("from"), "delivery.email.from"),
            reply_to=r.text(e.get("reply_to"), "delivery.email.reply_to"))
        if email.username and not email.password_env:
            r.problem(e, "delivery.email.password_env", "a username needs password_env: the "
                      "name of the environment variable holding the password")
    notify = None
    if spec.get("notify") is not None:
        n = r.mapping(spec["notify"], "delivery.notify", ("api_key_env", "base_url"),
                      ("api_key_env",))
        notify = NotifySettings(r.text(n.get("api_key_env"), "delivery.notify.api_key_env"),
                                r.text(n.get("base_url"), "delivery.notify.base_url"))
    send = parse_send(r, spec.get("send"), "delivery.send") if "send" in spec else DEFAULT_SEND
    bounces = ""
    if spec.get("bounces") is not None:  # the worker reads it on each pass (RFC 3464 DSNs)
        b = r.mapping(spec["bounces"], "delivery.bounces", ("maildir",), ("maildir",))
        bounces = r.text(b.get("maildir"), "delivery.bounces.maildir")
    return Delivery(email, notify, send or DEFAULT_SEND, bounces)


def parse_send(r: Reader, value: Any, where: str) -> tuple[str, ...]:
    """``send: [email, post, print]``: the channels a letter may go by, in order."""
    out = tuple(r.texts(value, where))
    for name in out:
        if name not in CHANNELS:
            r.problem(value, where, f"unknown channel '{name}' (expected one of: "
                      f"{', '.join(CHANNELS)})")
    return out


def sends(send: Iterable[str], contact_ids: Iterable[str], contacts: Mapping[str, Contact],
          address_lines: Iterable[str], subject: str) -> tuple[Send, ...]:
    """The outbox rows of one letter: an email to each addressee who has an address (when
    the letter may go by email), and one copy by post (or printed) to the address the
    letter carries when an addressee has none or the letter does not go by email."""
    channels = tuple(send)
    out: list[Send] = []
    unmailed = []
    for cid in contact_ids:
        contact = contacts.get(cid)
        if contact is None or not contact.receives_letters:
            continue
        if "email" in channels and contact.email:
            language = contact.language if contact.needs_interpreter else ""
            out.append(Send("email", cid, contact.email, subject, language))
        else:
            unmailed.append(cid)
    paper = next((c for c in channels if c in ("post", "print")), None)
    if unmailed and paper:
        out.append(Send(paper, unmailed[0], "\n".join(address_lines), subject))
    return tuple(out)


def subject_of(title: str, template: str, student: str) -> str:
    """An email's subject: what the letter is and whom it is about, nothing more."""
    what = title or template.removesuffix(".docx").replace("_", " ").capitalize()
    return f"{what}: {student}" if student else what


def key_of(document_path: str, channel: str, recipient_id: str) -> str:
    """The idempotency key of an outbox row: one per (document, channel, recipient)."""
    return hashlib.sha256(f"{document_path}\n{channel}\n{recipient_id}".encode()).hexdigest()


def message_id(key: str, domain: str) -> str:
    """The Message-ID an email keeps on every attempt, so a mailbox sees one message."""
    return f"<liaison.{key[:32]}@{domain}>"


def retry_at(now: dt.datetime, attempts: int) -> dt.datetime:
    """When to try again after ``attempts`` failed ones: exponential back-off."""
    return now + FIRST_RETRY * (2 ** max(attempts - 1, 0))


def mail(school: str, phone: str, student: str, subject: str, to: str, file_name: str,
         language: str = "") -> Mail:
    """The email around a letter: it names the school, the student and the subject and
    carries no other personal data; the letter itself is the attachment. A contact whose
    language is not English is offered an interpreter (PWP-5.6)."""
    lines = [f"{school} has sent you a letter about {student}: {subject}.",
             "The letter is attached as a PDF. Please read it.",
             "To reply, answer this email: it goes to the school office."]
    if language:
        call = f" or call {phone}" if phone else ""
        lines.append(f"If you would like an interpreter ({language}) to go through the "
                     f"letter with you, reply to this email{call}.")
    text = "\n\n".join(lines) + f"\n\n{school}\n"
    body = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    page = f"<html><body>{body}<p>{html.escape(school)}</p></body></html>"
    return Mail(subject=f"{school}: {subject}", to=to, text=text, html=page,
                attachment_name=file_name)


def deemed_received(posted: dt.date, is_bank_holiday: Any) -> dt.date:
    """A letter posted first class is deemed received on the second working day after
    posting (a weekday that is not a bank holiday; EXC-6)."""
    day, left = posted, 2
    while left:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and not is_bank_holiday(day):
            left -= 1
    return day


def address_book(contacts: Iterable[Mapping[str, Any]]) -> dict[str, list[tuple[str, str]]]:
    """Every contact's email address (case folded) -> (student id, name) of each holder."""
    out: dict[str, list[tuple[str, str]]] = {}
    for c in contacts:
        email = str(c.get("email", "")).strip().casefold()
        if email:
            name = f"{c.get('first_name', '')} {c.get('last_name', '')}".casefold()
            out.setdefault(email, []).append((str(c.get("student_id", "")), name))
    return out


def other_people(email: str, contact: Contact, book: Mapping[str, list[tuple[str, str]]]) -> int:
    """How many contacts of other students, not this person by name, share this address
    (``book``: address_book of every contact): another family's address is never written
    to."""
    name = f"{contact.first_name} {contact.last_name}".casefold()
    return sum(1 for student, other in book.get(email.strip().casefold(), ())
               if student != contact.student_id and other != name)
