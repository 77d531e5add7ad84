"""What an import of the MIS's contacts export does to the contacts on file (issue 15,
finding 6: a parent removed from the MIS stayed on file and kept getting letters).

Two modes. The default updates and adds: a contact the file leaves out is kept as it was.
``full`` takes the export as the whole truth: a contact on file that it leaves out is
marked as left (``left_on``: kept for the record, no letters from then on), and one that
comes back is a contact again. In either mode a bar on correspondence (``correspondence:
none``, a court order) is never lifted by the file alone: a row saying ``all`` for a
contact barred here keeps the bar, and the summary says so, until the import names the
contact in ``lift`` (``--lift-bar``).

Pure: the store hands in the contacts on file and writes what comes back, in one
transaction.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.core.people import Contact
from engine.errors import InputError

Row = dict[str, Any]  # a contact as the store keeps it: its columns, with student_id


@dataclass
class ContactsPlan:
    """What an import does: counted and named by id and student (never by name)."""

    where: str
    full: bool
    added: int = 0
    updated: int = 0
    left: list[tuple[str, str]] = field(default_factory=list)  # (contact, student)
    back: list[str] = field(default_factory=list)  # left before, in the file again
    kept_bars: list[tuple[str, str, int]] = field(default_factory=list)  # contact, student, line
    lifted: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return self.added + self.updated


def plan_contacts(on_file: Mapping[str, Row], rows: list[tuple[int, Contact]], where: str,
                  *, full: bool, today: str, lift: Collection[str] = ()
                  ) -> tuple[dict[str, Row], ContactsPlan]:
    """The rows to write (by id) and what they do, given the contacts ``on_file`` and the
    export's ``rows`` (each with its line in ``where``)."""
    _known_bars(on_file, rows, lift, where)
    plan = ContactsPlan(where, full)
    writes: dict[str, Row] = {}
    for line, contact in rows:
        old = on_file.get(contact.id)
        new = dataclasses.asdict(contact)
        if old is None:
            plan.added += 1
        else:
            plan.updated += 1
            if old.get("left_on"):
                plan.back.append(contact.id)
            if _barred(old) and not _barred(new):
                if contact.id in lift:
                    plan.lifted.append(contact.id)
                else:  # the file alone never lifts a court order's bar
                    new["correspondence"] = "none"
                    plan.kept_bars.append((contact.id, contact.student_id, line))
        writes[contact.id] = new
    if full:
        for cid, old in sorted(on_file.items()):
            if cid not in writes and not old.get("left_on"):
                writes[cid] = {**old, "left_on": today}
                plan.left.append((cid, old["student_id"]))
    return writes, plan


def _barred(row: Mapping[str, Any]) -> bool:
    return row.get("correspondence") == "none"


def _known_bars(on_file: Mapping[str, Row], rows: list[tuple[int, Contact]],
                lift: Collection[str], where: str) -> None:
    """Each ``--lift-bar`` names a contact barred here whom the file says to write to."""
    said = {c.id: c for _, c in rows}
    for cid in lift:
        old = on_file.get(cid)
        if old is None or not _barred(old):
            raise InputError(f"--lift-bar {cid}: no contact of that id is barred from "
                             "correspondence here")
        if cid not in said or said[cid].correspondence != "all":
            raise InputError(f"--lift-bar {cid}: {where} does not say correspondence 'all' "
                             f"for {cid}; the bar stays")


def summary_lines(plan: ContactsPlan, dry_run: bool) -> list[str]:
    """What the import did (or, dry run, would do), a line each."""
    verb = "would import" if dry_run else "imported"
    mode = ("full: the file is the whole list, contacts not in it are marked as left"
            if plan.full else "updates and adds: contacts not in the file are kept; "
            "--full marks them as left")
    lines = [f"{verb} {plan.count} contacts from {plan.where} ({plan.added} new, "
             f"{plan.updated} updated; {mode})"]
    if plan.full:
        named = ", ".join(f"{c} ({s})" for c, s in plan.left) or "none"
        lines.append(f"  {'would mark' if dry_run else 'marked'} {len(plan.left)} as left "
                     f"(no letters from now on, kept for the record): {named}")
    if plan.back:
        lines.append(f"  {len(plan.back)} back in the file, a contact again: "
                     + ", ".join(plan.back))
    for cid, student, line in plan.kept_bars:
        lines.append(f"  {plan.where}:{line}: kept the bar on {cid} ({student}): the file says "
                     f"correspondence 'all', but {cid} is barred from correspondence here; "
                     f"lift it with --lift-bar {cid}")
    if plan.lifted:
        lines.append(f"  {'would lift' if dry_run else 'lifted'} the bar on "
                     f"{', '.join(plan.lifted)} (--lift-bar)")
    if dry_run:
        lines.append("dry run: nothing was recorded")
    return lines
