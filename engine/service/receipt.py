"""Deadlines that run from the parents' receipt of a posted letter (EXC-6).

An event that posts a decision counts its deadline from the posting date staff type
(``posted_on``: deemed received on the second working day after, then 15 school days for
an independent review). The outbox knows when the letter really went: a print pack or
GOV.UK Notify records its deemed receipt (``received_on``). A deadline that says
``from_receipt: N`` then runs N school days from that day, when that is later
than the event counted: never earlier than the letter told the parents. The move is said
in the letter's way out (its history) and made in the transaction that records the
posting (``Outbox.finish``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from engine.service.liaison import Liaison
from engine.store.outbox import Outbox


def from_receipt(engine: Liaison, box: Outbox, rows: Sequence[Mapping[str, Any]],
                 results: Sequence[dict[str, Any]]) -> list[tuple[int, str, str]]:
    """The deadlines to move for the letters posted in ``results`` (each result's detail
    gains what moved): (event id, deadline name, the day it now falls)."""
    by_id = {r["id"]: r for r in rows}
    received = {res["id"]: res["received_on"] for res in results
                if res.get("status") == "posted" and res.get("received_on")}
    if not received:
        return []
    made = box.made_by({by_id[i]["document_id"] for i in received})
    moves: dict[tuple[int, str], str] = {}
    for res in results:
        source = made.get(by_id[res["id"]]["document_id"]) if res["id"] in received else None
        if source is None:
            continue
        day = dt.date.fromisoformat(received[res["id"]])
        for spec, due in _later(engine, source, day):
            key = (source["event_id"], spec.name)
            if due > moves.get(key, source["open"][spec.name]):
                moves[key] = due
                res["detail"] += (f"; {spec.title.lower()} now {_day(due)} "
                                  f"({spec.from_receipt} school days from receipt"
                                  f"{', ' + spec.clause if spec.clause else ''})")
    return [(event, name, due) for (event, name), due in moves.items()]


def _later(engine: Liaison, source: Mapping[str, Any], received: dt.date) -> list[Any]:
    """(spec, ISO day) of each open deadline of the letter's event that runs from receipt."""
    workflow = engine.school.workflows.get(source["workflow"])
    if workflow is None:
        return []
    event = workflow.events.get(source["event"])
    if event is None and source["event"] == "open":
        event = workflow.opening
    if event is None:
        return []
    return [(spec, engine.school.calendar.add_school_days(
                received, spec.from_receipt).isoformat())
            for spec in event.deadlines
            if spec.from_receipt and spec.name in source["open"]]


def _day(iso: str) -> str:
    return f"{dt.date.fromisoformat(iso):%A %-d %B %Y}"
