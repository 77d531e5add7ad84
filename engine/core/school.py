"""A school: its profile from ``school.yaml`` and its workflows (pure: the files are read by
``engine.service.sources``).

``school.yaml`` holds the letterhead, the school-day calendar and the staff with their
roles. Reading it validates all of it and reports every problem at once as
``FILE:LINE: key: what is wrong``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.core.calendar import SchoolCalendar, calendar_from_config
from engine.core.definitions import Workflow
from engine.core.reader import NAME_RE, Reader
from engine.core.sending import Delivery, parse_delivery
from engine.core.yamlfile import line_of, loads
from engine.errors import DefinitionError, NotFound, PermissionDenied

SCHOOL_FILE = "school.yaml"

# The roles a school's staff hold, when its school.yaml lists none (``roles:``): those of
# the five schools whose policies Liaison was built from.
DEFAULT_ROLES = (
    "office", "subject_teacher", "form_tutor", "head_of_department", "head_of_year",
    "head_of_house", "learning_director", "pastoral_lead", "vp_teaching_learning",
    "vp_pastoral", "assistant_head", "deputy_head", "headteacher", "senior_leader",
    "eal_coordinator", "acting_headteacher", "governor", "clerk_to_governors",
    "chair_of_governors",
)

# The policies whose clauses workflows cite (``clauses: [PWP-5.3]``), by the prefix of their
# clause IDs (docs/CLAUSES.md), when school.yaml registers none (``clauses:``): the five
# schools' policies Liaison was built from. A school adds its own (``CMP: Complaints``).
DEFAULT_CLAUSES: dict[str, str] = {
    "BEM": "The Bemrose School: Home School Liaison Policy (2015)",
    "CLA": "The Clare School: Home/School Liaison Policy",
    "HSP": "Home/School Partnerships Policy (2023)",
    "PWP": "Partnership with Parents Policy (2022)",
    "NSW": "The New School at West Heath: Policy on Home and School Partnership",
    "EXC": "DfE: Suspension and permanent exclusion guidance (2023)",
    "CMP": "Complaints procedure (2026), after the DfE's model procedure",
    "SAR": "UK GDPR: the right of access (Articles 12 and 15, ICO guidance)",
}

# Who may do what the engine itself asks of a group: list every case's deadlines and
# write to a whole year (leaders; senders adds the heads of year and house), mark a case
# child protection (safeguarding, PWP-4.3), dispose of records and hold them (records,
# PWP-5.6). A school's school.yaml may say otherwise
# (``groups:``); a group it does not name keeps its default.
_LEADERS = frozenset({"office", "headteacher", "deputy_head", "assistant_head",
                      "senior_leader", "vp_pastoral", "vp_teaching_learning"})
_PASTORAL = frozenset({"assistant_head", "deputy_head", "head_of_house", "head_of_year",
                       "headteacher", "learning_director", "pastoral_lead", "senior_leader",
                       "vp_pastoral"})
_QUERY = _PASTORAL | {"office", "subject_teacher", "form_tutor", "head_of_department",
                      "vp_teaching_learning"}
DEFAULT_GROUPS: dict[str, frozenset[str]] = {
    "leaders": _LEADERS,
    "safeguarding": frozenset({"headteacher", "deputy_head", "assistant_head",
                               "senior_leader"}),
    "senders": _LEADERS | {"head_of_year", "head_of_house", "learning_director",
                           "pastoral_lead"},
    # Named once, used in a workflow wherever a role is (``roles: [pastoral_team, office]``):
    "pastoral_team": _PASTORAL,
    "query_staff": _QUERY,  # who may answer a parent's query (PWP-5.1)
    "all_staff": _QUERY | {"eal_coordinator"},
    # dispose of a case at the end of its retention period, put on or release a legal hold
    "records": frozenset({"headteacher", "deputy_head", "assistant_head", "senior_leader"}),
}
ENGINE_GROUPS = ("leaders", "safeguarding", "senders")  # the ones the engine itself asks about


@dataclass(frozen=True)
class Staff:
    """A member of staff as listed in school.yaml."""

    id: str
    name: str
    title: str
    roles: frozenset[str]
    line_manager: str | None = None
    login: str | None = None  # their operating-system account (security.cli_identity: os_user)
    # Only a trust's safeguarding lead reading a school (engine.service.trust) has it:
    # restricted cases too, whatever roles a workflow names (CLA-3).
    reads_restricted: bool = False
    # A governor acts on the school's cases but is not on its payroll (``employee: false``):
    # a complaints panel is of governors who are not employees (CMP-5).
    employee: bool = True
    # the year groups and the house they lead (``year: 9`` or ``year: [12, 13]``,
    # ``house: Kestrel``): a letter ``signed_by: head_of_year`` is signed by the student's own
    years: tuple[int, ...] = ()
    house: str = ""

    def leads(self, year: int, house: str) -> bool:
        """Whether they lead this student's year group or house."""
        return year in self.years or bool(self.house) and self.house == house

    def holds(self, roles: frozenset[str] | set[str]) -> bool:
        return bool(self.roles & roles)


@dataclass(frozen=True)
class Profile:
    """What goes on the letterhead."""

    name: str
    address: tuple[str, ...]
    phone: str = ""
    email: str = ""
    website: str = ""
    local_authority: str = ""
    head_title: str = "Headteacher"  # the school's own word: Headteacher, Principal ...

    def as_context(self) -> dict[str, object]:
        """The letterhead as a letter template reads it (``school.*``)."""
        return {"name": self.name, "address_lines": list(self.address),
                "phone": self.phone, "email": self.email, "website": self.website,
                "local_authority": self.local_authority, "head_title": self.head_title}


@dataclass
class School:
    root: Path
    profile: Profile
    staff: dict[str, Staff]
    calendar: SchoolCalendar
    roles: frozenset[str]
    workflows: dict[str, Workflow] = field(default_factory=dict)
    groups: dict[str, frozenset[str]] = field(default_factory=lambda: dict(DEFAULT_GROUPS))
    clauses: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_CLAUSES))
    # The school's own clauses, where school.yaml lists a policy's (CMP-1 -> its text).
    clause_texts: dict[str, str] = field(default_factory=dict)
    # The school among a trust's in one database (school.yaml's school_id), and that
    # database's URL (database:); none means the SQLite file under cases/.
    school_id: str = ""
    database_url: str | None = None
    delivery: Delivery | None = None  # ``delivery:``; without it letters are not queued
    cli_identity: str = "os_user"  # how the CLI knows who is typing (CLI_IDENTITIES)
    # Years a batch of letters home (outside a case) is kept from its newest letter
    # (``retention: {letters_home: {years: N}}``, PWP-5.6); None: kept.
    letters_home_years: int | None = None
    # Who may act as another member of staff at the CLI (``liaison --because WHY ... --as
    # STAFF_ID``, audited), and whether they then see restricted cases (CLA-3).
    administrators: frozenset[str] = frozenset()
    impersonate_restricted: bool = False

    def group(self, name: str) -> frozenset[str]:
        """The roles of a named group (``leaders``, ``safeguarding``, ``senders``, or one of
        the school's own that workflows name where a role goes)."""
        return self.groups[name]

    @property
    def letters_dir(self) -> Path:
        return self.root / "letters"

    @property
    def cases_dir(self) -> Path:
        return self.root / "cases"

    @property
    def database(self) -> Path:
        return self.cases_dir / "liaison.sqlite3"

    def member(self, staff_id: str) -> Staff:
        """The member of staff acting; an unknown id is refused before anything happens."""
        try:
            return self.staff[staff_id]
        except KeyError:
            raise PermissionDenied(
                f"unknown member of staff '{staff_id}' (see 'liaison staff')") from None

    def workflow(self, name: str) -> Workflow:
        try:
            return self.workflows[name]
        except KeyError:
            known = ", ".join(sorted(self.workflows)) or "none"
            raise NotFound(f"no workflow '{name}' (known: {known})") from None

    def holders_of(self, role: str) -> list[Staff]:
        return [s for s in self.staff.values() if role in s.roles]


DEFAULT_SCHOOL_ID = "school"  # a SQLite file's rows, when school.yaml names no school_id
SCHOOL_ID_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?\Z")


def _school_id(r: Reader, raw: object) -> str:
    value = r.text(raw, "school_id")
    if raw is not None and not SCHOOL_ID_RE.match(value):
        r.problem(raw, "school_id", f"'{value}' is not a short slug (lower case letters, "
                  "digits and '-', at most 40, such as north-park)")
    return value


def read_database(r: Reader, raw: object) -> str | None:
    value = r.text(raw, "database") or None
    if value is not None and not value.startswith(("postgresql", "sqlite")):
        r.problem(raw, "database", "expected a database URL such as "
                  "postgresql+psycopg://liaison@db.example.org/trust")
    return value


def _profile(r: Reader, raw: object) -> Profile:
    spec = r.mapping(raw, "school", ("name", "address", "phone", "email", "website",
                                     "local_authority"), ("name", "address"))
    return Profile(
        name=r.text(spec.get("name"), "school.name"),
        address=tuple(r.texts(spec.get("address"), "school.address")),
        phone=r.text(spec.get("phone"), "school.phone"),
        email=r.text(spec.get("email"), "school.email"),
        website=r.text(spec.get("website"), "school.website"),
        local_authority=r.text(spec.get("local_authority"), "school.local_authority"),
    )


def _staff(r: Reader, raw: object, roles: frozenset[str]) -> dict[str, Staff]:
    out: dict[str, Staff] = {}
    logins: dict[str, str] = {}
    items = raw if isinstance(raw, list) else []
    if not isinstance(raw, list):
        r.problem(raw, "staff", "expected a list of staff")
    for i, item in enumerate(items):
        where = f"staff[{i}]"
        spec = r.mapping(item, where, ("id", "name", "title", "roles", "line_manager",
                                       "login", "employee", "year", "house"),
                         ("id", "name", "roles"))
        member = Staff(
            id=r.text(spec.get("id"), f"{where}.id"),
            name=r.text(spec.get("name"), f"{where}.name"),
            title=r.text(spec.get("title"), f"{where}.title"),
            roles=frozenset(r.texts(spec.get("roles"), f"{where}.roles")),
            line_manager=r.text(spec.get("line_manager"), f"{where}.line_manager") or None,
            login=r.text(spec.get("login"), f"{where}.login") or None,
            employee=spec.get("employee") is None or r.flag(spec.get("employee"),
                                                            f"{where}.employee"),
            years=tuple(n for i, y in enumerate(r.texts(spec.get("year"), f"{where}.year"))
                        if (n := r.number(y, f"{where}.year[{i}]")) is not None),
            house=r.text(spec.get("house"), f"{where}.house"),
        )
        for role in sorted(member.roles - roles):
            r.problem(spec.get("roles"), f"{where}.roles", f"unknown role '{role}'")
        if member.id in out:
            r.problem(spec.get("id"), f"{where}.id", f"duplicate staff id '{member.id}'")
        if member.login and member.login in logins:
            r.problem(spec.get("login"), f"{where}.login", f"the account '{member.login}' is "
                      f"already {logins[member.login]}'s: one account, one member of staff")
        logins.setdefault(member.login or "", member.id)
        out[member.id] = member
    for i, member in enumerate(out.values()):
        if member.line_manager and member.line_manager not in out:
            r.problem(items[i], f"staff[{i}].line_manager",
                      f"unknown member of staff '{member.line_manager}'")
    return out


def parse_profile(text: str, root: Path) -> School:
    """``school.yaml``'s text (of the school directory ``root``): letterhead, calendar,
    staff, no workflows yet; DefinitionError lists every problem."""
    path = root / SCHOOL_FILE
    raw = loads(text, str(path))
    r = Reader(path)
    top = r.mapping(raw, "", ("school", "calendar", "staff", "roles", "groups",
                                   "clauses", "school_id", "database", "delivery",
                                   "security", "retention"),
                    ("school", "calendar", "staff"))
    roles = frozenset(r.texts(top.get("roles"), "roles") or DEFAULT_ROLES)
    groups = _groups(r, top.get("groups"), roles)
    clauses, clause_texts = _clauses(r, top.get("clauses"))
    delivery = parse_delivery(r, top.get("delivery"))
    cli_identity = read_cli_identity(r, top.get("security"))
    letters_home_years = _letters_home_years(r, top.get("retention"))
    administrators, impersonate_restricted = _administrators(r, top.get("security"))
    profile = _profile(r, top.get("school"))
    school_id, database = _school_id(r, top.get("school_id")), read_database(r, top.get("database"))
    staff = _staff(r, top.get("staff"), roles)
    for unknown in sorted(administrators - set(staff)):
        r.problem(top["security"].get("administrators"), "security.administrators",
                  f"unknown member of staff '{unknown}'")
    # Letters call the head by the title the school's own staff list gives them.
    heads = [s.title for s in staff.values() if "headteacher" in s.roles and s.title]
    if heads:
        profile = Profile(**{**vars(profile), "head_title": heads[0]})
    problems = list(r.problems)
    calendar = None
    try:
        calendar = calendar_from_config(top.get("calendar"), str(path))
    except DefinitionError as exc:
        problems += exc.problems
    if problems or calendar is None:
        raise DefinitionError(problems)
    if not any("headteacher" in s.roles for s in staff.values()):
        raise DefinitionError([f"{path}:{line_of(top.get('staff'), 1)}: staff: "
                               "nobody holds the role 'headteacher'"])
    return School(root=root, profile=profile, staff=staff, calendar=calendar, roles=roles,
                  groups=groups, clauses=clauses, clause_texts=clause_texts,
                  school_id=school_id, database_url=database,
                  delivery=delivery, cli_identity=cli_identity,
                  letters_home_years=letters_home_years,
                  administrators=administrators, impersonate_restricted=impersonate_restricted)


# How the CLI knows who is typing (security.cli_identity): ``os_user``, the operating-system
# account running it is a member of staff's ``login:`` (the default: safe on a shared
# server); ``token``, a personal token from 'liaison users token' in LIAISON_TOKEN;
# ``trust``, whoever runs the CLI is whom ``--as`` says (a one-person install, the demo).
CLI_IDENTITIES = ("os_user", "token", "trust")


def read_cli_identity(r: Reader, value: Any) -> str:
    if value is None:
        return "os_user"
    spec = r.mapping(value, "security", SECURITY_KEYS, ())
    chosen = r.text(spec.get("cli_identity"), "security.cli_identity") or "os_user"
    if chosen not in CLI_IDENTITIES:
        r.problem(spec.get("cli_identity"), "security.cli_identity",
                  f"expected one of {', '.join(CLI_IDENTITIES)}, not '{chosen}'")
    return chosen


def _letters_home_years(r: Reader, value: Any) -> int | None:
    """``retention: {letters_home: {years: N}}``: how long letters home sent in batches
    outside a case are kept, 1 to 100 years from a batch's newest letter."""
    if value is None:
        return None
    spec = r.mapping(value, "retention", ("letters_home",), ("letters_home",))
    kept = r.mapping(spec.get("letters_home"), "retention.letters_home", ("years",),
                     ("years",))
    years = r.number(kept.get("years"), "retention.letters_home.years")
    if years is not None and not 1 <= years <= 100:
        r.problem(kept.get("years"), "retention.letters_home.years",
                  f"{years} years: give 1 to 100")
        return None
    return years


SECURITY_KEYS = ("cli_identity", "administrators", "impersonate_restricted")


def _administrators(r: Reader, value: Any) -> tuple[frozenset[str], bool]:
    """``security.administrators``: the staff who may act as another at the CLI, each time
    saying why (engine/service/identity.py); ``impersonate_restricted``: and then see the
    restricted cases (CLA-3) that member of staff may see (default no)."""
    if value is None or not hasattr(value, "get"):
        return frozenset(), False  # a security: that is no mapping is said by _cli_identity
    given = frozenset(r.texts(value.get("administrators"), "security.administrators"))
    return given, r.flag(value.get("impersonate_restricted"), "security.impersonate_restricted")


def _groups(r: Reader, value: Any, roles: frozenset[str]) -> dict[str, frozenset[str]]:
    """``groups:`` of school.yaml over the defaults: each a list of the school's roles."""
    out = dict(DEFAULT_GROUPS)
    for name, members, line in r.items(value, "groups"):
        if not NAME_RE.match(name) or name in roles:
            r.problem(members, f"groups.{name}", "a group's name is lower case, digits and _, "
                      "and not a role's", line)
            continue
        given = frozenset(r.texts(members, f"groups.{name}"))
        for role in sorted(given - roles):
            r.problem(members, f"groups.{name}", f"unknown role '{role}'", line)
        out[name] = given
    return out


def _clauses(r: Reader, value: Any) -> tuple[dict[str, str], dict[str, str]]:
    """``clauses:`` of school.yaml: each policy's clause prefix and its title, and the
    school's own clauses where a policy lists them (``CMP: {title: ..., CMP-1: text}``):
    then a workflow may cite only those, and the coverage document gives each a row."""
    if value is None:
        return dict(DEFAULT_CLAUSES), {}
    out: dict[str, str] = {}
    texts: dict[str, str] = {}
    for prefix, title, line in r.items(value, "clauses"):
        if not re.fullmatch(r"[A-Z]{2,5}", prefix):
            r.problem(title, f"clauses.{prefix}", "a clause prefix is 2 to 5 capital letters "
                      "(as in PWP-5.3)", line)
            continue
        if not isinstance(title, dict):
            out[prefix] = r.text(title, f"clauses.{prefix}")
            continue
        out[prefix] = r.text(title.get("title"), f"clauses.{prefix}.title")
        if "title" not in title:
            r.problem(title, f"clauses.{prefix}", "missing key 'title'", line)
        for clause, text, at in r.items(title, f"clauses.{prefix}"):
            if clause == "title":
                continue
            if not re.fullmatch(rf"{prefix}-[0-9][0-9a-z.]*", clause):
                r.problem(text, f"clauses.{prefix}.{clause}", f"a clause ID of this policy is "
                          f"{prefix}- and a number (as in {prefix}-1)", at)
                continue
            texts[clause] = r.text(text, f"clauses.{prefix}.{clause}")
    return out, texts
