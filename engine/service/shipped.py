"""The shipped demo school: new school directories and the demo walk-through.

In a source checkout the repository root *is* the demo school; an installed wheel carries
the same files as ``engine/_school`` (see pyproject.toml), so both are found here.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import shutil
from pathlib import Path
from typing import Any

from engine.core.school import SCHOOL_FILE
from engine.errors import InputError
from engine.service.liaison import Liaison
from engine.service.views import Followed, Message, Row, listing
from engine.store import files

PARTS = ("school.yaml", "workflows", "letters", "samples")


def source() -> Path:
    """Where the shipped school lives: the checkout's root, else the installed copy."""
    package = Path(__file__).resolve().parents[1]  # engine/
    checkout = package.parent
    if (checkout / SCHOOL_FILE).is_file() and (checkout / "workflows").is_dir():
        return checkout
    return package / "_school"


def copy_school(target: Path) -> None:
    """A new school directory from the shipped defaults; refuses to overwrite one."""
    if target.exists() and any(target.iterdir()):
        raise InputError(f"{target}: already exists and is not empty")
    origin = source()
    target.mkdir(parents=True, exist_ok=True)
    for part in PARTS:
        path = origin / part
        if path.is_dir():
            shutil.copytree(path, target / part, ignore=shutil.ignore_patterns("__*"))
        else:
            shutil.copy2(path, target / part)
    files.private_folder(target / "cases")  # owner-only: disclosures, parents' addresses
    _name_school(target)


def _name_school(target: Path) -> None:
    """Give the new school its own school_id (the folder's name and a random part): two
    schools made for one trust's database never share one by accident."""
    slug = re.sub(r"[^a-z0-9]+", "-", target.resolve().name.lower()).strip("-")[:30].strip("-")
    school_id = f"{slug or 'school'}-{secrets.token_hex(3)}"
    path = target / SCHOOL_FILE
    said = "# This school among others in one database (see README, 'For a trust')."
    lines = [ln for ln in path.read_text("utf-8").splitlines(keepends=True)
             if not ln.startswith(("school_id:", said))]
    path.write_text(f"{said}\nschool_id: {school_id}\n{''.join(lines)}", "utf-8")


def init(target: Path) -> Message:
    """``liaison init DIR``: a new school directory, and what to do next from here."""
    copy_school(target)
    return Message((f"made {target}: edit {target / SCHOOL_FILE} (the school's name, "
                    "address, term dates and staff), then:",
                    f"  cd {target} && liaison check"), {"school": str(target)})


def reset_demo(target: Path) -> None:
    """A fresh demo school at ``target``: copied anew, or its cases/ emptied. One person
    plays every member of staff in the demo, so its CLI believes ``--as``."""
    if (target / SCHOOL_FILE).is_file():
        shutil.rmtree(target / "cases", ignore_errors=True)
        files.private_folder(target / "cases")
        _name_school(target)  # in a shared database, a new tenant: the old one's cases stay
    else:
        copy_school(target)
    trust_the_cli(target)


def trust_the_cli(target: Path) -> None:
    """school.yaml's ``security.cli_identity`` set to ``trust`` (the demo; tests)."""
    path = target / SCHOOL_FILE
    text = path.read_text(encoding="utf-8")
    if "  cli_identity: os_user\n" in text:
        path.write_text(text.replace("  cli_identity: os_user\n", "  cli_identity: trust\n"),
                        encoding="utf-8")
    elif "\nsecurity:" not in text:
        path.write_text(text + "\nsecurity:\n  cli_identity: trust\n", encoding="utf-8")


# The demo walk: a parent's conduct from an incident to a site ban and back (HSP-2..6).
STEPS: list[tuple[str, str, dict[str, list[str]], str]] = [
    ("request_meeting", "OF01", {"meeting_at": ["2026-11-26T15:30"], "with_staff": ["HY09"]},
     "2026-11-23T10:05"),
    ("end_meeting", "HY09", {"ended_because": ["Mrs O'Brien shouted at Mr Reilly and refused "
                                               "to lower her voice"]}, "2026-11-26T15:50"),
    ("reconvene_meeting", "VP02", {"meeting_at": ["2026-12-01T16:15"], "with_staff": ["VP02"]},
     "2026-11-27T09:00"),
    ("record_meeting", "VP02", {"attendees": ["Mrs Zoë O'Brien", "Mr Samuel Okafor"],
                                "actions": ["Messages to staff go through the School Office",
                                            "A weekly phone call from the Head of Year"]},
     "2026-12-01T17:00"),
    ("repeat_incident", "HY09", {"repeat_date": ["2026-12-03"],
                                 "repeat_summary": ["Abusive emails to three teachers"]},
     "2026-12-03T12:00"),
    ("seek_legal_advice", "VP02", {"grounds": ["Persistent abusive emails and posts on social "
                                               "media naming staff"]}, "2026-12-04T09:30"),
    ("issue_site_ban", "HT01", {"ban_from": ["2026-12-07"], "review_on": ["2027-01-15"],
                                "contact_route": ["by letter or email to the School Office, "
                                                  "office@hillcrest-academy.example.org"],
                                "reasons": ["After my formal warning of 3 December you sent "
                                            "abusive emails to three teachers and posted "
                                            "messages naming staff on social media"],
                                "representations_by": ["2026-12-14"],
                                "arrangements": ["Liam's grandmother, or you from the "
                                                 "pavement outside the Orchard Lane gate, may "
                                                 "drop Liam off at 8.30am and collect him at "
                                                 "3.15pm; a member of staff will meet him at "
                                                 "the gate"]}, "2026-12-04T15:00"),
    ("confirm_ban", "HT01", {"review_on": ["2027-01-15"]}, "2026-12-15T09:00"),
    ("lift_ban", "HT01", {"lift_reason": ["You have agreed to the restorative plan, and "
                                             "there have been no further incidents"]},
     "2027-01-14T10:00"),
    ("resolve", "VP02", {"outcome": ["A restorative meeting was held and a fresh start agreed"]},
     "2027-01-15T16:30"),
    ("close", "VP02", {}, "2027-01-18T09:00"),
]

OPEN = {"contact": ["C2006"], "incident_date": ["2026-11-20"], "severity": ["concern"],
        "incident_summary": ["Mrs O'Brien shouted at reception staff & would not leave"]}


def run_demo(target: Path) -> list[dict[str, Any]]:
    """Reset the demo school at ``target``, import its people, walk one conduct case."""
    reset_demo(target)
    # The demo replays a term's events: its clock follows the story, so each step is
    # recorded when it happens and no step is "in the future".
    story = {"now": dt.datetime(2026, 11, 23, 9, 40)}
    engine = Liaison.at(target.resolve(), clock=lambda: story["now"])
    try:
        engine.import_students(target / "samples" / "students.csv")
        engine.import_contacts(target / "samples" / "contacts.csv")
        outcome = engine.open("conduct_escalation", "S1004", "HY09", OPEN)
        rows = [_row(outcome.case, "open", d) for d in outcome.documents]
        for event, actor, given, at in STEPS:
            story["now"] = dt.datetime.fromisoformat(at)
            outcome = engine.advance(outcome.case, event, actor, given)
            rows += [_row(outcome.case, event, d) for d in outcome.documents]
        return rows
    finally:
        engine.close()


def _row(case: str, event: str, made: Any) -> dict[str, Any]:
    return {"case": case, "event": event, "template": made.template,
            "recipient": made.recipient, "path": made.path, "sha256": made.sha256}


def demo(target: Path) -> Followed:
    """``liaison demo``: the demo walked, its letters listed to fit a narrow terminal (the
    folder said once in the title; the JSON keeps every path whole)."""
    rows = run_demo(target)
    folder = Path(rows[0]["path"]).parent.as_posix() if rows else "cases/documents"
    letters = listing(f"Letters written in {target}/{folder}/", ("event", "letter", "to"), [
        Row(r, (r["event"], r["template"].removesuffix(".docx"), r["recipient"]))
        for r in rows])
    case = rows[0]["case"] if rows else ""
    return Followed(letters, Message((
        "What to do next, from here: the case, its audit trail, its letters",
        f"  liaison show {case} --as OF01 --school {target}",
        f"  liaison history {case} --as OF01 --school {target}",
        f"  liaison documents --case {case} --as OF01 --school {target}")))
