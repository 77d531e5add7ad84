"""A trust's staff reading its schools: the one door from a school's rows to anyone who is
not the school's own staff (issue 17).

Schools stay apart as they always are: each school is opened from its own folder, and on
PostgreSQL each of its transactions sets ``app.school_id`` to it, so row-level security
shows only its rows (never a role that bypasses it, never a query over two schools).
A member of the trust's staff (``trust.yaml``) passes their second factor first, as the
web page asks before a restricted case (``engine.service.users``); then each read of a
school (a case, its history, the listing, the report) is written down in that school's
own rows (``trust_reads``: who, which case, what, when) before anything is shown, and the
school sees them (``liaison trust reads``). Inside the school they read as a guest member
of staff, ``trust:ID``, who holds none of the school's roles: no event names them, so a
trust role changes nothing; a restricted case's own record of readers (CLA-3) names them.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.core.school import Staff
from engine.core.trust import TRUST_FILE, Trust, TrustRole, TrustSchool, parse_trust
from engine.errors import DefinitionError, NotFound, PermissionDenied
from engine.service import report as indicators
from engine.service.liaison import Liaison
from engine.service.records import Clock, Records, system_clock
from engine.service.sources import load_profile, open_school, open_store, read_text
from engine.service.views import CaseView, Listing, Message, Page, Row, listing
from engine.store.database import Store

GUEST = "trust:"  # a trust member's id inside a school: no school's staff id has a colon
PARALLEL = 4  # schools counted at once for the trust's report


def find_trust(explicit: Path | None) -> Path:
    """The trust's folder: --trust, else $LIAISON_TRUST, else the current directory."""
    import os

    root = explicit or (Path(os.environ["LIAISON_TRUST"]) if os.environ.get("LIAISON_TRUST")
                        else Path.cwd())
    if not (root / TRUST_FILE).is_file():
        raise NotFound(f"{root}: no {TRUST_FILE} here; use --trust-dir DIR (the folder of the "
                       "trust's file, beside its schools' folders)")
    return root.resolve()


def load_trust(root: Path) -> Trust:
    return parse_trust(read_text(root / TRUST_FILE), root)


def trust_store(trust: Trust) -> Store:
    """The trust's own rows (its staff's second factor and sign-ins): a tenant of the
    shared database named by ``trust_id``, or a SQLite file of its own beside trust.yaml."""
    import os

    url = os.environ.get("LIAISON_DATABASE_URL") or trust.database_url
    if url and not url.startswith("sqlite"):
        return Store(url, trust.trust_id)
    return Store(url or trust.root / "trust-store" / "liaison.sqlite3", trust.trust_id)


class TrustOffice:
    """The trust's file and its own store. ``school`` is the trust itself, so that the
    sign-in of ``engine.service.users`` and the CLI's identity (``identity.cli_caller``)
    serve its staff as they serve a school's."""

    door = "cli"

    def __init__(self, trust: Trust, store: Store, clock: Clock = system_clock) -> None:
        self.school = self.trust = trust
        self.store = store
        self.clock = clock

    @classmethod
    def at(cls, root: Path, clock: Clock = system_clock) -> TrustOffice:
        trust = load_trust(root)
        return cls(trust, trust_store(trust), clock)

    def close(self) -> None:
        self.store.close()

    def schools(self) -> Listing[Row]:
        """The trust's schools as trust.yaml names them (no school's rows are read)."""
        return listing(f"Schools of {self.trust.name}", ("school_id", "name", "folder"),
                       [Row({"school_id": s.school_id, "name": s.name,
                             "folder": str(s.folder)}, (s.school_id, s.name, str(s.folder)))
                        for s in self.trust.schools.values()])

    def check(self) -> Message:
        """trust.yaml and every school's folder: each a school directory whose school.yaml
        has the school_id trust.yaml gives it (DefinitionError lists every problem)."""
        problems: list[str] = []
        for school in self.trust.schools.values():
            try:
                _school_folder(self.trust, school)
            except DefinitionError as exc:
                problems += exc.problems
        if problems:
            raise DefinitionError(problems)
        return Message((f"ok: {self.trust.path}: {len(self.trust.schools)} schools, "
                        f"{len(self.trust.staff)} trust staff",),
                       {"schools": len(self.trust.schools), "staff": len(self.trust.staff)})

    def signed_in(self, actor_id: str, code: str) -> TrustSession:
        """A member of the trust's staff, after their second factor: nobody reads a
        school for the trust without one (SignInRefused on a wrong or reused code)."""
        from engine.service.users import Users

        member = self.trust.member(actor_id)
        users = Users(self)  # type: ignore[arg-type]
        if not users.has_second_factor(member.id):
            raise PermissionDenied(
                f"{member.id} ({member.name}) has no second factor: a trust's staff read "
                f"its schools only with one (liaison trust second-factor {member.id})")
        users.second_factor(member.id, code)
        return TrustSession(self, member, self.trust.role_of(member))


def _school_folder(trust: Trust, school: TrustSchool) -> Path:
    """The school's folder, once its school.yaml is known to be the one trust.yaml means."""
    where = f"{trust.path}:{school.line}: schools: {school.school_id}"
    if not (school.folder / "school.yaml").is_file():
        raise DefinitionError([f"{where}: {school.folder} is not a school directory "
                               "(no school.yaml)"])
    said = load_profile(school.folder).school_id
    if said != school.school_id:
        raise DefinitionError([f"{where}: {school.folder / 'school.yaml'} says school_id "
                               f"'{said or 'none'}': the folder is another school's"])
    return school.folder


@dataclass
class TrustSession:
    """What one member of the trust's staff reads, after their second factor."""

    office: TrustOffice
    member: Staff
    role: TrustRole
    _open: dict[str, Liaison] = field(default_factory=dict)

    @property
    def trust(self) -> Trust:
        return self.office.trust

    def close(self) -> None:
        for engine in self._open.values():
            engine.close()
        self._open.clear()

    def _may(self, allowed: bool, what: str) -> None:
        if not allowed:
            roles = ", ".join(sorted(self.member.roles))
            raise PermissionDenied(f"{self.member.id} ({self.member.name}, {roles}) may not "
                                   f"{what} (trust.yaml's roles: see README, 'Trust roles')")

    def _school(self, school_id: str) -> Liaison:
        """The school opened from its own folder, its store its own tenant, with the trust
        member as a guest there (their read of restricted cases as their role allows)."""
        if school_id in self._open:
            return self._open[school_id]
        school = open_school(_school_folder(self.trust, self.trust.school(school_id)))
        guest = Staff(id=GUEST + self.member.id, name=f"{self.member.name} ({self.trust.name})",
                      title=self.member.title, roles=frozenset(),
                      reads_restricted=self.role.restricted)
        school.staff[guest.id] = guest
        engine = Liaison(school, open_store(school), self.office.clock)
        engine.door = f"trust {self.office.door}"
        self._open[school_id] = engine
        return engine

    def _noted(self, engine: Liaison, what: str, case_id: str | None = None) -> None:
        """The school's record of this read, in its own rows, before anything is shown."""
        engine.store.record_trust_read({
            "trust_id": self.trust.trust_id, "staff_id": self.member.id,
            "staff_name": self.member.name, "role": ", ".join(sorted(self.member.roles)),
            "case_id": case_id, "what": what, "door": self.office.door,
            "read_at": self.office.clock().isoformat(timespec="seconds")})

    @property
    def guest(self) -> str:
        return GUEST + self.member.id

    # ------------------------------------------------------------------ cases

    def cases(self, school_id: str, workflow: str | None = None, state: str | None = None,
              after: str | None = None, limit: int = 50) -> Page[Any]:
        """One page of a school's cases (restricted ones only for a safeguarding lead)."""
        self._may(self.role.cases, "read a school's cases")
        engine = self._school(school_id)
        page = engine.case_page(self.guest, workflow, state, None, after, limit)
        self._noted(engine, "the cases")
        return Page(f"Cases of {school_id}", page.columns, page.items, page.more, page.last)

    def view(self, school_id: str, case_id: str) -> CaseView:
        """A case of a school, as ``liaison show`` prints it."""
        self._may(self.role.cases, "read a school's cases")
        engine = self._school(school_id)
        engine.case(case_id, self.guest)  # NotFound for a case they may not see
        self._noted(engine, "the case", case_id)
        return engine.view(case_id, self.guest)

    def history(self, school_id: str, case_id: str) -> Listing[Any]:
        """A case's audit trail."""
        self._may(self.role.cases, "read a school's cases")
        engine = self._school(school_id)
        engine.case(case_id, self.guest)
        self._noted(engine, "its history", case_id)
        return engine.history(case_id, self.guest)

    def reads(self, school_id: str) -> Listing[Row]:
        """Every read of a school by the trust's staff (a data protection officer's)."""
        self._may(self.role.reads, "read a school's record of the trust's reads")
        engine = self._school(school_id)
        self._noted(engine, "the trust's reads")
        return reads_listing(school_id, engine.store.trust_reads())

    # ------------------------------------------------------------------ the report

    def report(self, start: dt.date, end: dt.date) -> TrustReport:
        """Each school's indicators from ``start`` to ``end`` and the trust's totals."""
        self._may(self.role.report, "see the trust's report")
        schools = list(self.trust.schools.values())
        engines = [self._school(s.school_id) for s in schools]

        def one(engine: Liaison) -> indicators.Report:
            self._noted(engine, "the report")
            return indicators.report(engine, self.guest, start, end)

        # Each school on its own connection, a few at a time: the database counts one
        # school while the next is asked (each is its own tenant, so none waits on another).
        with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
            counted = list(pool.map(one, engines))
        out = TrustReport(start.isoformat(), end.isoformat())
        for school, made in zip(schools, counted, strict=True):
            out.add(school, made)
        return out


def reads_listing(school_id: str, rows: list[dict[str, Any]]) -> Listing[Row]:
    return listing(f"Reads of {school_id} by the trust's staff",
                   ("by", "role", "case", "what", "door", "when"),
                   [Row({k: r[k] for k in ("trust_id", "staff_id", "staff_name", "role",
                                           "case_id", "what", "door", "read_at")},
                        (f"{r['staff_id']} {r['staff_name']}", r["role"], r["case_id"] or "",
                         r["what"], r["door"], r["read_at"])) for r in rows])


def school_reads(engine: Records, actor_id: str) -> Listing[Row]:
    """``liaison trust reads``: a school's leaders see every read of it by the trust."""
    engine.leader(actor_id, "see the trust's reads of the school")
    return reads_listing(engine.school.school_id, engine.store.trust_reads())


@dataclass
class TrustReport:
    """The indicators of each school side by side, and the trust's totals."""

    start: str
    end: str
    schools: list[dict[str, Any]] = field(default_factory=list)

    def add(self, school: TrustSchool, one: indicators.Report) -> None:
        deadlines = Counter({s: sum(d[s] for d in one.deadlines)
                             for s in indicators.STATUSES})
        self.schools.append({
            "school_id": school.school_id, "name": school.name,
            "indicators": {i["name"]: i["total"] for i in one.indicators},
            "titles": {i["name"]: (i["title"], i["clause"]) for i in one.indicators},
            "deadlines": dict(deadlines),
            "outcomes": dict(_outcomes(one.events)),
            "report": one.as_json()})

    @property
    def names(self) -> list[str]:
        seen: dict[str, None] = {}
        for s in self.schools:
            seen.update(dict.fromkeys(s["indicators"]))
        return list(seen)

    def total(self) -> dict[str, Any]:
        """The trust's totals: each indicator, deadline status and outcome over every school."""
        out: dict[str, Counter[str]] = {"indicators": Counter(), "deadlines": Counter(),
                                        "outcomes": Counter()}
        for s in self.schools:
            for part in out:
                out[part].update(s[part])
        return {part: dict(sorted(c.items())) for part, c in out.items()}

    def as_json(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end,
                "schools": [{k: v for k, v in s.items() if k != "titles"}
                            for s in self.schools], "total": self.total()}

    def parts(self) -> list[Any]:
        names, total = self.names, self.total()
        titles = {n: t for s in self.schools for n, t in s["titles"].items()}
        rows = [Row(s, (s["school_id"], *[s["indicators"].get(n, 0) for n in names]))
                for s in self.schools]
        rows.append(Row(total, ("trust", *[total["indicators"].get(n, 0) for n in names])))
        head = [Row({"indicator": n, "title": titles[n][0], "clause": titles[n][1]},
                    (n, titles[n][0], titles[n][1])) for n in names]
        deadlines = [Row(s, (s["school_id"], *[s["deadlines"].get(k, 0)
                                               for k in indicators.STATUSES]))
                     for s in self.schools]
        deadlines.append(Row(total, ("trust", *[total["deadlines"].get(k, 0)
                                                for k in indicators.STATUSES])))
        return [listing("The indicators", ("indicator", "title", "clause"), head),
                listing(f"Indicators by school {self.start} to {self.end}",
                        ("school", *names), rows),
                listing("Deadlines by school", ("school", *indicators.STATUSES), deadlines)]


def _outcomes(events: list[dict[str, Any]]) -> Counter[str]:
    out: Counter[str] = Counter()
    for e in events:
        out[f"{e['workflow']}.{e['outcome']}"] += e["count"]
    return out
