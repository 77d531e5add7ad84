"""Letters that reach people: ``liaison deliver`` sends what is queued, ``liaison outbox``
lists it. Each calls one use case of engine.service.outbox and prints its view."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from engine.cli.emit import emit
from engine.cli.options import AsOpt, JsonOpt, SchoolOpt, app, liaison, me
from engine.service.views import Message


@app.command()
def deliver(once: Annotated[bool, typer.Option(
                "--once", help="Send what is due now, then stop (else keep going, looking "
                "again every 30 seconds).")] = False,
            school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """Email the letters queued by advancing cases, recording every attempt; a letter
    that cannot go is kept with why (liaison outbox), and tried again with back-off."""
    from engine.service.outbox import deliver_queued

    with liaison(school) as engine:
        done = deliver_queued(engine, once=once)
        emit(Message(done.as_lines(), done.as_json()), as_json)


@app.command()
def outbox(actor: AsOpt = None, school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """The letters queued, sent, failed and withheld, of the cases you may see."""
    from engine.service.outbox import listing_for

    with liaison(school) as engine:
        emit(listing_for(engine, me(engine, actor)), as_json)


@app.command()
def post(actor: AsOpt = None, school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """Make the print pack of the letters queued for post: one PDF in postcode order
    behind a cover sheet; each letter recorded as posted (deemed received on the second
    working day); who made it is recorded, as the web page's downloads of it are."""
    from engine.service import packs

    with liaison(school) as engine:
        emit(packs.make(engine, me(engine, actor)), as_json)


@app.command()
def bounces(source: Annotated[Path, typer.Argument(
                help="A Maildir folder the bounce reports arrive in, or one message file.")],
            school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """Record the bounce reports (delivery status notifications) of emails the outbox
    sent: each letter reported failed is marked bounced and is on the due list."""
    from engine.service.bounces import read_bounces

    with liaison(school) as engine:
        done = read_bounces(engine, source)
        emit(Message(done.as_lines(), done.as_json()), as_json)
