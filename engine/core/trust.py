"""A trust: the schools it runs and its own staff, from ``trust.yaml`` (pure: the file is
read by ``engine.service.trust``).

A multi-academy trust runs many schools, each a school directory with its own
``school.yaml`` (and, in a shared PostgreSQL database, a tenant of its own, kept apart by
row-level security). ``trust.yaml``, beside the school folders, names each school (its
``school_id``, its name, its folder) and the trust's own staff, who are nobody's staff in
a school: a trust safeguarding lead, a data protection officer, the trust's leader.
Reading it validates all of it and reports every problem as ``FILE:LINE: key: what``.

    trust:
      name: Northern Lights Academy Trust
      trust_id: northern-lights      # the trust's own rows (its staff's second factor)
    schools:
      - {school_id: north-park, name: North Park Academy, folder: north-park}
    staff:
      - {id: TSL01, name: Ms Amara Singh, title: Trust Safeguarding Lead,
         roles: [trust_safeguarding_lead], login: asingh}
    security: {cli_identity: os_user}  # as school.yaml's
    database: postgresql+psycopg://...  # optional, as school.yaml's
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from engine.core.reader import Reader
from engine.core.school import SCHOOL_ID_RE, Profile, Staff, read_cli_identity, read_database
from engine.core.yamlfile import line_of, loads
from engine.errors import DefinitionError, NotFound, PermissionDenied

TRUST_FILE = "trust.yaml"


@dataclass(frozen=True)
class TrustRole:
    """What a trust role may read in every school of the trust; each read needs the
    member of staff's second factor and is written down in that school's rows."""

    cases: bool  # the cases, each case and its history (those any school's staff may see)
    restricted: bool  # restricted cases too (CLA-3): a disclosure's safeguarding lead
    report: bool  # the indicators (liaison report --trust)
    reads: bool  # every school's record of the trust's reads of it (an audit of access)


# The engine's own trust roles: a school's staff are named in its school.yaml, a trust's
# in trust.yaml, and no workflow names a trust role, so a trust role fires no event.
TRUST_ROLES: dict[str, TrustRole] = {
    # Reads every school's cases, restricted ones too, to see a child's safety whole.
    "trust_safeguarding_lead": TrustRole(cases=True, restricted=True, report=True,
                                         reads=False),
    # Answers for the trust's handling of personal data: reads cases (never a restricted
    # one: SAR-5, gathered only by those allowed to see it) and who has read them.
    "trust_data_protection_officer": TrustRole(cases=True, restricted=False, report=True,
                                               reads=True),
    # Sees how every school is doing: the indicators, side by side; no case.
    "trust_leader": TrustRole(cases=False, restricted=False, report=True, reads=False),
}


@dataclass(frozen=True)
class TrustSchool:
    """A school of the trust as trust.yaml names it."""

    school_id: str
    name: str
    folder: Path  # the school directory (relative folders are beside trust.yaml)
    line: int  # where trust.yaml names it, for a message about it


@dataclass
class Trust:
    root: Path  # the folder trust.yaml is in
    name: str
    trust_id: str
    schools: dict[str, TrustSchool]
    staff: dict[str, Staff]
    cli_identity: str = "os_user"
    database_url: str | None = None
    # As a school's security.administrators: a trust's staff never act as one another.
    administrators: frozenset[str] = frozenset()
    roles: frozenset[str] = field(default_factory=lambda: frozenset(TRUST_ROLES))

    @property
    def path(self) -> Path:
        return self.root / TRUST_FILE

    @property
    def profile(self) -> Profile:
        """The trust's name where a school's letterhead would be (a second factor's label)."""
        return Profile(name=self.name, address=())

    def member(self, staff_id: str) -> Staff:
        """A member of the trust's staff; an unknown id is refused before anything."""
        try:
            return self.staff[staff_id]
        except KeyError:
            raise PermissionDenied(f"unknown member of the trust's staff '{staff_id}' "
                                   f"(see {self.path})") from None

    def school(self, school_id: str) -> TrustSchool:
        try:
            return self.schools[school_id]
        except KeyError:
            known = ", ".join(sorted(self.schools)) or "none"
            raise NotFound(f"no school '{school_id}' in {self.path} (known: {known})") from None

    def role_of(self, member: Staff) -> TrustRole:
        """What a member of the trust's staff may read: all that any of their roles may."""
        held = [TRUST_ROLES[r] for r in sorted(member.roles)]
        return TrustRole(*(any(getattr(r, f) for r in held) for f in
                           ("cases", "restricted", "report", "reads")))


def _slug(r: Reader, raw: object, where: str) -> str:
    value = r.text(raw, where)
    if not value:
        r.problem(raw, where, "missing: a short slug, such as north-park")
    elif not SCHOOL_ID_RE.match(value):
        r.problem(raw, where, f"'{value}' is not a short slug (lower case letters, digits "
                  "and '-', at most 40, such as north-park)")
    return value


def _schools(r: Reader, raw: object, root: Path) -> dict[str, TrustSchool]:
    out: dict[str, TrustSchool] = {}
    if not isinstance(raw, list) or not raw:
        r.problem(raw, "schools", "expected a list of the trust's schools")
        return out
    folders: dict[Path, str] = {}
    for i, item in enumerate(raw):
        where = f"schools[{i}]"
        spec = r.mapping(item, where, ("school_id", "name", "folder"),
                         ("school_id", "name", "folder"))
        school_id = _slug(r, spec.get("school_id"), f"{where}.school_id")
        folder = root / r.text(spec.get("folder"), f"{where}.folder")
        if school_id in out:
            r.problem(spec.get("school_id"), f"{where}.school_id",
                      f"duplicate school_id '{school_id}'")
        if "folder" in spec and folder in folders:
            r.problem(spec.get("folder"), f"{where}.folder",
                      f"the folder of '{folders[folder]}' too: one folder, one school")
        folders.setdefault(folder, school_id)
        out.setdefault(school_id, TrustSchool(
            school_id, r.text(spec.get("name"), f"{where}.name"), folder,
            line_of(item, 1)))
    return out


def _staff(r: Reader, raw: object) -> dict[str, Staff]:
    out: dict[str, Staff] = {}
    if not isinstance(raw, list) or not raw:
        r.problem(raw, "staff", "expected a list of the trust's staff")
        return out
    for i, item in enumerate(raw):
        where = f"staff[{i}]"
        spec = r.mapping(item, where, ("id", "name", "title", "roles", "login"),
                         ("id", "name", "roles"))
        member = Staff(id=r.text(spec.get("id"), f"{where}.id"),
                       name=r.text(spec.get("name"), f"{where}.name"),
                       title=r.text(spec.get("title"), f"{where}.title"),
                       roles=frozenset(r.texts(spec.get("roles"), f"{where}.roles")),
                       login=r.text(spec.get("login"), f"{where}.login") or None)
        for role in sorted(member.roles - set(TRUST_ROLES)):
            r.problem(spec.get("roles"), f"{where}.roles", f"unknown trust role '{role}' "
                      f"(the trust's roles: {', '.join(TRUST_ROLES)})")
        if "roles" in spec and not member.roles:
            r.problem(spec.get("roles"), f"{where}.roles", "give at least one trust role")
        if member.id in out:
            r.problem(spec.get("id"), f"{where}.id", f"duplicate staff id '{member.id}'")
        out.setdefault(member.id, member)
    return out


def parse_trust(text: str, root: Path) -> Trust:
    """``trust.yaml``'s text (in the folder ``root``); DefinitionError lists every problem.
    The schools' own files are not read here (``engine.service.trust`` checks that each
    folder's school.yaml has the school_id named)."""
    path = root / TRUST_FILE
    raw = loads(text, str(path))
    r = Reader(path)
    top = r.mapping(raw, "", ("trust", "schools", "staff", "security", "database"),
                    ("trust", "schools", "staff"))
    head = r.mapping(top.get("trust"), "trust", ("name", "trust_id"), ("name", "trust_id"))
    name = r.text(head.get("name"), "trust.name")
    trust_id = _slug(r, head.get("trust_id"), "trust.trust_id") if "trust_id" in head else ""
    schools = _schools(r, top.get("schools"), root)
    if trust_id in schools:
        r.problem(head.get("trust_id"), "trust.trust_id", f"'{trust_id}' is a school's "
                  "school_id too: the trust's own rows need an id of their own")
    staff = _staff(r, top.get("staff"))
    cli_identity = read_cli_identity(r, top.get("security"))
    database = read_database(r, top.get("database"))
    if r.problems:
        raise DefinitionError(r.problems)
    return Trust(root=root, name=name, trust_id=trust_id, schools=schools, staff=staff,
                 cli_identity=cli_identity, database_url=database)
