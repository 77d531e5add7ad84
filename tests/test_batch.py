"""Batch letters home, driven through the CLI on a real school (NSW-4, NSW-6, PWP-3.6).

`liaison letters batch` makes one letter per eligible contact of each selected student:
a joint letter to parents who share correspondence, a letter of their own to each who
asked (PWP-3.6), none to a contact barred from correspondence (counted). Each letter is
reopened from disk and its text asserted, and the documents table is checked against the
files: every letter recorded against its student with its SHA-256 and batch key, no file
without a row, no row without a file. A re-run makes nothing twice; a batch stopped by a
letter that cannot be made keeps the students before it, leaves nothing of that student,
and a re-run completes it.

The CLI runs on the real clock, so letters are dated today.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import Run, case_files, case_in, letter_text, year_12

from engine.core.context import long_date
from engine.core.fields import batch_value
from engine.errors import ConflictError
from engine.service import batch
from engine.service.liaison import Liaison
from engine.store.database import DocumentRow

Cli = Callable[..., Run]
OPTIONS = ["--set", "evening_date=2027-02-04", "--set", "start_time=18:00",
           "--set", "end_time=20:00", "--set", "venue=the Main Hall",
           "--set", "return_by=2027-02-26"]
BATCHES = "cases/documents/batches"
HEAD = ("Hillcrest Academy\nOrchard Lane, Millbrook, Westshire, MB4 7QT\n"
        "Telephone 01632 960410 · office@hillcrest-academy.example.org\n"
        "Hillcrest Academy · www.hillcrest-academy.example.org")


def options(school_cli: Cli, *args: str) -> Run:
    """The options evening letter to Year 9 (five students, six letters), as JSON."""
    return school_cli("letters", "batch", "options_evening", "--as", "OF01", "--year", "9",
                      *OPTIONS, "--json", *args)


def batch_rows(liaison: Liaison) -> list[dict[str, object]]:
    return [d for d in liaison.store.documents() if d["batch_key"]]


def batch_files(school: Path) -> dict[str, str]:
    return {p: h for p, h in case_files(school).items() if p.startswith(BATCHES)}


def assert_rows_name_the_files(liaison: Liaison, school: Path) -> None:
    """Every batch letter on disk has its row, with its hash and size, and vice versa."""
    rows = batch_rows(liaison)
    files = batch_files(school)
    assert {r["path"] for r in rows} == set(files)
    for row in rows:
        assert row["sha256"] == files[str(row["path"])]
        assert row["size"] == (school / str(row["path"])).stat().st_size
        assert row["case_id"] is None and row["event_id"] is None


def letters_by_key(liaison: Liaison, school: Path) -> dict[str, str]:
    """Each batch letter's text by "student:recipient"."""
    return {str(r["batch_key"]).split(":", 1)[1]: letter_text(school, str(r["path"]))
            for r in batch_rows(liaison)}


def change_contact(cli: Cli, school: Path, tmp_path: Path, contact: str, **columns: str) -> None:
    """Re-import the sample contacts with one contact's columns changed."""
    source = school / "samples" / "contacts.csv"
    rows = list(csv.DictReader(io.StringIO(source.read_text(encoding="utf-8"))))
    for row in rows:
        if row["id"] == contact:
            row.update(columns)
    target = tmp_path / f"contacts-{contact}.csv"
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert cli("import", "contacts", target, "--school", school).code == 0


def student_list(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "students.csv"
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------ the letters


# Year 9's addressees: (student, first name, form, addressee, address, salutation, language)
YEAR_9 = {
    "S1001:C2001": ("Ethan Hughes", "Ethan", "9P", "Mrs Sarah Hughes",
                    ["14 Orchard Close", "Millbrook", "MB4 7QT"], "Dear Mrs Hughes", None),
    "S1001:C2002": ("Ethan Hughes", "Ethan", "9P", "Mr Daniel Hughes",
                    ["Flat 3", "27 Station Road", "Millbrook", "MB2 5LP"], "Dear Mr Hughes",
                    None),
    "S1006:C2010": ("Andrei Popescu", "Andrei", "9R", "Mrs Ioana Popescu",
                    ["17 Tanner's Row", "Millbrook", "MB1 6PB"], "Dear Mrs Popescu",
                    "Romanian"),
    "S1011:C2018": ("Grace Adeyemi", "Grace", "9K", "Dr Folake Adeyemi",
                    ["28 Harrow Lane", "Millbrook", "MB6 1QS"], "Dear Dr Adeyemi", None),
    "S1015:C2024": ("Yusuf Al-Sayed", "Yusuf", "9P", "Mr Omar Al-Sayed",
                    ["19 Sycamore Drive", "Millbrook", "MB5 9FT"], "Dear Mr Al-Sayed",
                    "Arabic"),
    "S1021:C2033": ("Ayesha Malik", "Ayesha", "9R", "Mrs Shazia Malik and Mr Adeel Malik",
                    ["77 Victoria Road", "Millbrook", "MB5 4NZ"], "Dear Mrs Malik and Mr Malik",
                    "Urdu"),
}


def options_letter(key: str, batch_id: str) -> str:
    """The whole text of Year 9's options evening letter to one addressee."""
    student, first, form, name, address, salutation, language = YEAR_9[key]
    interpreter = ([f"If it would help, we will arrange an interpreter ({language}) for any "
                    "meeting with the school, at no cost to you. Please tell us when you "
                    "reply."] if language else [])
    return "\n".join([
        long_date(dt.date.today()), "", name, *address, "",
        f"Our reference: LH-{dt.date.today().year}-{batch_id.split('-')[1].upper()}-"
        f"{key.split(':')[0]}", "",
        f"{salutation},", f"Re: {student}, Year 9 ({form})", "Year 9 Options Evening",
        f"Over the coming weeks {first} will choose the subjects to study next year. These "
        f"choices matter, and we would like to help you and {first} make them together.",
        "You are warmly invited to our Options Evening on Thursday 4 February 2027, from "
        "6pm to 8pm, in the Main Hall. The evening begins with a short talk on how the "
        "options process works; you can then visit the subject stands and ask teachers about "
        "each course, how it is assessed and where it can lead.",
        f"{first} will receive the options booklet, which describes every course, in tutor "
        "time. Please read it together, and return the completed options form to the School "
        "Office by Friday 26 February 2027.",
        *interpreter,
        "If you have any questions, please contact the School Office on 01632 960410 or at "
        "office@hillcrest-academy.example.org.",
        "Yours sincerely,", "", "", "Mrs Janet Cole", "Office Manager", HEAD])


def test_nsw_4_options_evening_goes_to_every_eligible_contact_of_year_9(
        school_cli: Cli, liaison: Liaison, school: Path) -> None:
    """NSW-4 (special events), PWP-3.6: Ethan's parents asked for separate letters and get
    one each at their own address; the Maliks share one, offering an Urdu interpreter."""
    run = options(school_cli)
    assert run.code == 0, run.err
    summary = run.json()
    batch_id = summary["batch"]
    assert batch_id.startswith("options_evening-") and len(batch_id) == len("options_evening-") + 8
    assert summary == {"batch": batch_id, "template": "options_evening.docx",
                       "folder": f"{BATCHES}/{batch_id}", "students": 5, "made": 6,
                       "skipped": {"already_made": 0, "barred": 0, "no_contact": 0},
                       "barred": [], "no_contact": [], "left": [], "pdfs": 0}
    texts = letters_by_key(liaison, school)
    assert set(texts) == set(YEAR_9)
    for key, text in texts.items():
        assert text == options_letter(key, batch_id), key
    assert_rows_name_the_files(liaison, school)


def test_each_letter_is_recorded_against_its_student_with_its_hash(
        school_cli: Cli, liaison: Liaison, school: Path) -> None:
    batch_id = options(school_cli).json()["batch"]
    rows = batch_rows(liaison)
    assert sorted((r["student_id"], r["recipient_id"], r["recipient_name"]) for r in rows) == [
        ("S1001", "C2001", "Mrs Sarah Hughes"), ("S1001", "C2002", "Mr Daniel Hughes"),
        ("S1006", "C2010", "Mrs Ioana Popescu"), ("S1011", "C2018", "Dr Folake Adeyemi"),
        ("S1015", "C2024", "Mr Omar Al-Sayed"),
        ("S1021", "C2033", "Mrs Shazia Malik and Mr Adeel Malik")]
    for row in rows:
        data = (school / str(row["path"])).read_bytes()
        assert row["sha256"] == hashlib.sha256(data).hexdigest()
        assert row["batch_key"] == f"{batch_id}:{row['student_id']}:{row['recipient_id']}"
        assert row["template"] == "options_evening.docx"
    listed = school_cli("documents", "--as", "OF01", "--student", "S1001", "--json").json()
    assert [d["recipient"] for d in listed] == ["Mrs Sarah Hughes", "Mr Daniel Hughes"]


def test_pwp_3_6_a_parent_who_asked_gets_their_own_letter_the_other_theirs(
        school_cli: Cli, liaison: Liaison, school: Path, tmp_path: Path) -> None:
    """Noah's father asked in writing for separate letters; his mother, who did not, gets
    hers alone (nobody left to share it with), at her own address."""
    listed = student_list(tmp_path, "id\nS1018\n")
    run = school_cli("letters", "batch", "options_evening", "--as", "OF01", "--students",
                     listed, *OPTIONS)
    assert run.code == 0, run.err
    texts = letters_by_key(liaison, school)
    assert set(texts) == {"S1018:C2029", "S1018:C2030"}
    assert "\nMrs Laura Bennett\n15 Meadow View\nMillbrook\nMB4 2BG\n" in texts["S1018:C2029"]
    assert "\nDear Mrs Bennett,\n" in texts["S1018:C2029"]
    assert "James" not in texts["S1018:C2029"]
    assert "\nMr James Bennett\nFlat 5\nRiverside Court\nMillbrook\nMB2 7SE\n" in \
        texts["S1018:C2030"]
    assert "Laura" not in texts["S1018:C2030"]


def test_a_barred_contact_is_skipped_and_counted(school_cli: Cli, liaison: Liaison,
                                                 school: Path) -> None:
    """A contact barred from correspondence (a court order) never gets a letter; the
    summary counts and names them."""
    run = school_cli("letters", "batch", "options_evening", "--as", "OF01", "--year", "10",
                     *OPTIONS)
    assert run.code == 0, run.err
    assert run.out.splitlines()[1:] == ["  skipped 1 contacts barred from correspondence: "
                                        "C2005 (S1003)"]
    texts = letters_by_key(liaison, school)
    assert "S1003:C2004" in texts
    assert not any("Imran" in text or "Kingsway" in text for text in texts.values())
    assert all(r["recipient_id"] != "C2005" for r in batch_rows(liaison))


def test_a_student_nobody_may_be_written_to_is_counted(
        school_cli: Cli, liaison: Liaison, school: Path, tmp_path: Path) -> None:
    change_contact(school_cli, school, tmp_path, "C2004", correspondence="none")
    listed = student_list(tmp_path, "id\nS1003\nS1022\n")
    run = school_cli("letters", "batch", "options_evening", "--as", "OF01", "--students",
                     listed, *OPTIONS, "--json")
    summary = run.json()
    assert summary["made"] == 1 and summary["no_contact"] == ["S1003"]
    assert summary["barred"] == [{"student": "S1003", "contact": "C2004"},
                                 {"student": "S1003", "contact": "C2005"}]
    assert [r["student_id"] for r in batch_rows(liaison)] == ["S1022"]


def test_the_summary_says_what_was_made_and_what_was_skipped(school_cli: Cli) -> None:
    first = school_cli("letters", "batch", "options_evening", "--as", "OF01", "--year", "9",
                       *OPTIONS)
    assert first.code == 0, first.err
    (line,) = first.out.splitlines()
    batch_id = line.split(" of batch ")[1].split()[0]
    assert line == (f"made 6 letters of batch {batch_id} for 5 students, in "
                    f"{BATCHES}/{batch_id}")
    again = school_cli("letters", "batch", "options_evening", "--as", "OF01", "--year", "9",
                       *OPTIONS)
    assert again.out.splitlines() == [
        f"made 0 letters of batch {batch_id} for 5 students, in {BATCHES}/{batch_id}",
        "  skipped 6 letters made before in this batch"]


# ------------------------------------------------------------------ re-runs


def test_pwp_3_6_a_re_run_makes_no_duplicates(school_cli: Cli, liaison: Liaison,
                                              school: Path) -> None:
    first = options(school_cli).json()
    before = (batch_rows(liaison), batch_files(school))
    again = options(school_cli).json()
    assert again["batch"] == first["batch"]
    assert (again["made"], again["skipped"]["already_made"]) == (0, 6)
    assert (batch_rows(liaison), batch_files(school)) == before


def test_an_overlapping_selection_sends_nobody_the_same_letter_twice(
        school_cli: Cli, liaison: Liaison) -> None:
    """The batch id leaves the selection out: form 9P after all Year 9 makes nothing."""
    year = options(school_cli).json()
    form = school_cli("letters", "batch", "options_evening", "--as", "OF01", "--form", "9P",
                      *OPTIONS, "--json").json()
    assert form["batch"] == year["batch"]
    assert (form["students"], form["made"], form["skipped"]["already_made"]) == (2, 0, 3)
    assert len(batch_rows(liaison)) == 6


def test_other_values_or_a_named_batch_are_another_batch(school_cli: Cli,
                                                         liaison: Liaison) -> None:
    first = options(school_cli).json()
    moved = school_cli("letters", "batch", "options_evening", "--as", "OF01", "--year", "9",
                       *OPTIONS, "--set", "venue=the Sports Hall", "--json")
    assert moved.code == 1  # venue given twice: the template prints one value
    changed = [a.replace("the Main Hall", "the Sports Hall") for a in OPTIONS]
    other = school_cli("letters", "batch", "options_evening", "--as", "OF01", "--year", "9",
                       *changed, "--json").json()
    named = options(school_cli, "--batch", "reminder").json()
    assert other["batch"] != first["batch"] and other["made"] == 6
    assert named["batch"] == "options_evening-reminder" and named["made"] == 6
    assert len(batch_rows(liaison)) == 18


def test_a_batch_stopped_half_way_keeps_the_students_before_and_a_re_run_completes_it(
        school_cli: Cli, liaison: Liaison, school: Path, tmp_path: Path) -> None:
    """Yusuf's father's record holds "{_%", which a letter cannot print: the batch stops at
    Yusuf, naming him; Ethan's, Andrei's and Grace's four letters are recorded, nothing of
    Yusuf's or Ayesha's is written. Fixed and run again, it makes just the two missing."""
    change_contact(school_cli, school, tmp_path, "C2024", last_name="Al-Sayed{_%")
    stopped = options(school_cli)
    assert stopped.code == 1 and stopped.out == ""
    assert stopped.err.startswith("error: student S1015: letter value 'recipient.name': '{_%' ")
    assert "the batch stopped at student S1015: 4 letters for the students before were made " \
           "and recorded. Fix this and run the same command again" in stopped.err
    assert stopped.err.count("\n") == 1
    assert sorted(letters_by_key(liaison, school)) == ["S1001:C2001", "S1001:C2002",
                                                       "S1006:C2010", "S1011:C2018"]
    assert_rows_name_the_files(liaison, school)

    change_contact(school_cli, school, tmp_path, "C2024", last_name="Al-Sayed")
    done = options(school_cli).json()
    assert (done["made"], done["skipped"]["already_made"]) == (2, 4)
    texts = letters_by_key(liaison, school)
    assert set(texts) == set(YEAR_9)
    for key, text in texts.items():
        assert text == options_letter(key, done["batch"]), key
    keys = [r["batch_key"] for r in batch_rows(liaison)]
    assert len(keys) == len(set(keys)) == 6
    assert_rows_name_the_files(liaison, school)


def test_a_student_gets_all_their_letters_or_none(
        school_cli: Cli, liaison: Liaison, school: Path, tmp_path: Path) -> None:
    """Ethan's mother's letter renders; his father's cannot: neither is written."""
    change_contact(school_cli, school, tmp_path, "C2002", first_name="Dan%_}")
    stopped = options(school_cli)
    assert stopped.code == 1
    assert "student S1001: letter value 'recipient.name': '%_}'" in stopped.err
    assert "0 letters for the students before were made" in stopped.err
    assert batch_rows(liaison) == [] and batch_files(school) == {}


def test_groups_larger_than_one_transaction_are_all_recorded(
        liaison: Liaison, school: Path, tmp_path: Path) -> None:
    """More students than one group (batch.GROUP): the progress reaches every student, and
    every letter is recorded once (through the engine, on the test's fixed clock)."""
    count = batch.GROUP * 2 + 7
    year_12(liaison, tmp_path, count)
    seen: list[tuple[int, int]] = []
    given = {k: [v] for k, v in (a.split("=", 1) for a in OPTIONS[1::2])}
    summary = batch.send(liaison, "options_evening", "HY09", batch.Selection(year=12), given,
                         progress=lambda done, total: seen.append((done, total)))
    assert summary.made == count
    assert seen == [(n, count) for n in range(count + 1)]
    assert len({r["batch_key"] for r in batch_rows(liaison)}) == count
    first = letter_text(school, str(batch_rows(liaison)[0]["path"]))
    assert first.startswith("Monday 23 November 2026\n\nMs Jo Lee\n1 High St\n")
    assert "\nMr Tom Reilly\nHead of Year 9\n" in first  # the sender signs


# ------------------------------------------------------------------ bans, lists, fields


def test_a_site_ban_on_a_parent_gives_the_written_route_in_a_batch_letter(
        school_cli: Cli, liaison: Liaison, school: Path, tmp_path: Path) -> None:
    """NSW-4 attendance letter to the O'Briens while a site ban is in force on Mrs O'Brien:
    no invitation in or to call; they may write by the route the ban gives."""
    case_in(liaison, "site_ban_issued")
    listed = student_list(tmp_path, "id,attendance\nS1004,88.5%\nS1008,91.0%\n")
    run = school_cli("letters", "batch", "attendance_concern", "--as", "HH01", "--students",
                     listed, "--set", "period=since the start of the Autumn term")
    assert run.code == 0, run.err
    texts = letters_by_key(liaison, school)
    banned, father, other = texts["S1004:C2006"], texts["S1004:C2007"], texts["S1008:C2013"]
    # The ban is on Mrs O'Brien, not on the letter: she gets her own copy (HSP-5).
    assert "\nMrs Zoë O'Brien\nRose Cottage\n" in banned and "Seán" not in banned
    assert ("I am writing because Liam's attendance since the start of the Autumn term is "
            "88.5%.") in banned
    assert ("Please write to us within the next two weeks to tell us about any "
            "difficulties") in banned
    assert banned.count("by letter to the School Office") == 1
    assert ("While the present arrangements are in force, please do not come to the school "
            "site or contact members of staff. You may write to the school by letter to the "
            "School Office.") in banned
    assert "please telephone" not in banned and "arrange a meeting" not in banned
    assert "Kwame's attendance since the start of the Autumn term is 91.0%." in other
    assert "Please contact the School Office within the next two weeks to arrange a " \
           "meeting with Kwame's Head of Year" in other
    assert "present arrangements" not in other
    assert "\nMr Seán O'Brien\nRose Cottage\n" in father
    assert "Please contact the School Office within the next two weeks to arrange a " \
           "meeting with Liam's Head of Year" in father
    assert "present arrangements" not in father


def test_nsw_6_praise_letters_carry_each_students_own_achievement(
        school_cli: Cli, liaison: Liaison, school: Path, tmp_path: Path) -> None:
    listed = student_list(tmp_path, (
        "id,first_name,achievement\n"
        "S1008,Kwame,\"Kwame won the Year 7 public speaking competition, speaking about "
        "rivers & floods.\"\n"
        "S1012,Finley,Finley has not missed a single day this term.\n"))
    run = school_cli("letters", "batch", "praise_letter", "--as", "HY09", "--students", listed,
                     "--set", "term=the Autumn term 2026", "--json")
    assert run.code == 0, run.err
    assert run.json()["made"] == 3  # Finley's parents asked for a letter each (PWP-3.6)
    texts = letters_by_key(liaison, school)
    assert ("I am delighted to write to you with some very good news about Kwame's "
            "achievements during the Autumn term 2026.\nKwame won the Year 7 public speaking "
            "competition, speaking about rivers & floods.\nAchievements like this deserve to "
            "be recognised, and Kwame should be very proud.") in texts["S1008:C2013"]
    for key in ("S1012:C2019", "S1012:C2020"):
        assert "\nFinley has not missed a single day this term.\n" in texts[key]
        assert "Kwame" not in texts[key]
    assert "\nMr Tom Reilly\nHead of Year 9\n" in texts["S1008:C2013"]


def test_nsw_4_trip_permission_lists_what_to_bring_and_has_a_consent_slip(
        school_cli: Cli, liaison: Liaison, school: Path, tmp_path: Path) -> None:
    listed = student_list(tmp_path, "id\nS1022\n")
    run = school_cli(
        "letters", "batch", "trip_permission", "--as", "OF01", "--students", listed,
        "--set", "trip=a visit to the Natural History Museum, London",
        "--set", "trip_date=2027-03-10",
        "--set", "purpose=The visit supports the Year 10 biology course on evolution.",
        "--set", "departs=the main entrance at 8.15am", "--set", "returns=17:00",
        "--set", "cost=£18.50", "--set", "pay_by=2027-02-26",
        "--set", "reply_by=2027-02-19",
        "--set", "bring=a packed lunch", "--set", "bring=a waterproof coat", "--json")
    assert run.code == 0, run.err
    batch_id = run.json()["batch"]
    (text,) = letters_by_key(liaison, school).values()
    assert ("Tomasz has the opportunity to take part in a visit to the Natural History "
            "Museum, London on Wednesday 10 March 2027. The visit supports the Year 10 "
            "biology course on evolution.") in text
    assert ("The cost of the visit is £18.50, to be paid by Friday 26 February 2027. No "
            "student will miss a visit because of its cost") in text
    assert ("Please make sure Tomasz brings:\na packed lunch\na waterproof coat\n"
            "Please complete the consent slip below") in text
    assert (f"Consent slip: a visit to the Natural History Museum, London, Wednesday 10 March "
            f"2027 (reference LH-{dt.date.today().year}-{batch_id.split('-')[1].upper()}-"
            f"S1022)\nI give permission for Tomasz Zieliński (10P) to "
            "take part in a visit to the Natural History Museum, London on Wednesday 10 "
            "March 2027.") in text
    assert "Signed (parent or carer): ______________________    Date: ______________" in text


def test_every_batch_template_renders_with_its_fields(
        school_cli: Cli, liaison: Liaison, school: Path, tmp_path: Path) -> None:
    """Each batch template in letters/ (whatever is added later), given a distinct value
    for each field it needs, prints every value and no tag."""
    shipped = [t for t in batch.templates(liaison.school) if t["batch"]]
    assert {t["template"] for t in shipped} >= {"options_evening.docx", "praise_letter.docx",
                                               "attendance_concern.docx", "trip_permission.docx"}
    listed = student_list(tmp_path, "id\nS1006\n")
    typed = {"date": "2027-03-0{}", "time": "18:3{}", "money": "1{}.50", "percent": "8{}.5"}
    for template in shipped:
        assert set(template["types"]) == set(template["fields"]), template  # all declared
        given, values = [], []
        for name in template["fields"]:
            kind = template["types"][name]
            for n in ((1, 2) if name in template["lists"] else (1,)):
                value = typed.get(kind, f"{template['template']} {name} {{}}").format(n)
                given += ["--set", f"{name}={value}"]
                values.append(batch_value(kind, value, name))
        run = school_cli("letters", "batch", template["template"], "--as", "OF01",
                         "--students", listed, *given, "--json")
        assert run.code == 0, (template, run.err)
        (row,) = [r for r in batch_rows(liaison) if r["template"] == template["template"]]
        text = letter_text(school, str(row["path"]))
        for value in values:  # a quoted note is printed as a sentence: capital, full stop
            assert value.lower() in text.lower(), (template["template"], value)
        assert "{{" not in text and "{%" not in text
        assert "Dear Mrs Popescu," in text and "interpreter (Romanian)" in text


# ------------------------------------------------------------------ refused, nothing written


@pytest.mark.parametrize("args,message", [
    (["options_evening", "--as", "FT01", "--year", "9", *OPTIONS],
     "error: FT01 (Mr Daniel Price) may not send batch letters: only assistant_head, "
     "deputy_head, head_of_house, head_of_year, headteacher, learning_director, office, "
     "pastoral_lead, senior_leader, vp_pastoral, vp_teaching_learning"),
    (["options_evening", "--as", "NOBODY", "--year", "9", *OPTIONS],
     "error: unknown member of staff 'NOBODY' (see 'liaison staff')"),
    (["options_evening", "--as", "OF01", "--year", "9", *OPTIONS[:4]],
     "error: options_evening.docx needs end_time, return_by, venue: give --set end_time=... "
     "--set return_by=... --set venue=..."),
    (["options_evening", "--as", "OF01", "--year", "9", *OPTIONS, "--set", "venu=Hall"],
     "error: options_evening.docx does not use venu (it uses: end_time, evening_date, "
     "return_by, start_time, venue)"),
    (["options_evening", "--as", "OF01", "--year", "9", *OPTIONS, "--set", "venue=Hall"],
     "error: --set venue is given 2 times; options_evening.docx prints one value"),
    (["options_evening", "--as", "OF01", "--year", "9", *OPTIONS, "--set",
      "start_time=6\x07pm"],
     "error: --set start_time: character U+0007 at position 2 is not allowed (control "
     "character)"),
    (["options_evening", "--as", "OF01", "--year", "9", *OPTIONS[:-2], "--set", "return_by="],
     "error: --set return_by is blank, and options_evening.docx prints it"),
    (["options_evening", "--as", "OF01", *OPTIONS],
     "error: say whom the letters are for: one of --students FILE.csv, --year N or --form F"),
    (["options_evening", "--as", "OF01", "--year", "9", "--form", "9P", *OPTIONS],
     "error: say whom the letters are for: one of --students FILE.csv, --year N or --form F"),
    (["options_evening", "--as", "OF01", "--year", "13", *OPTIONS],
     "error: no students in Year 13 (import students first?)"),
    (["options_evening", "--as", "OF01", "--form", "9Z", *OPTIONS],
     "error: no students in form 9Z (import students first?)"),
    (["options_evening", "--as", "OF01", "--year", "9", "--batch", "a b", *OPTIONS],
     "error: --batch 'a b': use up to 40 letters, digits, '.', '_' or '-', starting with a "
     "letter or digit"),
    (["conduct_site_ban", "--as", "OF01", "--year", "9"],
     "error: conduct_site_ban.docx is a letter of the conduct_escalation workflow: it goes "
     "out when a case is advanced, not in a batch"),
    (["../school", "--as", "OF01", "--year", "9"], "error: no letter template '../school.docx'"),
    (["fees_reminder", "--as", "OF01", "--year", "9"],
     "error: no letter template 'fees_reminder.docx' in "),
])
def test_bad_input_is_one_error_line_and_nothing_is_written(
        school_cli: Cli, liaison: Liaison, school: Path, args: list[str], message: str) -> None:
    before = liaison.store.dump(), case_files(school)
    run = school_cli("letters", "batch", *args)
    assert run.code == 1, (run.out, run.err)
    assert run.err.startswith(message), run.err
    assert run.err.count("\n") == 1 and run.out == ""
    assert (liaison.store.dump(), case_files(school)) == before


def test_an_unknown_template_lists_the_batch_letters(school_cli: Cli) -> None:
    run = school_cli("letters", "batch", "fees_reminder", "--as", "OF01", "--year", "9")
    assert run.err.rstrip().endswith("(batch letters: attendance_concern.docx, "
                                     "options_evening.docx, praise_letter.docx, "
                                     "trip_permission.docx)")


def test_a_student_list_with_unknown_or_repeated_students_is_refused_whole(
        school_cli: Cli, liaison: Liaison, school: Path, tmp_path: Path) -> None:
    listed = student_list(tmp_path, "id,attendance\nS1004,88%\nS9999,70%\nS1004,88%\n")
    before = liaison.store.dump(), case_files(school)
    run = school_cli("letters", "batch", "attendance_concern", "--as", "OF01", "--students",
                     listed, "--set", "period=this term")
    assert run.code == 1
    assert run.err.splitlines() == [
        f"error: {listed}:4: column 'id': duplicate id 'S1004' (first on line 2)",
        f"error: {listed}:3: column 'id': unknown student 'S9999'; import the students first"]
    assert (liaison.store.dump(), case_files(school)) == before


def test_a_student_list_without_an_id_column_is_refused(
        school_cli: Cli, tmp_path: Path) -> None:
    listed = student_list(tmp_path, "student,attendance\nS1004,88%\n")
    run = school_cli("letters", "batch", "attendance_concern", "--as", "OF01", "--students",
                     listed, "--set", "period=this term")
    assert run.code == 1
    assert f"{listed}:1: column 'id': missing from the header" in run.err


def test_a_blank_cell_is_the_set_value_or_refused_if_the_letter_prints_it(
        school_cli: Cli, liaison: Liaison, school: Path, tmp_path: Path) -> None:
    """NSW-4: an attendance letter never says "attendance ... is ." to a parent."""
    listed = student_list(tmp_path, "id,attendance\nS1004,\nS1008,91.0%\nS1014,\n")
    args = ["letters", "batch", "attendance_concern", "--as", "OF01", "--students", listed,
            "--set", "period=this term"]
    refused = school_cli(*args)
    assert refused.err == (f"error: {listed}: blank where attendance_concern.docx prints the "
                           "value, with no --set to fall back on: S1004 (attendance), "
                           "S1014 (attendance)\n")
    assert batch_rows(liaison) == []
    assert school_cli(*args, "--set", "attendance=below 90%").err == (
        "error: --set attendance: 'below 90' is not a number, e.g. 89.5\n")
    assert school_cli(*args, "--set", "attendance=89").code == 0
    texts = letters_by_key(liaison, school)
    assert "Liam's attendance this term is 89%." in texts["S1004:C2006"]
    assert "Kwame's attendance this term is 91.0%." in texts["S1008:C2013"]


def test_a_field_neither_set_nor_in_the_list_is_named(school_cli: Cli, tmp_path: Path) -> None:
    listed = student_list(tmp_path, "id,attendance\nS1004,88%\n")
    run = school_cli("letters", "batch", "praise_letter", "--as", "OF01", "--students", listed)
    assert run.err == ("error: praise_letter.docx needs achievement, term: give --set "
                       "achievement=... --set term=...\n")


def test_two_runs_recording_the_same_letter_conflict(liaison: Liaison) -> None:
    """The batch key is unique in the store: of two runs racing on one batch, the second to
    record a letter gets a ConflictError (and removes its files), never a duplicate."""
    row = DocumentRow(template="praise_letter.docx", recipient_id="C2013",
                      recipient_name="Mrs Abena Mensah", path="cases/documents/batches/x/a.docx",
                      sha256="0" * 64, size=1, student_id="S1008", batch_key="x:S1008:C2013")
    liaison.store.record_documents([row])
    with pytest.raises(ConflictError, match="someone else is sending the same batch"):
        liaison.store.record_documents([replace(row, path="cases/documents/b.docx")])
    assert len(batch_rows(liaison)) == 1
