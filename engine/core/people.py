"""Students and their contacts, read from the school's MIS exports.

Pure parsing and validation: no database and no output. The store takes the frozen
dataclasses returned here and upserts them by id.

An import is all or nothing. Every row is checked, every problem is collected as
``FILE:LINE: column 'x': what is wrong`` (LINE is the physical line in the file, the
header being line 1), and one ``ImportRowError`` lists them all, so the office can fix
the whole export in one pass. A half-imported list of contacts could send a letter to
the wrong person or miss a parent who asked for their own copy (PWP-3.6).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Collection, Iterator
from dataclasses import dataclass

from engine.core.text import refusal, unprintable
from engine.errors import ImportRowError

_PLAIN_ID = re.compile(r"[!-~]+")

STUDENT_COLUMNS = ("id", "first_name", "last_name", "year", "form", "house")
CONTACT_COLUMNS = (
    "id", "student_id", "title", "first_name", "last_name", "relationship",
    "address_line1", "address_line2", "town", "postcode", "email", "phone", "language",
    "separate_correspondence", "correspondence",
)
# Columns an export may add (older exports have none of them): left out, the default.
STUDENT_OPTIONAL = ("looked_after",  # yes/no: in the care of the local authority (EXC-3)
                    "date_of_birth")  # YYYY-MM-DD: what a pupil file's retention counts from
CONTACT_OPTIONAL = ("kind",)  # one of CONTACT_KINDS; blank is a parent
OPTIONAL_COLUMNS = frozenset(STUDENT_OPTIONAL + CONTACT_OPTIONAL)
# Who a contact is to the school (EXC-3): a parent or carer, whom every letter home goes to,
# or a professional told of an exclusion: the pupil's social worker, the virtual school head
# of a looked-after pupil. A professional never receives the family's letters.
CONTACT_KINDS = ("parent", "social_worker", "virtual_school_head")
MAX_LENGTH = 200
YEAR_GROUPS = range(1, 15)  # Reception is not a row here; Year 1 to Year 14 (post-16)
CORRESPONDENCE = ("all", "none")

_YES = frozenset({"yes", "y", "true"})
_NO = frozenset({"no", "n", "false"})
_ENGLISH = frozenset({"english", "en", "eng"})


@dataclass(frozen=True)
class Student:
    """A student as the MIS exports them."""

    id: str
    first_name: str
    last_name: str
    year: int
    form: str
    house: str
    looked_after: bool = False  # in the care of the local authority (EXC-3)
    date_of_birth: str | None = None  # ISO date; a pupil file is kept until it + 25 years

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class Contact:
    """A parent or carer of one student, with how the school may write to them.

    ``separate_correspondence`` records a written request that this parent gets their
    own copy of everything (PWP-3.6); ``correspondence`` is ``'all'`` or ``'none'``,
    the latter for a contact who must not be written to (e.g. under a court order).
    """

    id: str
    student_id: str
    title: str
    first_name: str
    last_name: str
    relationship: str
    address_line1: str
    address_line2: str
    town: str
    postcode: str
    email: str
    phone: str
    language: str
    separate_correspondence: bool
    correspondence: str
    kind: str = "parent"  # one of CONTACT_KINDS
    # The day a full import (``import contacts --full``) found them gone from the MIS's
    # export: kept for the record, never written to again (engine/core/mirror.py).
    left_on: str | None = None

    @property
    def is_parent(self) -> bool:
        return self.kind == "parent"

    @property
    def full_name(self) -> str:
        """Title, first and last name, e.g. "Mrs Zoë O'Brien"; blank parts are left out."""
        return _join(self.title, self.first_name, self.last_name)

    @property
    def salutation(self) -> str:
        """E.g. "Dear Mrs O'Brien"; with no title, "Dear Zoë O'Brien"."""
        if self.title:
            return f"Dear {self.title} {self.last_name}"
        return f"Dear {_join(self.first_name, self.last_name)}"

    @property
    def address_lines(self) -> tuple[str, ...]:
        """The postal address without blank lines, ready to print on an envelope."""
        lines = (self.address_line1, self.address_line2, self.town, self.postcode)
        return tuple(line for line in lines if line)

    @property
    def needs_interpreter(self) -> bool:
        """True when the contact's language is known and is not English (PWP-5.6)."""
        language = self.language.strip().casefold()
        return bool(language) and language not in _ENGLISH

    @property
    def receives_letters(self) -> bool:
        return self.correspondence == "all" and not self.left_on


def read_students(data: bytes, where: str) -> list[Student]:
    """Read and validate a students export (the file's bytes, named ``where`` in messages);
    raise ImportRowError listing every problem."""
    rows, problems = _read_rows(data, where, STUDENT_COLUMNS + STUDENT_OPTIONAL)
    students = [_student(row) for row in rows]
    _raise_if(problems)
    return students


def read_contacts(data: bytes, where: str, known_students: Collection[str]) -> list[Contact]:
    """Read and validate a contacts export against the ids of students already known.

    Raise ImportRowError listing every problem; nothing is returned if any row is bad.
    """
    return [c for _, c in read_contact_lines(data, where, known_students)]


def read_contact_lines(data: bytes, where: str,
                       known_students: Collection[str]) -> list[tuple[int, Contact]]:
    """``read_contacts`` with each contact's line in the file (for the import's summary)."""
    known = frozenset(known_students)  # the caller may pass a list; rows look up often
    rows, problems = _read_rows(data, where, CONTACT_COLUMNS + CONTACT_OPTIONAL)
    contacts = [(row.line, _contact(row, known)) for row in rows]
    _raise_if(problems)
    return contacts



def read_student_list(data: bytes, where: str,
                      known_students: Collection[str]) -> list[tuple[str, dict[str, str]]]:
    """A list of students for batch letters: an ``id`` column of known students (as in the
    students export), one row each, and any other columns as that student's own values
    (an achievement for a praise letter). Raise ImportRowError listing every problem."""
    first = next(_records(_decode(data, where), where, []), None)
    header = [_clean(name) for name in first[1]] if first else []
    rows, problems = _read_rows(data, where, tuple(dict.fromkeys(header + ["id"])))
    known = frozenset(known_students)
    out = []
    for row in rows:
        student = row.text("id")
        if row.ok("id") and student and student not in known:
            row.problem("id", f"unknown student {_quote(student)}; import the students first")
        out.append((student, {k: v for k, v in row.cells.items() if k != "id"}))
    _raise_if(problems)
    return out

def _id(row: _Row, column: str = "id") -> str:
    """An id from the MIS: printable ASCII without spaces, so no two ids print alike (a
    zero-width space made a second student that printed exactly as S1001)."""
    value = row.text(column)
    if value and row.ok(column) and not _PLAIN_ID.fullmatch(value):
        shown = value.encode("ascii", "backslashreplace").decode("ascii")
        row.problem(column, f"'{shown}' is not an id: ids are letters, digits and signs "
                    "(printable ASCII) without spaces or invisible characters")
    return value


def _student(row: _Row) -> Student:
    return Student(
        id=_id(row),
        first_name=row.text("first_name", required=True),
        last_name=row.text("last_name", required=True),
        year=_year(row),
        form=row.text("form"),
        house=row.text("house"),
        looked_after=bool(row.cells.get("looked_after")) and _yes_no(row, "looked_after"),
        date_of_birth=_birth_date(row),
    )


def _birth_date(row: _Row) -> str | None:
    """An optional date of birth, YYYY-MM-DD (blank: not known)."""
    value = row.text("date_of_birth") if "date_of_birth" in row.cells else ""
    if not value:
        return None
    try:
        born = dt.date.fromisoformat(value)
    except ValueError:
        row.problem("date_of_birth", f"{_quote(value)} is not a date (YYYY-MM-DD)")
        return None
    if born.year < 1900 or len(value) != 10:
        row.problem("date_of_birth", f"{_quote(value)} is not a date of birth (YYYY-MM-DD)")
        return None
    return born.isoformat()


def _contact(row: _Row, known_students: frozenset[str]) -> Contact:
    # Arguments are evaluated in column order, so problems come out in column order.
    return Contact(
        id=_id(row),
        student_id=_student_id(row, known_students),
        title=row.text("title"),
        first_name=_contact_first_name(row),
        last_name=row.text("last_name", required=True),
        relationship=row.text("relationship"),
        address_line1=row.text("address_line1"),
        address_line2=row.text("address_line2"),
        town=row.text("town"),
        postcode=row.text("postcode"),
        email=row.text("email"),
        phone=row.text("phone"),
        language=row.text("language"),
        separate_correspondence=_yes_no(row, "separate_correspondence"),
        correspondence=_correspondence(row),
        kind=_kind(row),
    )


def _kind(row: _Row) -> str:
    value = row.cells.get("kind", "").casefold() or "parent"
    if value not in CONTACT_KINDS and row.ok("kind"):
        row.problem("kind", f"{_quote(value)} is not one of: {', '.join(CONTACT_KINDS)}")
    return value


def _year(row: _Row) -> int:
    value = row.text("year", required=True)
    # isascii() because str.isdigit() also accepts "²" and Arabic-Indic digits.
    if value.isascii() and value.isdigit() and int(value) in YEAR_GROUPS:
        return int(value)
    if row.ok("year"):
        row.problem("year", f"{_quote(value)} is not a year group; use a whole number 1 to 14")
    return 0


def _student_id(row: _Row, known_students: frozenset[str]) -> str:
    value = row.text("student_id", required=True)
    if row.ok("student_id") and value not in known_students:
        row.problem("student_id", f"unknown student {_quote(value)}; import the students first")
    return value


def _contact_first_name(row: _Row) -> str:
    # "Dear Mr Khan" needs no first name, but without a title the salutation uses it.
    value = row.text("first_name")
    if not value and not row.cells["title"] and row.ok("first_name"):
        row.problem("first_name", "is blank; give a first name or a title")
    return value


def _yes_no(row: _Row, column: str) -> bool:
    value = row.text(column)
    if value.casefold() in _YES:
        return True
    if value.casefold() not in _NO and row.ok(column):  # blank is refused too: say which
        row.problem(column, f"{_quote(value)} is not yes or no (use yes/no, y/n or true/false)")
    return False


def _correspondence(row: _Row) -> str:
    value = row.text("correspondence")
    if value.casefold() not in CORRESPONDENCE and row.ok("correspondence"):
        row.problem("correspondence", f"{_quote(value)} is not 'all' or 'none'")
    return value.casefold()


class _Row:
    """One data row: its cleaned cells by column, and where to report its problems.

    A cell gets at most one problem: once a column is marked bad, later checks skip it.
    """

    def __init__(self, where: str, line: int, cells: dict[str, str], problems: list[str]):
        self.where = where
        self.line = line
        self.cells: dict[str, str] = {}
        self._problems = problems
        self._bad: set[str] = set()
        for column, raw in cells.items():
            self.cells[column] = _clean(raw)
            if unsafe := _unsafe_text(raw, self.cells[column]):
                self.problem(column, unsafe)

    def text(self, column: str, *, required: bool = False) -> str:
        value = self.cells[column]
        if required and not value and self.ok(column):
            self.problem(column, "is blank; it is required")
        return value

    def ok(self, column: str) -> bool:
        return column not in self._bad

    def problem(self, column: str, message: str) -> None:
        self._bad.add(column)
        self._problems.append(f"{self.where}:{self.line}: column '{column}': {message}")


def _read_rows(data: bytes, where: str,
               columns: tuple[str, ...]) -> tuple[list[_Row], list[str]]:
    """Parse the file into rows with cleaned cells; problems found so far come back too.

    Header problems stop here: without a sound header no cell can be trusted.
    """
    problems: list[str] = []
    records = _records(_decode(data, where), where, problems)
    first = next(records, None)
    if first is None:
        empty = f"{where}:1: the file is empty; expected the header: {', '.join(columns)}"
        raise ImportRowError("\n".join(problems or [empty]))
    header_line, header = first
    names = [_clean(name) for name in header]
    problems += _header_problems(names, columns, f"{where}:{header_line}")
    _raise_if(problems)
    rows = []
    for line, cells in records:
        if not any(cell.strip() for cell in cells):
            continue  # blank lines, and Excel's ",,,," left after clearing a row
        if len(cells) != len(names):
            problems.append(f"{where}:{line}: row has {len(cells)} cells but the header has "
                            f"{len(names)}; a comma inside a value needs quotes")
            continue
        rows.append(_Row(where, line, dict(zip(names, cells, strict=True)), problems))
    _check_unique_ids(rows)
    return rows, problems


def _decode(data: bytes, path: str) -> str:
    try:
        return data.decode("utf-8-sig")  # "-sig" drops the BOM that Excel writes
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ImportRowError(f"{path}:{line}: not UTF-8 text; in Excel save as "
                             f"'CSV UTF-8 (Comma delimited)'") from exc


def _records(text: str, where: str, problems: list[str]) -> Iterator[tuple[int, list[str]]]:
    """Yield (first physical line, cells) per record; a quoted cell may span lines."""
    # newline="" keeps line breaks inside quoted cells as written; strict=True reports
    # a stray or unclosed quote instead of silently merging cells.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            problems.append(f"{where}:{line}: not valid CSV ({exc}); "
                            f"nothing from this line on was read")
            return
        yield line, cells


def _header_problems(names: list[str], columns: tuple[str, ...], where: str) -> list[str]:
    problems = []
    seen: set[str] = set()
    for name in names:
        if name in seen:
            problems.append(f"{where}: column {_quote(name)}: appears more than once")
        elif name not in columns:
            required = [c for c in columns if c not in OPTIONAL_COLUMNS]
            optional = [c for c in columns if c in OPTIONAL_COLUMNS]
            problems.append(f"{where}: column {_quote(name)}: unknown column; "
                            f"expected: {', '.join(required)}"
                            + (f" (and optionally {', '.join(optional)})" if optional else ""))
        seen.add(name)
    problems += [f"{where}: column '{c}': missing from the header" for c in columns
                 if c not in seen and c not in OPTIONAL_COLUMNS]
    return problems


def _check_unique_ids(rows: list[_Row]) -> None:
    first_line: dict[str, int] = {}
    for row in rows:
        value = row.text("id", required=True)
        if not value or not row.ok("id"):
            continue
        if value in first_line:
            row.problem("id", f"duplicate id {_quote(value)} (first on line {first_line[value]})")
        else:
            first_line[value] = row.line


def _clean(raw: str) -> str:
    """NFC, so "Zoë" typed two ways is one name; surrounding whitespace (and NBSP) goes."""
    return unicodedata.normalize("NFC", raw).strip()


def _unsafe_text(raw: str, cleaned: str) -> str | None:
    """Why the text cannot go into a letter or be shown on a terminal, or None when it
    can (C1 controls and DEL are legal XML, but a terminal acts on them)."""
    return (refusal(raw, MAX_LENGTH, len(cleaned))
            or unprintable(raw.replace("\r\n", "\n")))


def _quote(value: str) -> str:
    """A value for a one-line message: quoted, escaped, and cut short if long."""
    return repr(value if len(value) <= 40 else value[:40] + "…")


def _join(*parts: str) -> str:
    return " ".join(part for part in parts if part)


def _raise_if(problems: list[str]) -> None:
    if problems:
        raise ImportRowError("\n".join(problems))
