"""The CLI knows who is typing (issue 15, finding 1: `--as HT01` worked for anyone).

school.yaml's ``security.cli_identity``: ``os_user`` (the account running liaison is a
member of staff's ``login:``), ``token`` (LIAISON_TOKEN, from 'liaison users token'),
``trust`` (``--as`` believed: the demo, a one-person install; the other tests run so).
Each is driven through the real CLI on a real school; the account is this process's own.
"""

from __future__ import annotations

import os
import pwd
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Run, case_in

from engine.service.liaison import Liaison

Cli = Callable[..., Run]
ME = pwd.getpwuid(os.getuid()).pw_name


def _identity(school: Path, mode: str, login_of: str | None = None) -> None:
    path = school / "school.yaml"
    text = path.read_text(encoding="utf-8").replace("  cli_identity: trust\n",
                                                    f"  cli_identity: {mode}\n")
    if login_of:
        text = text.replace(f"  - id: {login_of}\n", f"  - id: {login_of}\n    login: {ME}\n")
    path.write_text(text, encoding="utf-8")


def _one_line(run: Run) -> str:
    assert run.code == 1 and run.out == "" and run.err.count("\n") == 1, (run.out, run.err)
    assert run.err.startswith("error: ")
    return run.err.removeprefix("error: ").strip()


def test_os_user_acts_as_the_member_of_staff_whose_login_runs_it(
        school_cli: Cli, school: Path, liaison: Liaison) -> None:
    case = case_in(liaison, "incident_reported")
    _identity(school, "os_user", login_of="OF01")
    assert school_cli("show", case).code == 0  # --as left out: the account says who
    assert school_cli("show", case, "--as", "OF01").code == 0
    said = _one_line(school_cli("show", case, "--as", "HT01"))
    assert said == ("you are OF01 (Mrs Janet Cole) here, so --as HT01 is refused "
                    "(school.yaml security.cli_identity: os_user)")
    # What it acts as is recorded as that member of staff.
    run = school_cli("advance", case, "request_meeting", "--set", "meeting_at=2026-11-26T15:30",
                     "--set", "with_staff=HY09", "--at", "2026-11-23T09:00", "--json")
    assert run.code == 0, run.err
    assert liaison.store.events(case)[-1].actor == "OF01"


def test_os_user_refuses_an_account_that_is_nobodys_login(
        school_cli: Cli, school: Path, liaison: Liaison) -> None:
    case = case_in(liaison, "incident_reported")
    _identity(school, "os_user")
    said = _one_line(school_cli("show", case, "--as", "HT01"))
    assert said == (f"the account '{ME}' is no member of staff's login in school.yaml: add "
                    f"'login: {ME}' to your entry under staff: (security.cli_identity: "
                    "os_user)")


def test_sudo_user_counts_only_for_the_owner_of_the_store(
        school_cli: Cli, school: Path, liaison: Liaison,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`sudo -u` the service account: the account sudo names is the one typing (only the
    service account, which owns cases/, can set SUDO_USER to any effect)."""
    case = case_in(liaison, "incident_reported")
    path = school / "school.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "  cli_identity: trust\n", "  cli_identity: os_user\n").replace(
        "  - id: HY09\n", "  - id: HY09\n    login: treilly\n"), encoding="utf-8")
    monkeypatch.setenv("SUDO_USER", "treilly")
    assert (school / "cases").stat().st_uid == os.getuid()
    run = school_cli("show", case, "--json")
    assert run.code == 0, run.err
    said = _one_line(school_cli("show", case, "--as", "HT01"))
    assert said.startswith("you are HY09 (Mr Tom Reilly) here, so --as HT01 is refused")


def test_a_token_says_who_is_typing(school_cli: Cli, school: Path, liaison: Liaison,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    case = case_in(liaison, "incident_reported")
    _identity(school, "token")
    said = _one_line(school_cli("show", case, "--as", "HT01"))
    assert said.startswith("set LIAISON_TOKEN to your personal token (made with 'liaison "
                           "users token STAFF_ID')")
    made = school_cli("users", "token", "HY09", "--json")
    assert made.code == 0, made.err
    token = made.json()["token"]
    monkeypatch.setenv("LIAISON_TOKEN", token)
    assert school_cli("show", case).code == 0
    assert _one_line(school_cli("show", case, "--as", "HT01")).startswith(
        "you are HY09 (Mr Tom Reilly) here, so --as HT01 is refused")
    # The store keeps only the token's hash; a new token replaces the old one.
    assert token not in "\n".join(liaison.store.dump())
    assert school_cli("users", "token", "HY09").code == 0
    assert _one_line(school_cli("show", case)) == (
        "LIAISON_TOKEN is not a current token: ask for a new one ('liaison users token "
        "STAFF_ID')")
    monkeypatch.setenv("LIAISON_TOKEN", "lsn_guessed")
    assert _one_line(school_cli("show", case)).startswith("LIAISON_TOKEN is not a current")


def test_trust_needs_as_and_check_warns_of_it_beside_a_restricted_workflow(
        school_cli: Cli, liaison: Liaison) -> None:
    case = case_in(liaison, "incident_reported")
    assert _one_line(school_cli("show", case)) == (
        "--as STAFF_ID is needed: who are you? (see 'liaison staff')")
    run = school_cli("check")
    assert run.code == 0
    assert ("warning: school.yaml security.cli_identity is trust: anyone who can run liaison "
            "may say --as the headteacher and read external_contact cases; use os_user or "
            "token on a shared machine") in run.out.splitlines()


def test_a_bad_identity_setting_and_a_shared_login_are_refused_at_their_line(
        school_cli: Cli, school: Path) -> None:
    path = school / "school.yaml"
    original = path.read_text(encoding="utf-8")
    _identity(school, "everyone")
    run = school_cli("check")
    assert run.code == 1 and ("security.cli_identity: expected one of os_user, token, trust, "
                              "not 'everyone'") in run.err
    path.write_text(original, encoding="utf-8")
    _identity(school, "os_user", login_of="OF01")
    _identity(school, "os_user", login_of="HY09")
    run = school_cli("check")
    assert run.code == 1
    assert f"login: the account '{ME}' is already HY09's: one account, one member" in run.err


def test_the_demo_says_trust(tmp_path: Path, cli: Cli) -> None:
    run = cli("demo", tmp_path / "demo")
    assert run.code == 0, run.err
    assert "  cli_identity: trust\n" in (tmp_path / "demo" / "school.yaml").read_text("utf-8")
