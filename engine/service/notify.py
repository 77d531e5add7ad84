"""GOV.UK Notify precompiled letters: a school with ``delivery.notify`` in school.yaml has
its post printed and posted by Notify instead of a print pack (``liaison deliver`` sends
them with the email). notifications-python-client is this module's only library.

The letter's PDF goes as it is, with the outbox row's idempotency key as its reference.
A row a stopped worker left ``sending`` is reconciled by asking Notify for that reference:
found, it is recorded as posted with Notify's id; not found, it goes again. Notify prints
and posts first class on the next working day, so the letter is deemed received on the
second working day after that (EXC-6).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from io import BytesIO
from typing import Any

from engine.core import sending
from engine.core.sending import NotifySettings
from engine.errors import InputError
from engine.service.liaison import Liaison
from engine.service.outbox import ordinal, retry_or_fail
from engine.store.outbox import Outbox

BATCH = 100


class Notify:
    """The Notify API, through its Python client."""

    def __init__(self, settings: NotifySettings) -> None:
        from notifications_python_client.notifications import NotificationsAPIClient

        key = os.environ.get(settings.api_key_env, "")
        if len(key) < 74:
            raise InputError(f"delivery.notify.api_key_env names {settings.api_key_env}, "
                             "which does not hold a GOV.UK Notify API key: set it and run "
                             "again")
        extra = {"base_url": settings.base_url} if settings.base_url else {}
        self.client = NotificationsAPIClient(key, **extra)

    def send(self, reference: str, pdf: bytes) -> str:
        """Post a precompiled letter; Notify's id of it."""
        done = self.client.send_precompiled_letter_notification(reference, BytesIO(pdf),
                                                                 postage="first")
        return str(done["id"])

    def find(self, reference: str) -> str | None:
        """Notify's id of the letter sent with this reference, if any."""
        found = self.client.get_all_notifications(reference=reference)
        letters = found.get("notifications", [])
        return str(letters[0]["id"]) if letters else None


def post_by_notify(engine: Liaison, done: Any, notify: Notify | None = None) -> None:
    """Send the queued post through Notify (a school without ``delivery.notify`` makes a
    print pack instead); ``done`` counts what happened (engine.service.outbox.Sent)."""
    from engine.service.outbox import check_paper, ensure_pdfs
    from engine.service.receipt import from_receipt

    delivery = engine.school.delivery
    if delivery is None or delivery.notify is None:
        return
    box = Outbox(engine.store)
    rows = box.due(_now(engine), 1, channels=("post",))
    if not rows and not [r for r in box.stuck() if r["channel"] == "post"]:
        return
    notify = notify or Notify(delivery.notify)
    _reconcile(engine, box, notify)
    after = 0
    while rows := box.due(_now(engine), BATCH, after, channels=("post",)):
        after = rows[-1]["id"]
        stopped = [check_paper(engine, r) for r in rows]
        withheld = [{"id": r["id"], **s} for r, s in zip(rows, stopped, strict=True) if s]
        box.finish(withheld, _now(engine))
        done.withheld += len(withheld)
        going = [r for r, s in zip(rows, stopped, strict=True) if not s]
        if not going:
            continue
        files = ensure_pdfs(engine, box, going)[0]
        box.begin([(r["id"], None) for r in going], _now(engine))  # type: ignore[misc]
        results = [_send(engine, notify, r, files[r["document_id"]].read_bytes(), done)
                   for r in going]
        box.finish(results, _now(engine), from_receipt(engine, box, going, results))
        engine.store.letters_left([(r["document_id"], res["sent_at"])
                                   for r, res in zip(going, results, strict=True)
                                   if res["status"] == "posted"])


def _send(engine: Liaison, notify: Notify, row: Mapping[str, Any], pdf: bytes,
          done: Any) -> dict[str, Any]:
    from notifications_python_client.errors import HTTPError

    attempt = int(row["attempts"]) + 1
    try:
        provider = notify.send(row["key"], pdf)
    except HTTPError as exc:
        status = int(getattr(exc, "status_code", 0) or 0)
        why = f"GOV.UK Notify said {status}: {_message(exc)}"
        if 400 <= status < 500 and status != 429:
            done.failed += 1
            return {"id": row["id"], "status": "failed", "error": why,
                    "detail": f"failed: {why} ({ordinal(attempt)} attempt)"}
        return retry_or_fail(engine, row, attempt, why, done)
    except OSError as exc:
        return retry_or_fail(engine, row, attempt,
                             f"GOV.UK Notify could not be reached ({exc})", done)
    done.posted += 1
    return _posted(engine, row["id"], provider, "")


def _posted(engine: Liaison, row_id: int, provider: str, note: str) -> dict[str, Any]:
    now = engine.clock()
    posting = _next_working_day(engine, now.date())
    received = sending.deemed_received(posting, _bank_holiday(engine))
    return {"id": row_id, "status": "posted", "sent_at": now.isoformat(timespec="seconds"),
            "provider_id": provider, "received_on": received.isoformat(),
            "detail": f"sent to GOV.UK Notify ({provider}){note}: posted first class "
            f"{posting:%-d %B %Y}, deemed received {received:%A %-d %B %Y}"}


def _reconcile(engine: Liaison, box: Outbox, notify: Notify) -> None:
    """Rows a stopped worker left ``sending``: Notify says whether it has each."""
    from engine.service.receipt import from_receipt

    results = []
    stuck = [r for r in box.stuck() if r["channel"] == "post"]
    for row in stuck:
        found = notify.find(row["key"])
        if found:
            results.append(_posted(engine, row["id"], found, " (recorded after a stopped run)"))
        else:
            results.append({"id": row["id"], "status": "queued",
                            "detail": "GOV.UK Notify does not have it: queued again"})
    box.finish(results, _now(engine), from_receipt(engine, box, stuck, results))


def _next_working_day(engine: Liaison, day: dt.date) -> dt.date:
    holiday = _bank_holiday(engine)
    day += dt.timedelta(days=1)
    while day.weekday() >= 5 or holiday(day):
        day += dt.timedelta(days=1)
    return day


def _bank_holiday(engine: Liaison) -> Any:
    calendar = engine.school.calendar
    return lambda day: calendar.day_kind(day)[0] == "bank_holiday"


def _message(exc: Exception) -> str:
    said: Sequence[Any] = getattr(exc, "message", None) or [str(exc)]
    if isinstance(said, list):
        return "; ".join(str(m.get("message", m)) if isinstance(m, dict) else str(m)
                         for m in said)
    return str(said)


def _now(engine: Liaison) -> str:
    return engine.clock().isoformat(timespec="seconds")
