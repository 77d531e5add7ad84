"""Reading students and contacts from MIS exports (engine/people.py), with real temp files."""

from __future__ import annotations

import csv
import dataclasses
import io
from collections import defaultdict
from pathlib import Path

import pytest

from engine.core.people import (
    CONTACT_COLUMNS,
    STUDENT_COLUMNS,
    Contact,
    Student,
)
from engine.errors import ImportRowError, InputError
from engine.service.sources import read_contacts, read_students

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
KNOWN = {"S1", "S2", "S3"}

STUDENT = {"id": "S1", "first_name": "Ethan", "last_name": "Hughes", "year": "9",
           "form": "9P", "house": "Kestrel"}
CONTACT = {"id": "C1", "student_id": "S1", "title": "Mrs", "first_name": "Sarah",
           "last_name": "Hughes", "relationship": "Mother", "address_line1": "14 Orchard Close",
           "address_line2": "", "town": "Millbrook", "postcode": "MB4 7QT",
           "email": "sarah@example.com", "phone": "07700 900101", "language": "English",
           "separate_correspondence": "no", "correspondence": "all"}


def csv_text(columns, rows, newline="\n") -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=newline)
    writer.writerow(columns)
    writer.writerows([row[c] for c in columns] for row in rows)
    return out.getvalue()


def write(tmp_path: Path, text: str, name: str = "people.csv", bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return path


def students_file(tmp_path: Path, *rows: dict) -> Path:
    return write(tmp_path, csv_text(STUDENT_COLUMNS, [{**STUDENT, **r} for r in rows]))


def contacts_file(tmp_path: Path, *rows: dict) -> Path:
    return write(tmp_path, csv_text(CONTACT_COLUMNS, [{**CONTACT, **r} for r in rows]))


def one_contact(tmp_path: Path, **fields: str) -> Contact:
    [contact] = read_contacts(contacts_file(tmp_path, fields), KNOWN)
    return contact


def problems(excinfo: pytest.ExceptionInfo[ImportRowError]) -> list[str]:
    return str(excinfo.value).splitlines()


def contact_problem(tmp_path: Path, **fields: str) -> str:
    path = contacts_file(tmp_path, fields)
    with pytest.raises(ImportRowError) as excinfo:
        read_contacts(path, KNOWN)
    [problem] = problems(excinfo)
    return problem.removeprefix(f"{path}:2: ")


def student_problem(tmp_path: Path, **fields: str) -> str:
    path = students_file(tmp_path, fields)
    with pytest.raises(ImportRowError) as excinfo:
        read_students(path)
    [problem] = problems(excinfo)
    return problem.removeprefix(f"{path}:2: ")


# --- the samples -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample_students() -> list[Student]:
    return read_students(SAMPLES / "students.csv")


@pytest.fixture(scope="module")
def sample_contacts(sample_students) -> dict[str, list[Contact]]:
    by_student = defaultdict(list)
    for contact in read_contacts(SAMPLES / "contacts.csv", {s.id for s in sample_students}):
        by_student[contact.student_id].append(contact)
    return by_student


def test_samples_load_cleanly(sample_students, sample_contacts):
    assert 20 <= len(sample_students) <= 30
    assert {s.year for s in sample_students} == {7, 8, 9, 10, 11}
    assert {s.house for s in sample_students} == {"Kestrel", "Heron", "Osprey"}
    assert all(1 <= len(sample_contacts[s.id]) <= 2 for s in sample_students)


def test_samples_every_student_has_someone_to_write_to(sample_students, sample_contacts):
    for student in sample_students:
        assert any(c.receives_letters for c in sample_contacts[student.id]), student.id


def test_sample_s1001_parents_apart_both_want_separate_letters(sample_students, sample_contacts):
    """PWP-3.6: the demo's first student has two parents who each asked in writing."""
    student = sample_students[0]
    assert (student.id, student.year, student.form) == ("S1001", 9, "9P")
    first, second = sample_contacts["S1001"]
    assert first.separate_correspondence and second.separate_correspondence
    assert first.address_lines != second.address_lines


def test_sample_s1002_single_parent_needs_polish_interpreter(sample_contacts):
    """PWP-5.6: an interpreter is obtained where the first language is not English."""
    [parent] = sample_contacts["S1002"]
    assert parent.language == "Polish" and parent.needs_interpreter


def test_sample_s1003_one_parent_eligible_one_barred(sample_contacts):
    assert sorted(c.correspondence for c in sample_contacts["S1003"]) == ["all", "none"]


def test_samples_cover_separated_parents_languages_and_accents(sample_contacts):
    contacts = [c for group in sample_contacts.values() for c in group]
    separate = {c.student_id for c in contacts if c.separate_correspondence}
    assert len(separate) >= 3
    assert {"Polish", "Urdu", "Arabic", "Romanian"} <= {c.language for c in contacts}
    assert "Mrs Zoë O'Brien" in {c.full_name for c in contacts}
    assert any(not c.title for c in contacts)


# --- the dataclasses ---------------------------------------------------------------------

def test_student_full_name(tmp_path):
    [student] = read_students(students_file(tmp_path, {}))
    assert student == Student("S1", "Ethan", "Hughes", 9, "9P", "Kestrel")
    assert student.full_name == "Ethan Hughes"


def test_people_are_frozen(tmp_path):
    contact = one_contact(tmp_path)
    with pytest.raises(dataclasses.FrozenInstanceError):
        contact.correspondence = "none"  # type: ignore[misc]


def test_full_name_and_salutation_with_title(tmp_path):
    contact = one_contact(tmp_path, first_name="Zoë", last_name="O'Brien")
    assert contact.full_name == "Mrs Zoë O'Brien"
    assert contact.salutation == "Dear Mrs O'Brien"


def test_full_name_and_salutation_without_title(tmp_path):
    contact = one_contact(tmp_path, title="", first_name="Zoë", last_name="O'Brien")
    assert contact.full_name == "Zoë O'Brien"
    assert contact.salutation == "Dear Zoë O'Brien"


def test_title_alone_is_enough_without_a_first_name(tmp_path):
    contact = one_contact(tmp_path, title="Mr", first_name="", last_name="Khan")
    assert (contact.full_name, contact.salutation) == ("Mr Khan", "Dear Mr Khan")


def test_address_lines_leave_out_blank_lines(tmp_path):
    contact = one_contact(tmp_path, address_line1="Flat 3", address_line2="",
                          town="Millbrook", postcode=" MB2 5LP ")
    assert contact.address_lines == ("Flat 3", "Millbrook", "MB2 5LP")


@pytest.mark.parametrize("language", ["English", "english", " ENGLISH ", "en", "EN", "eng", ""])
def test_pwp_5_6_no_interpreter_for_english_or_unknown(tmp_path, language):
    """PWP-5.6: an interpreter only where the parent's first language is not English."""
    assert not one_contact(tmp_path, language=language).needs_interpreter


@pytest.mark.parametrize("language", ["Polish", "Urdu", "Arabic", "Romanian", "english?"])
def test_pwp_5_6_interpreter_for_other_languages(tmp_path, language):
    """PWP-5.6: an interpreter is obtained where a parent's first language is not English."""
    assert one_contact(tmp_path, language=language).needs_interpreter


@pytest.mark.parametrize(("value", "expected"), [("all", True), ("ALL", True), ("None", False)])
def test_receives_letters_follows_correspondence(tmp_path, value, expected):
    contact = one_contact(tmp_path, correspondence=value)
    assert contact.correspondence == value.lower()
    assert contact.receives_letters is expected


@pytest.mark.parametrize(("value", "expected"), [
    ("yes", True), ("Y", True), ("TRUE", True), ("True", True),
    ("no", False), ("n", False), ("FALSE", False), (" No ", False),
])
def test_pwp_3_6_separate_correspondence_yes_no(tmp_path, value, expected):
    """PWP-3.6: the written request for separate copies is read from the export's flag."""
    assert one_contact(tmp_path, separate_correspondence=value).separate_correspondence is expected


# --- text: kept exactly, normalised, or refused ------------------------------------------

def test_markup_characters_in_names_are_kept_exactly(tmp_path):
    contact = one_contact(tmp_path, first_name="Zoë", last_name="O'Brien & <Sons>",
                          address_line1='"The Gables", 1 Elm Row')
    assert contact.full_name == "Mrs Zoë O'Brien & <Sons>"
    assert contact.address_line1 == '"The Gables", 1 Elm Row'


def test_text_is_nfc_and_stripped(tmp_path):
    contact = one_contact(tmp_path, first_name="  Zoe\u0308\u00a0", last_name="\tO'Brien ")
    assert contact.first_name == "Zoë" == "Z\u006f\u00eb"
    assert contact.last_name == "O'Brien"


def test_tab_and_line_break_inside_text_are_allowed(tmp_path):
    contact = one_contact(tmp_path, address_line1="Rose Cottage\n3 Mill\tLane")
    assert contact.address_line1 == "Rose Cottage\n3 Mill\tLane"


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x0b", "\x0c", "\x1b", "\x1f", "\ufffe"])
def test_characters_xml_forbids_are_refused(tmp_path, char):
    problem = contact_problem(tmp_path, last_name=f"O'Bri{char}en")
    reason = "not a character" if char == "\ufffe" else "control character"
    assert problem == (f"column 'last_name': character U+{ord(char):04X} at position 6 "
                       f"is not allowed ({reason})")


@pytest.mark.parametrize("char", ["\u202a", "\u202e", "\u2066", "\u2069"])
def test_bidi_controls_are_refused(tmp_path, char):
    problem = contact_problem(tmp_path, first_name=f"Zo{char}ë")
    assert problem == (f"column 'first_name': character U+{ord(char):04X} at position 3 "
                       f"is not allowed (bidirectional control character)")


def test_values_up_to_200_characters_are_allowed(tmp_path):
    assert one_contact(tmp_path, address_line1="x" * 200).address_line1 == "x" * 200


def test_over_long_values_are_refused(tmp_path):
    problem = contact_problem(tmp_path, email="x" * 201)
    assert problem == "column 'email': text is 201 characters long; at most 200 are allowed"


# --- row rules ---------------------------------------------------------------------------

def test_missing_id(tmp_path):
    assert contact_problem(tmp_path, id=" ") == "column 'id': is blank; it is required"


def test_duplicate_id_names_the_first_line(tmp_path):
    path = students_file(tmp_path, {"id": "S1"}, {"id": "S2"}, {"id": "S1"})
    with pytest.raises(ImportRowError) as excinfo:
        read_students(path)
    assert problems(excinfo) == [f"{path}:4: column 'id': duplicate id 'S1' (first on line 2)"]


def test_unknown_student(tmp_path):
    problem = contact_problem(tmp_path, student_id="S9")
    assert problem == "column 'student_id': unknown student 'S9'; import the students first"


def test_known_students_may_be_any_collection(tmp_path):
    path = contacts_file(tmp_path, {})
    assert read_contacts(path, ["S1"]) == read_contacts(path, ("S1",))


@pytest.mark.parametrize("value", ["maybe", "", "1", "oui"])
def test_bad_yes_no(tmp_path, value):
    problem = contact_problem(tmp_path, separate_correspondence=value)
    assert problem == (f"column 'separate_correspondence': '{value}' is not yes or no "
                       f"(use yes/no, y/n or true/false)")


@pytest.mark.parametrize("value", ["some", "", "post only"])
def test_bad_correspondence(tmp_path, value):
    problem = contact_problem(tmp_path, correspondence=value)
    assert problem == f"column 'correspondence': '{value}' is not 'all' or 'none'"


@pytest.mark.parametrize(("value", "expected"), [("1", 1), ("14", 14), (" 7 ", 7), ("09", 9)])
def test_year_groups_1_to_14(tmp_path, value, expected):
    [student] = read_students(students_file(tmp_path, {"year": value}))
    assert student.year == expected


@pytest.mark.parametrize("value", ["0", "15", "-1", "nine", "9.5", "Y9", "\u0669", "\u00b2"])
def test_bad_year(tmp_path, value):
    problem = student_problem(tmp_path, year=value)
    assert problem == f"column 'year': {value!r} is not a year group; use a whole number 1 to 14"


def test_blank_year(tmp_path):
    assert student_problem(tmp_path, year="") == "column 'year': is blank; it is required"


@pytest.mark.parametrize("column", ["first_name", "last_name"])
def test_student_names_are_required(tmp_path, column):
    problem = student_problem(tmp_path, **{column: ""})
    assert problem == f"column '{column}': is blank; it is required"


def test_contact_last_name_is_required(tmp_path):
    assert contact_problem(tmp_path, last_name="") == "column 'last_name': is blank; it is required"


def test_contact_needs_a_first_name_or_a_title(tmp_path):
    problem = contact_problem(tmp_path, title="", first_name="")
    assert problem == "column 'first_name': is blank; give a first name or a title"


def test_one_problem_per_cell(tmp_path):
    problem = contact_problem(tmp_path, correspondence="al\x07l")
    assert problem.startswith("column 'correspondence': character U+0007 at position 3")


@pytest.mark.parametrize(("line", "count"), [("S2,Grace,Adeyemi,9,9K", 5),
                                             ("S2,Grace,Adeyemi,9,9K,Heron,x", 7)])
def test_row_with_wrong_number_of_cells(tmp_path, line, count):
    path = write(tmp_path, csv_text(STUDENT_COLUMNS, [STUDENT]) + line + "\n")
    with pytest.raises(ImportRowError) as excinfo:
        read_students(path)
    assert problems(excinfo) == [f"{path}:3: row has {count} cells but the header has 6; "
                                 f"a comma inside a value needs quotes"]


def test_three_bad_rows_are_all_reported_and_nothing_is_returned(tmp_path):
    path = contacts_file(tmp_path, {"id": "C1"}, {"id": "C2", "student_id": "S9"},
                         {"id": "C3"}, {"id": "C4", "separate_correspondence": "perhaps"},
                         {"id": "C5", "correspondence": "sometimes"})
    with pytest.raises(ImportRowError) as excinfo:
        read_contacts(path, KNOWN)
    assert problems(excinfo) == [
        f"{path}:3: column 'student_id': unknown student 'S9'; import the students first",
        f"{path}:5: column 'separate_correspondence': 'perhaps' is not yes or no "
        f"(use yes/no, y/n or true/false)",
        f"{path}:6: column 'correspondence': 'sometimes' is not 'all' or 'none'",
    ]


def test_several_problems_in_one_row_come_in_column_order(tmp_path):
    path = contacts_file(tmp_path, {"id": "", "student_id": "S9", "last_name": ""})
    with pytest.raises(ImportRowError) as excinfo:
        read_contacts(path, KNOWN)
    assert [p.split(": ")[1] for p in problems(excinfo)] == [
        "column 'id'", "column 'student_id'", "column 'last_name'"]


# --- the file: encoding, header, lines ---------------------------------------------------

def test_utf8_bom_from_excel_is_accepted(tmp_path):
    path = write(tmp_path, csv_text(STUDENT_COLUMNS, [STUDENT], newline="\r\n"), bom=True)
    assert [s.id for s in read_students(path)] == ["S1"]


def test_quoted_multi_line_cell_keeps_physical_line_numbers(tmp_path):
    text = (",".join(CONTACT_COLUMNS) + "\r\n"
            'C1,S1,Mrs,Zoë,O\'Brien,Mother,"Rose Cottage\r\n3 Mill Lane",,Millbrook,MB4 8AX,,,,'
            "no,all\r\n"
            "C2,S9,Mr,Seán,O'Brien,Father,Rose Cottage,,Millbrook,MB4 8AX,,,,no,all\r\n"
            'C3,S1,Mr,Imran,"Rah\r\n\r\nman",Father,,,,,,,,no,never\r\n'
            "C4,S1,Ms,Nasreen,Rahman,Mother,,,,,,,,no,nobody\r\n")
    path = write(tmp_path, text)
    with pytest.raises(ImportRowError) as excinfo:
        read_contacts(path, KNOWN)
    assert [p.split(": ")[0] for p in problems(excinfo)] == [
        f"{path}:4", f"{path}:5", f"{path}:8"]


def test_multi_line_cell_is_kept_as_written(tmp_path):
    text = csv_text(CONTACT_COLUMNS, [{**CONTACT, "address_line1": "Rose Cottage\n3 Mill Lane"}])
    [contact] = read_contacts(write(tmp_path, text), KNOWN)
    assert contact.address_line1 == "Rose Cottage\n3 Mill Lane"


def test_blank_lines_are_skipped_but_counted(tmp_path):
    text = csv_text(STUDENT_COLUMNS, [STUDENT]) + "\n,,,,,\n" + "S2,Grace,Adeyemi,99,9K,Heron\n"
    path = write(tmp_path, text)
    with pytest.raises(ImportRowError) as excinfo:
        read_students(path)
    assert problems(excinfo)[0].startswith(f"{path}:5: column 'year': '99'")


def test_columns_may_come_in_any_order(tmp_path):
    columns = tuple(reversed(STUDENT_COLUMNS))
    [student] = read_students(write(tmp_path, csv_text(columns, [STUDENT])))
    assert student.id == "S1"


def test_header_problems_are_all_listed(tmp_path):
    header = "id,first_name,last_name,year,year,form,School House\nS1,a,b,9,9,9P,Kestrel\n"
    path = write(tmp_path, header)
    with pytest.raises(ImportRowError) as excinfo:
        read_students(path)
    assert problems(excinfo) == [
        f"{path}:1: column 'year': appears more than once",
        f"{path}:1: column 'School House': unknown column; expected: "
        "id, first_name, last_name, year, form, house (and optionally looked_after, "
        "date_of_birth)",
        f"{path}:1: column 'house': missing from the header",
    ]


def test_empty_file(tmp_path):
    path = write(tmp_path, "")
    with pytest.raises(ImportRowError, match=r":1: the file is empty; expected the header: id,"):
        read_students(path)


def test_header_only_is_an_empty_list(tmp_path):
    assert read_students(write(tmp_path, ",".join(STUDENT_COLUMNS) + "\n")) == []


def test_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes((",".join(STUDENT_COLUMNS) + "\nS1,Zoë,O'Brien,9,9P,Kestrel\n")
                     .encode("latin-1"))
    with pytest.raises(ImportRowError, match=r"latin1.csv:2: not UTF-8 text"):
        read_students(path)


def test_unclosed_quote_is_reported(tmp_path):
    text = csv_text(STUDENT_COLUMNS, [STUDENT]) + 'S2,"Grace,Adeyemi,9,9K,Heron\n'
    path = write(tmp_path, text)
    with pytest.raises(ImportRowError) as excinfo:
        read_students(path)
    assert problems(excinfo) == [f"{path}:3: not valid CSV (unexpected end of data); "
                                 f"nothing from this line on was read"]


def test_missing_file(tmp_path):
    with pytest.raises(ImportRowError, match=r"nothing.csv: cannot read the file"):
        read_students(tmp_path / "nothing.csv")


def test_import_row_error_is_an_input_error():
    assert issubclass(ImportRowError, InputError)
