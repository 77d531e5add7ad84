"""Bounce reports (pure): what a delivery status notification says of the emails it is
about (RFC 3464), read with the standard library's email package.

A DSN is a ``multipart/report; report-type=delivery-status`` message: a human-readable
part, a ``message/delivery-status`` part (one block of fields about the report, then one
per recipient: ``Final-Recipient``, ``Action``, ``Status``, ``Diagnostic-Code``), and the
returned message or its headers (``message/rfc822`` or ``text/rfc822-headers``), whose
``Message-ID`` names the email the outbox sent. Only ``Action: failed`` is a bounce; a
``delayed`` report says the server is still trying, and is not one.
"""

from __future__ import annotations

import email
from dataclasses import dataclass
from email.message import Message
from email.parser import HeaderParser
from email.policy import default as default_policy


@dataclass(frozen=True)
class Bounce:
    """A recipient an email could not be delivered to, as its DSN reports it."""

    message_id: str  # the Message-ID of the email that bounced
    recipient: str
    status: str  # the enhanced status code, e.g. 5.1.1
    diagnostic: str  # what the receiving server said, e.g. "550 5.1.1 No such user"
    reported_by: str  # the reporting MTA


def bounces(data: bytes) -> list[Bounce]:
    """The failed recipients a DSN reports, or [] for a message that is not a DSN (or a
    report of delays only)."""
    message = email.message_from_bytes(data, policy=default_policy)
    if message.get_content_type() != "multipart/report" or \
            message.get_param("report-type", "").lower() != "delivery-status":
        return []
    status = returned = None
    for part in message.iter_parts():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            status = part
        elif kind in ("message/rfc822", "text/rfc822-headers") and returned is None:
            returned = _returned_id(part)
    if status is None or not returned:
        return []
    blocks = _blocks(status)
    if not blocks:
        return []
    about, recipients = blocks[0], blocks[1:]
    reporter = _typed(about.get("Reporting-MTA", ""))
    return [Bounce(returned, _typed(r.get("Final-Recipient", r.get("Original-Recipient", ""))),
                   str(r.get("Status", "")).strip(), _typed(r.get("Diagnostic-Code", "")),
                   reporter)
            for r in recipients if str(r.get("Action", "")).strip().lower() == "failed"]


def _blocks(part: Message) -> list[Message]:
    """The delivery-status part's blocks of fields (the email package gives each block as
    a message of headers; some senders' parts come as plain text, parsed here)."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return list(payload)
    text = payload if isinstance(payload, str) else ""
    parser = HeaderParser(policy=default_policy)
    return [parser.parsestr(block.strip() + "\n") for block in
            text.replace("\r\n", "\n").split("\n\n") if block.strip()]


def _returned_id(part: Message) -> str:
    """The Message-ID of the returned message (whole, or its headers alone)."""
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        inner = inner[0] if isinstance(inner, list) and inner else inner
        found = inner.get("Message-ID", "") if isinstance(inner, Message) else ""
    else:
        headers = HeaderParser(policy=default_policy).parsestr(part.get_content())
        found = headers.get("Message-ID", "")
    return str(found).strip()


def _typed(value: object) -> str:
    """A DSN field's value without its type: "rfc822; a@b.example" -> "a@b.example"."""
    text = " ".join(str(value).split())
    kind, sep, rest = text.partition(";")
    return rest.strip() if sep and " " not in kind.strip() else text
