"""Post: the day's print pack (``liaison post``), one PDF of every letter queued to go by
post or by hand, in postcode order, behind a cover sheet listing them.

Each letter is checked again as it is packed (a contact barred since, a case marked child
protection since: withheld). The letters' PDFs and the cover sheet come from one
LibreOffice run; each letter's PDF is recorded with its own SHA-256 and the .docx's
(``pdfs``). A letter posted first class is deemed received on the second working day
after posting (the rule the exclusion regulations use, EXC-6): the outbox row keeps that
day, and a deadline the letter's event met counts from the posting.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from engine.core import sending
from engine.errors import LetterError, PermissionDenied
from engine.letters.cover import cover_sheet
from engine.service import receipt
from engine.service.liaison import Liaison
from engine.service.outbox import case_of, check_paper, ensure_pdfs
from engine.service.views import Message
from engine.store import files
from engine.store.outbox import Outbox

PACKS = "cases/packs"


def print_pack(engine: Liaison, actor_id: str) -> Message:
    """Make today's print pack of the queued post, and record each letter as posted."""
    who = engine.school.member(actor_id)
    senders = engine.school.group("senders")
    if not who.roles & senders:
        raise PermissionDenied(f"{who.id} ({who.name}) may not make a print pack: only "
                               f"{', '.join(sorted(senders))}")
    box = Outbox(engine.store)
    now = engine.clock()
    at = now.isoformat(timespec="seconds")
    # With GOV.UK Notify, post goes through it (liaison deliver); the pack is for by hand.
    delivery = engine.school.delivery
    channels = ("print",) if delivery and delivery.notify else ("post", "print")
    rows = [r for r in box.due(at, 100_000, channels=channels)
            if r["case_id"] is None or engine.can_see(case_of(r), who)]
    stopped = {r["id"]: check_paper(engine, r) for r in rows}
    withheld = [{"id": i, **s} for i, s in stopped.items() if s]
    box.finish(withheld, at)
    going = sorted((r for r in rows if not stopped[r["id"]]), key=_postcode_order)
    if not going:
        return Message(("nothing to post", *(f"  withheld: {w['detail']}" for w in withheld)),
                       {"pack": None, "letters": 0, "withheld": len(withheld)})
    name = f"{PACKS}/pack-{now:%Y-%m-%d-%H%M%S}"
    cover = _cover(engine, name, going, now)
    letters, cover_pdf = ensure_pdfs(engine, box, going, extra=[cover])
    pack = _merge(engine.school.root, name, [cover_pdf[0], *(letters[r["document_id"]]
                                                              for r in going)])
    received = sending.deemed_received(now.date(), _bank_holiday(engine))
    results = [_posted(r, pack, now, received) for r in going]
    box.finish(results, at, receipt.from_receipt(engine, box, going, results))
    engine.store.letters_left([(r["document_id"], at) for r in going])
    lines = (f"print pack {pack['path']}: {len(going)} letter(s) in postcode order, "
             f"behind a cover sheet", f"  sha256 {pack['sha256']}",
             f"  posted first class today, deemed received {received:%A %-d %B %Y}")
    return Message(lines, {"pack": pack["path"], "sha256": pack["sha256"],
                           "letters": len(going), "withheld": len(withheld),
                           "received_on": received.isoformat()})


def _postcode_order(row: Mapping[str, Any]) -> tuple[str, str, int]:
    lines = str(row["address"]).splitlines()
    postcode = lines[-1].replace(" ", "").upper() if lines else ""
    return postcode, str(row["recipient_name"]), int(row["id"])


def _cover(engine: Liaison, name: str, rows: Sequence[Mapping[str, Any]],
           now: dt.datetime) -> Path:
    table = [(str(i), str(r["recipient_name"]),
              (str(r["address"]).splitlines() or [""])[-1],
              sending.subject_of("", str(r["template"]), "").capitalize(),
              str(r["case_id"] or "a batch"),
              "first class post" if r["channel"] == "post" else "by hand")
             for i, r in enumerate(rows, 1)]
    data = cover_sheet(engine.school.profile.name, f"Print pack of {now:%A %-d %B %Y, %H:%M}",
                       table)
    rel = f"{name}-cover.docx"
    (engine.school.root / rel).parent.mkdir(parents=True, exist_ok=True)
    files.write_unsynced(engine.school.root, rel, data)
    files.sync(engine.school.root, [rel])
    return engine.school.root / rel


def _merge(root: Path, name: str, parts: Sequence[Path]) -> dict[str, str]:
    """One PDF of the parts, in order, written whole and made durable."""
    from io import BytesIO

    from pypdf import PdfWriter

    writer = PdfWriter()
    for part in parts:
        writer.append(str(part))
    out = BytesIO()
    writer.write(out)
    data = out.getvalue()
    rel = f"{name}.pdf"
    try:
        files.write_unsynced(root, rel, data)
        files.sync(root, [rel])
    except OSError as exc:
        raise LetterError(f"the print pack could not be written: {exc}") from exc
    return {"path": rel, "sha256": hashlib.sha256(data).hexdigest()}


def _posted(row: Mapping[str, Any], pack: Mapping[str, str], now: dt.datetime,
            received: dt.date) -> dict[str, Any]:
    at = now.isoformat(timespec="seconds")
    attempts = int(row["attempts"]) + 1
    if row["channel"] == "print":
        return {"id": row["id"], "status": "posted", "sent_at": at, "pack": pack["path"],
                "attempts": attempts,
                "detail": f"printed in print pack of {now:%-d %B %Y} ({pack['path']}), "
                "to be handed over"}
    return {"id": row["id"], "status": "posted", "sent_at": at, "pack": pack["path"],
            "received_on": received.isoformat(), "attempts": attempts,
            "detail": f"posted in print pack of {now:%-d %B %Y} ({pack['path']}); deemed "
            f"received {received:%A %-d %B %Y}"}


def _bank_holiday(engine: Liaison) -> Any:
    calendar = engine.school.calendar
    return lambda day: calendar.day_kind(day)[0] == "bank_holiday"

