"""A trust's own staff reading its schools (issue 17): trust.yaml names the schools and the
trust's staff; a trust role reads a school only after its second factor, each read is
written down in that school's own rows (who, which case, what, when) and the school sees
it; schools stay apart by their own tenancy (on PostgreSQL, row-level security as each
school). Runs on SQLite (each school its own file) and on PostgreSQL (.ci/run).
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from conftest import NOW, POSTGRESQL, Clock, move_clock, open_conduct, school_at, walk

from engine.core import totp
from engine.errors import NotFound, PermissionDenied, SignInRefused
from engine.service import report as indicators
from engine.service.liaison import Liaison
from engine.service.sources import load_profile
from engine.service.trust import TrustOffice
from engine.service.users import Users
from engine.store.logins import Logins

TRUST = """\
trust:
  name: Northern Lights Academy Trust
  trust_id: {trust_id}
schools:
  - school_id: {a}
    name: North Park Academy
    folder: north-park
  - school_id: {b}
    name: South Vale School
    folder: south-vale
staff:
  - id: TSL01
    name: Ms Amara Singh
    title: Trust Safeguarding Lead
    roles: [trust_safeguarding_lead]
  - id: TDPO
    name: Mr Ian Price
    title: Trust Data Protection Officer
    roles: [trust_data_protection_officer]
  - id: TL01
    name: Mrs Helen Ward
    title: Chief Executive
    roles: [trust_leader]
security:
  cli_identity: trust
"""
DISCLOSURE = {"summary": ["I tutor Ethan's cousin at weekends"],
              "on_school_business": ["no"], "contact": ["C2001"]}


@pytest.fixture
def trust(tmp_path: Path, clock: Clock):
    """A trust folder: trust.yaml beside two schools. North Park has a conduct case with
    a letter and a restricted disclosure; South Vale a conduct case of its own."""
    a, b = school_at(tmp_path / "north-park", clock), school_at(tmp_path / "south-vale", clock)
    conduct = open_conduct(a).case
    walk(a, conduct, [("request_meeting", "OF01")])
    move_clock(a, NOW)
    disclosure = a.open("external_contact", "S1001", "FT01", DISCLOSURE).case
    open_conduct(b)
    trust_id = f"trust-{a.school.school_id[-6:]}"
    (tmp_path / "trust.yaml").write_text(TRUST.format(
        trust_id=trust_id, a=a.school.school_id, b=b.school.school_id), "utf-8")
    office = TrustOffice.at(tmp_path, clock=clock)
    secrets = {s: Users(office).enrol_second_factor(s).data["secret"]  # type: ignore[arg-type]
               for s in ("TSL01", "TDPO", "TL01")}
    sessions: list = []
    yield {"root": tmp_path, "office": office, "a": a, "b": b, "secrets": secrets,
           "conduct": conduct, "disclosure": disclosure, "sessions": sessions}
    for session in sessions:  # each school it opened has a store of its own
        session.close()
    office.close()
    a.close()
    b.close()


def _code(trust: dict, staff: str) -> str:
    """The staff member's code now, by the office's clock; the clock then moves on a step,
    since a code works once."""
    office = trust["office"]
    now = office.clock()
    code = totp.code(trust["secrets"][staff], totp.step_of(now.timestamp()))
    office.clock.now = now + dt.timedelta(seconds=totp.PERIOD)
    return code


def _signed_in(trust: dict, staff: str):
    session = trust["office"].signed_in(staff, _code(trust, staff))
    trust["sessions"].append(session)
    return session


def _reads(engine: Liaison) -> list[tuple[str, str | None, str]]:
    return [(r["staff_id"], r["case_id"], r["what"]) for r in engine.store.trust_reads()]


# ---------------------------------------------------------------------- the second factor


def test_a_trust_role_reads_nothing_without_its_second_factor(trust) -> None:
    office, a = trust["office"], trust["a"]
    with pytest.raises(SignInRefused, match="wrong or was used already"):
        office.signed_in("TSL01", "000000" if _code(trust, "TSL01") != "000000" else "111111")
    code = _code(trust, "TSL01")
    office.clock.now -= dt.timedelta(seconds=totp.PERIOD)  # the same step again
    trust["sessions"].append(office.signed_in("TSL01", code))
    with pytest.raises(SignInRefused, match="used already"):
        office.signed_in("TSL01", code)  # a code works once
    with pytest.raises(PermissionDenied, match="unknown member of the trust's staff 'HT01'"):
        office.signed_in("HT01", code)  # a school's headteacher is not the trust's staff
    Logins(office.store).save("TL01", "2026-11-23T09:00:00", totp_secret=None)
    with pytest.raises(PermissionDenied, match="TL01 .* has no second factor"):
        office.signed_in("TL01", code)
    assert _reads(a) == []  # nothing was read, so nothing is written down


# ---------------------------------------------------------------------- reading a school


def test_cla_3_the_trust_safeguarding_lead_reads_restricted_cases_too(trust) -> None:
    a, disclosure = trust["a"], trust["disclosure"]
    lead = _signed_in(trust, "TSL01")
    listed = [c.case for c in lead.cases(a.school.school_id)]
    assert listed == [trust["conduct"], disclosure]
    view = lead.view(a.school.school_id, disclosure)
    assert (view.case, view.workflow) == (disclosure, "external_contact")
    history = lead.history(a.school.school_id, trust["conduct"])
    assert [e.row.event for e in history.items if hasattr(e, "row")] == ["open",
                                                                          "request_meeting"]
    lead.close()
    assert _reads(a) == [("TSL01", None, "the cases"), ("TSL01", disclosure, "the case"),
                         ("TSL01", trust["conduct"], "its history")]
    # The disclosure's own record of who has read it (CLA-3) names the trust's lead.
    readers = [(r["staff_id"], r["door"]) for r in a.store.views_of(disclosure)]
    assert readers == [("trust:TSL01", "trust cli")]


def test_cla_3_sar_5_the_data_protection_officer_never_sees_a_restricted_case(trust) -> None:
    a, disclosure = trust["a"], trust["disclosure"]
    officer = _signed_in(trust, "TDPO")
    assert [c.case for c in officer.cases(a.school.school_id)] == [trust["conduct"]]
    for read in (officer.view, officer.history):
        with pytest.raises(NotFound, match=f"no case '{disclosure}'"):
            read(a.school.school_id, disclosure)
    assert officer.view(a.school.school_id, trust["conduct"]).case == trust["conduct"]
    audit = officer.reads(a.school.school_id)  # who has read the school, for the DPO
    assert [(r.data["staff_id"], r.data["what"]) for r in audit] == [
        ("TDPO", "the cases"), ("TDPO", "the case"), ("TDPO", "the trust's reads")]
    officer.close()
    assert a.store.views_of(disclosure) == []


def test_the_trust_leader_sees_the_report_and_no_case(trust) -> None:
    leader = _signed_in(trust, "TL01")
    for read in (lambda: leader.cases(trust["a"].school.school_id),
                 lambda: leader.view(trust["a"].school.school_id, trust["conduct"]),
                 lambda: leader.reads(trust["a"].school.school_id)):
        with pytest.raises(PermissionDenied, match="TL01 .*trust_leader.* may not"):
            read()
    leader.close()
    assert _reads(trust["a"]) == []


def test_each_read_is_written_down_in_its_own_school_alone(trust) -> None:
    a, b = trust["a"], trust["b"]
    lead = _signed_in(trust, "TSL01")
    lead.view(b.school.school_id, "CON-2026-0001")
    with pytest.raises(NotFound, match="no case 'CON-2026-0002'"):  # B has one case
        lead.view(b.school.school_id, "CON-2026-0002")
    lead.close()
    assert _reads(b) == [("TSL01", "CON-2026-0001", "the case")]
    assert _reads(a) == []
    row = b.store.trust_reads()[0]
    assert (row["trust_id"], row["staff_name"], row["role"], row["read_at"]) == (
        trust["office"].trust.trust_id, "Ms Amara Singh", "trust_safeguarding_lead",
        row["read_at"])
    assert dt.datetime.fromisoformat(row["read_at"]) >= NOW


def test_a_trust_member_is_no_member_of_staff_in_the_school_itself(trust, cli) -> None:
    """The guest exists only inside the trust's session: the school's own commands do
    not know trust:TSL01, and no event names a trust role."""
    school = ["--school", str(trust["a"].school.root)]
    run = cli("show", trust["conduct"], "--as", "trust:TSL01", *school)
    assert (run.code, run.err) == (1, "error: unknown member of staff 'trust:TSL01' "
                                      "(see 'liaison staff')\n")
    run = cli("advance", trust["conduct"], "resolve", "--as", "TSL01", "--set",
              "outcome=Done", *school)
    assert run.code == 1 and "unknown member of staff 'TSL01'" in run.err


# ---------------------------------------------------------------------- the report


def test_report_trust_gives_each_school_and_the_trust_total(trust) -> None:
    a, b = trust["a"], trust["b"]
    year = (dt.date(2026, 9, 1), dt.date(2027, 8, 31))
    together = _signed_in(trust, "TL01").report(*year).as_json()
    alone = {e.school.school_id: indicators.report(e, "VP02", *year) for e in (a, b)}
    for school in together["schools"]:
        one = alone[school["school_id"]]
        assert school["indicators"] == {i["name"]: i["total"] for i in one.indicators}
        assert school["report"]["events"] == one.as_json()["events"]
    totals = together["total"]["indicators"]
    assert totals == {name: sum(s["indicators"][name] for s in together["schools"])
                      for name in totals}
    assert totals["disrespectful_incidents"] == 2  # one conduct case in each school
    # The trust leader may not see the disclosure, so it is no outcome here.
    assert "external_contact.open" not in together["total"]["outcomes"]
    assert together["total"]["outcomes"]["conduct_escalation.open"] == 2
    assert _reads(a) == _reads(b) == [("TL01", None, "the report")]


# ---------------------------------------------------------------------- through the CLI


def _now_code(trust: dict, staff: str) -> str:
    """The code the CLI's real clock wants now (its last code forgotten first, as if the
    member of staff waited for the next)."""
    Logins(trust["office"].store).save(staff, "2026-11-23T09:00:00", totp_last_step=None)
    return totp.code(trust["secrets"][staff], totp.step_of(time.time()))


def test_the_cli_reads_with_a_code_and_the_school_sees_each_read(trust, cli) -> None:
    a = trust["a"]
    at = ("--trust-dir", str(trust["root"]))
    listed = cli("trust", "cases", a.school.school_id, "--as", "TSL01", "--code",
                 _now_code(trust, "TSL01"), "--json", *at)
    assert listed.code == 0, listed.err
    assert [c["case"] for c in listed.json()] == [trust["conduct"], trust["disclosure"]]
    shown = cli("trust", "show", a.school.school_id, trust["conduct"], "--as", "TSL01",
                "--code", _now_code(trust, "TSL01"), "--json", *at)
    assert shown.json()["case"] == trust["conduct"]
    wrong = cli("trust", "show", a.school.school_id, trust["conduct"], "--as", "TSL01",
                "--code", "12345x", *at)
    assert (wrong.code, wrong.out) == (1, "")
    assert wrong.err == "error: That code is wrong or was used already\n"
    school = ("--school", str(a.school.root))
    seen = cli("trust", "reads", "--as", "HT01", "--json", *school)
    assert [(r["staff_id"], r["case_id"], r["what"]) for r in seen.json()] == [
        ("TSL01", None, "the cases"), ("TSL01", trust["conduct"], "the case")]
    teacher = cli("trust", "reads", "--as", "ST01", *school)
    assert teacher.code == 1 and "may not see the trust's reads" in teacher.err
    other = cli("trust", "reads", "--as", "HT01", "--json", "--school",
                str(trust["b"].school.root))
    assert other.json() == []


def test_report_trust_through_the_cli(trust, cli) -> None:
    at = ("--trust-dir", str(trust["root"]), "--from", "2026-09-01", "--to", "2027-08-31")
    run = cli("report", "--trust", "--as", "TL01", "--code", _now_code(trust, "TL01"),
              "--json", *at)
    assert run.code == 0, run.err
    got = run.json()
    assert [s["school_id"] for s in got["schools"]] == [trust["a"].school.school_id,
                                                        trust["b"].school.school_id]
    assert got["total"]["indicators"]["disrespectful_incidents"] == 2
    table = cli("report", "--trust", "--as", "TL01", "--code", _now_code(trust, "TL01"), *at)
    assert "Indicators by school" in table.out and "trust" in table.out
    missing = cli("report", "--trust", "--as", "TL01", *at)
    assert (missing.code, missing.err) == (
        1, "error: --trust needs --code: the code your authenticator app shows\n")
    school = cli("report", "--trust", "--as", "TSL01", "--code", "000000", *at)
    assert school.code == 1 and "code is wrong" in school.err


# ---------------------------------------------------------------------- trust.yaml


BROKEN = [
    ("trust:\n  name: T\n  trust_id: t\n  motto: x\nschools: []\nstaff: []\n",
     ["trust.yaml:4: trust.motto: unknown key", "trust.yaml:5: schools: expected a list",
      "trust.yaml:6: staff: expected a list"]),
    ("trust: {name: T, trust_id: t}\nschools:\n  - {school_id: a, name: A, folder: a}\n"
     "  - {school_id: a, name: B, folder: b}\nstaff:\n"
     "  - {id: X1, name: X, roles: [trust_safeguarding_leed]}\n",
     ["trust.yaml:4: schools[1].school_id: duplicate school_id 'a'",
      "trust.yaml:6: staff[0].roles: unknown trust role 'trust_safeguarding_leed'"]),
    ("trust: {name: T, trust_id: a}\nschools:\n  - {school_id: a, name: A, folder: a}\n"
     "  - {school_id: Bad_Id, name: B, folder: a}\nstaff:\n"
     "  - {id: X1, name: X, roles: [trust_leader]}\n",
     ["trust.yaml:4: schools[1].school_id: 'Bad_Id' is not a short slug",
      "trust.yaml:4: schools[1].folder: the folder of 'a' too",
      "trust.yaml:1: trust.trust_id: 'a' is a school's school_id too"]),
]


@pytest.mark.parametrize(("text", "said"), BROKEN)
def test_a_broken_trust_yaml_is_named_at_its_lines(tmp_path: Path, cli, text: str,
                                                   said: list[str]) -> None:
    (tmp_path / "trust.yaml").write_text(text, "utf-8")
    run = cli("trust", "check", "--trust-dir", tmp_path)
    assert (run.code, run.out) == (1, "")
    lines = run.err.replace(f"{tmp_path}/", "").splitlines()
    assert len(lines) == len(said), run.err
    for line, expected in zip(lines, said, strict=True):
        assert line.startswith(f"error: {expected}"), run.err
    assert "Traceback" not in run.err
    assert not (tmp_path / "trust-store").exists()  # nothing written on a refusal


def test_a_school_folder_must_hold_the_school_trust_yaml_names(trust, cli) -> None:
    root = trust["root"]
    text = (root / "trust.yaml").read_text("utf-8")
    a = trust["a"].school.school_id
    (root / "trust.yaml").write_text(text.replace("folder: north-park", "folder: south-vale")
                                     .replace("    folder: south-vale\nstaff",
                                              "    folder: nowhere\nstaff"), "utf-8")
    run = cli("trust", "check", "--trust-dir", root)
    b = load_profile(trust["b"].school.root).school_id
    assert run.code == 1
    assert run.err.splitlines() == [
        f"error: {root}/trust.yaml:5: schools: {a}: {root}/south-vale/school.yaml says "
        f"school_id '{b}': the folder is another school's",
        f"error: {root}/trust.yaml:8: schools: {b}: {root}/nowhere is not a school directory "
        "(no school.yaml)"]
    assert cli("trust", "schools", "--trust-dir", root, "--json").code == 0


def test_trust_check_and_schools(trust, cli) -> None:
    root = trust["root"]
    run = cli("trust", "check", "--trust-dir", root)
    assert (run.code, run.out) == (0, f"ok: {root}/trust.yaml: 2 schools, 3 trust staff\n")
    listed = cli("trust", "schools", "--trust-dir", root, "--json").json()
    assert [(s["school_id"], s["name"]) for s in listed] == [
        (trust["a"].school.school_id, "North Park Academy"),
        (trust["b"].school.school_id, "South Vale School")]
    none = cli("trust", "schools", "--trust-dir", root / "north-park")
    assert none.code == 1 and "no trust.yaml here" in none.err


# ---------------------------------------------------------------------- PostgreSQL


@pytest.mark.postgresql
def test_a_trust_read_goes_through_row_level_security_as_the_school(trust) -> None:
    """The reads of a school are its rows: a transaction for another school, or for
    none, sees none of them, and the trust's own rows (its staff's second factor) are a
    tenant of their own."""
    import sqlalchemy as sa

    assert POSTGRESQL
    a, b = trust["a"], trust["b"]
    _signed_in(trust, "TSL01").view(a.school.school_id, trust["conduct"])
    engine = sa.create_engine(POSTGRESQL, poolclass=sa.pool.NullPool)
    try:
        counted = {}
        for tenant in ("", a.school.school_id, b.school.school_id,
                       trust["office"].trust.trust_id):
            with engine.connect() as conn, conn.begin():
                conn.execute(sa.text("SELECT set_config('app.school_id', :id, true)"),
                             {"id": tenant})
                counted[tenant] = (conn.scalar(sa.text("SELECT count(*) FROM trust_reads")),
                                   conn.scalar(sa.text("SELECT count(*) FROM logins")))
    finally:
        engine.dispose()
    assert counted == {"": (0, 0), a.school.school_id: (1, 0), b.school.school_id: (0, 0),
                       trust["office"].trust.trust_id: (0, 3)}


def test_a_trust_member_known_by_their_token(trust, cli, monkeypatch) -> None:
    """trust.yaml's security.cli_identity as school.yaml's: with ``token``, who is typing
    is the member whose token LIAISON_TOKEN holds, and --as must agree."""
    root = trust["root"]
    path = root / "trust.yaml"
    path.write_text(path.read_text("utf-8").replace("cli_identity: trust",
                                                    "cli_identity: token"), "utf-8")
    made = cli("trust", "token", "TSL01", "--trust-dir", root, "--json")
    monkeypatch.setenv("LIAISON_TOKEN", made.json()["token"])
    school = trust["a"].school.school_id
    run = cli("trust", "cases", school, "--code", _now_code(trust, "TSL01"), "--json",
              "--trust-dir", root)
    assert run.code == 0, run.err
    other = cli("trust", "cases", school, "--as", "TDPO", "--code", "000000",
                "--trust-dir", root)
    assert other.code == 1 and "you are TSL01" in other.err
    assert [r[0] for r in _reads(trust["a"])] == ["TSL01"]
