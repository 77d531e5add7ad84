"""The print pack of the post on the web page (issue 10, over issue 12's ``liaison
post``): made, listed and downloaded by the senders alone (the office and leaders, as a
batch of letters home), each making and each download written down first, with who,
which door and when (table ``pack_audit``). A pack's name is looked up among the packs
the school made: nothing outside ``cases/packs`` is ever sent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.core.school import Staff
from engine.errors import NotFound, PermissionDenied
from engine.service.liaison import Liaison
from engine.service.views import Message
from engine.store.packs import PackAudit


def may_make(engine: Liaison, actor_id: str) -> bool:
    """Whether this member of staff may make and download print packs."""
    return bool(engine.school.member(actor_id).roles & engine.school.group("senders"))


def _sender(engine: Liaison, actor_id: str, what: str) -> Staff:
    who = engine.school.member(actor_id)
    if not may_make(engine, actor_id):
        senders = ", ".join(sorted(engine.school.group("senders")))
        raise PermissionDenied(f"{who.id} ({who.name}) may not {what}: only {senders}")
    return who


def make(engine: Liaison, actor_id: str) -> Message:
    """Today's print pack (``liaison post``), recorded as made by this member of staff."""
    from engine.service.post import print_pack

    who = _sender(engine, actor_id, "make a print pack")
    made = print_pack(engine, actor_id)
    data: dict[str, Any] = made.data or {}
    if data.get("pack"):
        PackAudit(engine.store).record(
            data["pack"], "made", who.id, who.name, engine.door,
            engine.clock().isoformat(timespec="seconds"), data["letters"], data["sha256"])
    return made


def packs(engine: Liaison, actor_id: str) -> list[dict[str, Any]]:
    """The packs made, newest first: each with who made it, when, how many letters, and
    how many times it was downloaded."""
    _sender(engine, actor_id, "see the print packs")
    out: dict[str, dict[str, Any]] = {}
    for row in PackAudit(engine.store).rows():
        if row["action"] == "made":
            out[row["pack"]] = {**row, "name": Path(row["pack"]).name, "downloads": 0}
        elif row["pack"] in out:
            out[row["pack"]]["downloads"] += 1
    return sorted(out.values(), key=lambda r: r["id"], reverse=True)


def download(engine: Liaison, actor_id: str, name: str) -> Path:
    """A pack's PDF by its file name, its download recorded before it is given."""
    who = _sender(engine, actor_id, "download a print pack")
    made = {Path(r["pack"]).name: r["pack"] for r in PackAudit(engine.store).rows()
            if r["action"] == "made"}
    base = (engine.school.root / "cases" / "packs").resolve()
    path = (engine.school.root / made[name]).resolve() if name in made else None
    if path is None or not path.is_relative_to(base) or not path.is_file():
        raise NotFound(f"no print pack '{name}'")
    PackAudit(engine.store).record(made[name], "downloaded", who.id, who.name, engine.door,
                                   engine.clock().isoformat(timespec="seconds"))
    return path
