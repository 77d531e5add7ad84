"""The outbox (issue 12): letters are queued as they are made, in the transaction that
records them, one row per (document, channel, recipient); ``delivery:`` of school.yaml and
``send:`` of a document say how (checked at their line). Sending is tests/test_delivery.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from conftest import Run

from engine.service.liaison import Liaison
from engine.service.sources import open_school
from engine.store.outbox import Outbox

Cli = Callable[..., Run]


def configure(school: Path, port: int, extra: str = "", engine: Liaison | None = None) -> None:
    """Give the school a mail server (delivery: of school.yaml); ``engine`` reads it again."""
    with (school / "school.yaml").open("a", encoding="utf-8") as f:
        f.write(f"""
delivery:
  email:
    host: 127.0.0.1
    port: {port}
    starttls: false
    from: letters@hillcrest-academy.example.org
    reply_to: office@hillcrest-academy.example.org
{extra}""")
    if engine is not None:
        engine.school = open_school(school)  # the school's files only: no second store


def set_contact(liaison: Liaison, school: Path, contact: str, **changes: str) -> None:
    """Re-import the sample contacts with one contact's columns changed (the MIS moved on)."""
    import csv
    import io

    text = (school / "samples" / "contacts.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    for row in rows:
        if row["id"] == contact:
            row.update(changes)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    path = school / "contacts-now.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    liaison.import_contacts(path)


# ---------------------------------------------------------------------- queueing


def test_advancing_a_case_queues_its_letters_in_the_same_transaction(
        school_cli: Cli, liaison: Liaison, school: Path) -> None:
    configure(school, 2525)  # nobody listens there: queueing never waits on a server
    run = school_cli("open", "conduct_escalation", "--student", "S1004", "--as", "HY09",
                     "--set", "contact=C2006", "--set", "incident_date=2026-11-20",
                     "--set", "severity=concern", "--set", "incident_summary=Shouted",
                     "--json")
    assert run.code == 0, run.err
    case = run.json()["case"]
    run = school_cli("advance", case, "request_meeting", "--as", "OF01",
                     "--set", "meeting_at=2026-12-26T15:30", "--set", "with_staff=HY09")
    assert run.code == 0, run.err
    assert [(r["case_id"], r["template"], r["channel"], r["status"], r["address"])
            for r in queued(liaison)] == [
        (case, "conduct_meeting_request.docx", "email", "queued", "zoe.obrien@example.com")]
    # one row per (document, channel, recipient): the key is unique in the store
    with liaison.store.reads() as r:
        keys = [k for (k,) in r.conn.exec_driver_sql("SELECT key FROM outbox").all()]
    assert len(keys) == len(set(keys)) == 1


def test_without_delivery_in_school_yaml_nothing_is_queued(school_cli: Cli,
                                                           liaison: Liaison) -> None:
    from conftest import open_conduct

    open_conduct(liaison)
    liaison.advance("CON-2026-0001", "request_meeting", "OF01",
                    {"meeting_at": ["2026-11-26T15:30"], "with_staff": ["HY09"]})
    assert queued(liaison) == []


def test_a_contact_with_no_email_is_queued_by_post(school_cli: Cli, liaison: Liaison,
                                                  school: Path) -> None:
    configure(school, 2525, engine=liaison)
    set_contact(liaison, school, "C2006", email="")
    from conftest import open_conduct

    open_conduct(liaison)
    liaison.advance("CON-2026-0001", "request_meeting", "OF01",
                    {"meeting_at": ["2026-11-26T15:30"], "with_staff": ["HY09"]})
    assert [(r["channel"], r["status"], r["address"]) for r in queued(liaison)] == [
        ("post", "queued", "Rose Cottage\n3 Mill Lane\nMillbrook\nMB4 8AX")]


def test_delivery_config_is_checked_at_its_line(cli: Cli, school: Path) -> None:
    with (school / "school.yaml").open("a", encoding="utf-8") as f:
        f.write("delivery:\n  email:\n    host: mail.example.org\n    password: hunter2\n"
                "    from: a@b.example\n    reply_to: o@b.example\n  send: [email, fax]\n")
    run = cli("check", "--school", school)
    assert run.code == 1
    assert "delivery.email.password: unknown key" in run.err
    assert "delivery.send: unknown channel 'fax'" in run.err
    assert "hunter2" not in run.err


def test_a_document_says_how_it_is_sent(cli: Cli, school: Path) -> None:
    path = school / "workflows" / "conduct_escalation.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("template: conduct_meeting_request.docx",
                        "template: conduct_meeting_request.docx, send: [pigeon]", 1)
    path.write_text(text, encoding="utf-8")
    run = cli("check", "--school", school)
    assert run.code == 1
    assert "send: unknown channel 'pigeon'" in run.err


def queued(engine: Liaison) -> list[dict[str, Any]]:
    return Outbox(engine.store).rows()


def test_a_batch_of_letters_home_is_queued_to_each_parents_address(
        school_cli: Cli, liaison: Liaison, school: Path) -> None:
    configure(school, 2525)
    run = school_cli("letters", "batch", "praise_letter", "--as", "OF01", "--year", "7",
                     "--set", "term=the Autumn term 2026", "--set", "achievement=Good work.")
    assert run.code == 0, run.err
    rows = queued(liaison)
    # S1004's parents share one joint letter: an email to each of their own addresses
    obrien = [r["address"] for r in rows if r["student_id"] == "S1004"]
    assert sorted(obrien) == ["sean.obrien@example.com", "zoe.obrien@example.com"]
    assert len({r["document_id"] for r in rows if r["student_id"] == "S1004"}) == 1
    assert {r["status"] for r in rows} == {"queued"}


def test_an_event_refused_queues_nothing(school_cli: Cli, liaison: Liaison,
                                        school: Path) -> None:
    from conftest import open_conduct

    configure(school, 2525, engine=liaison)
    case = open_conduct(liaison).case
    before = liaison.store.dump()
    run = school_cli("advance", case, "issue_site_ban", "--as", "OF01")
    assert run.code == 1
    assert liaison.store.dump() == before


def test_the_case_page_shows_each_letters_way_out(liaison: Liaison, school: Path) -> None:
    from conftest import PASSWORD_FOR_TESTS, open_conduct

    from engine.service.users import Users
    from engine.web.app import create_app

    configure(school, 2525, engine=liaison)
    case = open_conduct(liaison).case
    liaison.advance(case, "request_meeting", "OF01",
                    {"meeting_at": ["2026-11-26T15:30"], "with_staff": ["HY09"]})
    Users(liaison).set_password("HY09", PASSWORD_FOR_TESTS)
    app = create_app(liaison.school.root, liaison)
    with app.test_client() as client:
        page = client.get("/sign-in").get_data(as_text=True)
        token = page.split('name="csrf_token" value="')[1].split('"')[0]
        client.post("/sign-in", data={"csrf_token": token, "staff_id": "HY09",
                                      "password": PASSWORD_FOR_TESTS})
        page = client.get(f"/cases/{case}").get_data(as_text=True)
    assert "letter queued: queued to go by email" in page
    assert "conduct_meeting_request.docx for Mrs Zoë O&#39;Brien" in page
