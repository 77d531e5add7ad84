"""Bounce reports: an email the mail server took that later could not be delivered comes
back as a delivery status notification (RFC 3464, ``engine.core.dsn``). One about a
Message-ID the outbox sent marks that letter bounced: recorded in its way out (chained,
audit verify), on the due list and the web page's header count until someone sends it
another way (PWP-5.2: written replies in time).

``liaison bounces PATH`` reads a Maildir or one message file (it changes neither); the
worker (``liaison deliver``, a thread of ``liaison serve``) reads ``delivery.bounces``'s
Maildir on each pass and marks each report it has recorded as seen, so it is read once.
A report read twice changes nothing (the letter is bounced already).
"""

from __future__ import annotations

import mailbox
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.core.dsn import Bounce, bounces
from engine.errors import InputError
from engine.service.liaison import Liaison
from engine.store.outbox import Outbox

# What a letter may be when a report of its bounce arrives: it went (or may have).
WENT = ("sent", "unknown")


@dataclass
class Bounced:
    """What one reading of bounce reports did (``liaison bounces``'s view)."""

    reports: int = 0  # messages read that were DSNs of failures
    bounced: int = 0  # letters marked bounced now
    already: int = 0  # letters recorded bounced before
    not_ours: int = 0  # failures about no email the outbox sent
    letters: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"reports": self.reports, "bounced": self.bounced, "already": self.already,
                "not_ours": self.not_ours, "letters": self.letters}

    def as_lines(self) -> tuple[str, ...]:
        head = (f"bounced {self.bounced} (of {self.reports} report(s)), recorded before "
                f"{self.already}, not ours {self.not_ours}")
        # the letter and its case, never the address or the report's text (liaison outbox)
        return (head, *(f"  letter #{x['id']} of {x['case'] or 'a batch'}: {x['status']}"
                        for x in self.letters))


def read_bounces(engine: Liaison, source: Path) -> Bounced:
    """Record the bounces reported in a Maildir folder or one message file."""
    if source.is_dir():
        box = _maildir(source)
        return record(engine, (box.get_bytes(key) for key in box.iterkeys()))
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise InputError(f"{source}: cannot read the bounce report ({exc.strerror})") from exc
    return record(engine, [data])


def read_maildir(engine: Liaison, folder: Path) -> Bounced:
    """The worker's pass: the reports not seen yet, each marked seen once recorded."""
    box = _maildir(folder)
    fresh = [key for key in box.iterkeys() if "S" not in box.get_message(key).get_flags()]
    done = record(engine, (box.get_bytes(key) for key in fresh))
    for key in fresh:  # after the store has them: a crash reads them again, harmlessly
        message = box.get_message(key)
        message.set_subdir("cur")
        message.add_flag("S")
        box[key] = message
    return done


def record(engine: Liaison, messages: Iterable[bytes]) -> Bounced:
    """Mark bounced each sent letter a DSN among ``messages`` reports as failed."""
    done, found = Bounced(), []
    for data in messages:
        failed = bounces(data)
        done.reports += bool(failed)
        found += failed
    box = Outbox(engine.store)
    rows = box.by_message_id({b.message_id for b in found})
    results: dict[int, dict[str, Any]] = {}
    for bounce in found:
        row = rows.get(bounce.message_id)
        if row is None:
            done.not_ours += 1
        elif row["status"] == "bounced" or row["id"] in results:
            done.already += 1
        elif row["status"] in WENT:
            results[row["id"]] = _bounced(row, bounce)
    box.finish(list(results.values()), engine.clock().isoformat(timespec="seconds"))
    done.bounced = len(results)
    done.letters = [{"id": i, "case": r["case_id"], "status": results[i]["error"]}
                    for i, r in ((row["id"], row) for row in rows.values()) if i in results]
    return done


def _bounced(row: dict[str, Any], bounce: Bounce) -> dict[str, Any]:
    said = bounce.diagnostic or bounce.status or "no reason given"
    by = f" (reported by {bounce.reported_by})" if bounce.reported_by else ""
    return {"id": row["id"], "status": "bounced",
            "error": f"bounced: {bounce.status} {said}".strip(),
            "detail": f"bounced: {said}{by}; print and post it, or check the address with "
                      "the family"}


def _maildir(folder: Path) -> mailbox.Maildir:
    if not (folder / "cur").is_dir() or not (folder / "new").is_dir():
        raise InputError(f"{folder}: not a Maildir (no cur/ and new/ in it): give the "
                         "Maildir the bounce reports arrive in, or one message file")
    return mailbox.Maildir(folder, factory=None, create=False)


def configured(engine: Liaison) -> Path | None:
    """The Maildir bounce reports arrive in (``delivery.bounces``, relative to the
    school), if the school has one."""
    delivery = engine.school.delivery
    if delivery is None or not delivery.bounces:
        return None
    path = Path(delivery.bounces)
    return path if path.is_absolute() else engine.school.root / path
