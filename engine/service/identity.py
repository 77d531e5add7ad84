"""Who is typing at the CLI: the school's ``security.cli_identity`` (issue 15).

``--as STAFF_ID`` alone proves nothing: anyone who can run the CLI could type the
headteacher's id. So the CLI's member of staff comes from something they cannot type:

- ``os_user`` (the default): the operating-system account running ``liaison`` is one
  member of staff's ``login:`` in school.yaml. Under ``sudo -u`` the service account
  (the owner of ``cases/``), the account sudo names (``SUDO_USER``) is the one: only the
  service account can set that variable to any effect, and it can read everything anyway.
- ``token``: ``LIAISON_TOKEN`` holds a personal token made by ``liaison users token``;
  the store keeps only its SHA-256.
- ``trust``: whom ``--as`` names (a one-person install, the demo); ``check`` warns of it
  where a restricted workflow is in use.

In ``os_user`` and ``token`` mode ``--as`` may be left out; given, it must be the same
member of staff, with one exception: an administrator (school.yaml
``security.administrators``) may act as another member of staff by saying why, ``liaison
--because WHY COMMAND ... --as STAFF_ID``. Who, as whom, why, when, the command and its
case are written down before the command does anything, and the case's history shows it.
Acting so, restricted cases (CLA-3) stay unseen unless ``security.impersonate_restricted``
says otherwise.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from engine.core.school import School, Staff
from engine.core.text import clean_text
from engine.errors import InputError, PermissionDenied
from engine.service.records import Records
from engine.store.impersonations import Impersonations
from engine.store.logins import Logins

TOKEN_PREFIX = "lsn_"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def os_account(root: Path, environ: Mapping[str, str]) -> str:
    """The account running this process (the one sudo names, run by the service account)."""
    uid = os.getuid()
    sudo = environ.get("SUDO_USER")
    cases = root / "cases"
    if sudo and cases.exists() and cases.stat().st_uid == uid:
        return sudo
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


@dataclass(frozen=True)
class Acting:
    """An administrator acting as another member of staff, and why (written down)."""

    by: Staff
    as_: Staff
    reason: str


def cli_caller(engine: Records, given: str | None,
               environ: Mapping[str, str] | None = None, because: str | None = None,
               command: str = "", case: str | None = None) -> str:
    """The staff id the CLI acts as, or PermissionDenied saying how to be known. An
    administrator's ``because`` lets ``given`` be another member of staff: written down
    (with ``command`` and the ``case`` it names) before this returns."""
    environ = os.environ if environ is None else environ
    school = engine.school
    mode = school.cli_identity
    if mode == "trust":
        if because is not None:
            raise InputError("--because is for an administrator acting as another member of "
                             "staff; with security.cli_identity: trust, --as is believed")
        if given is None:
            raise InputError("--as STAFF_ID is needed: who are you? (see 'liaison staff')")
        return school.member(given).id
    me = _by_token(engine, environ) if mode == "token" else _by_login(school, environ)
    if given is None or given == me.id:
        if because is not None:
            raise InputError("--because says why you act as another member of staff: give "
                             "--as STAFF_ID of the one you act as")
        return me.id
    if because is None or me.id not in school.administrators:
        hint = (" (an administrator acts as another by saying why: liaison --because WHY "
                f"... --as {given})") if me.id in school.administrators else ""
        raise PermissionDenied(f"you are {me.id} ({me.name}) here, so --as {given} is "
                               f"refused (school.yaml security.cli_identity: {mode}){hint}")
    acting = Acting(me, school.member(given), _reason(because))
    _write_down(engine, acting, command, case)
    engine.acting = acting
    return acting.as_.id


def _reason(because: str) -> str:
    reason = clean_text(because, "--because", 500).strip()
    if not any(c.isalnum() for c in reason):
        raise InputError("--because has no letter or digit in it: say why you act as "
                         "another member of staff")
    return reason


def _write_down(engine: Records, acting: Acting, command: str, case: str | None) -> None:
    Impersonations(engine.store).record(
        by_staff=acting.by.id, by_name=acting.by.name, as_staff=acting.as_.id,
        as_name=acting.as_.name, reason=acting.reason, command=command or "liaison",
        case_id=case, at=engine.clock().isoformat(timespec="seconds"))


def _by_login(school: School, environ: Mapping[str, str]) -> Staff:
    account = os_account(school.root, environ)
    for member in school.staff.values():
        if member.login == account:
            return member
    raise PermissionDenied(
        f"the account '{account}' is no member of staff's login in school.yaml: add "
        f"'login: {account}' to your entry under staff: (security.cli_identity: os_user)")


def _by_token(engine: Records, environ: Mapping[str, str]) -> Staff:
    token = environ.get("LIAISON_TOKEN", "").strip()
    if not token:
        raise PermissionDenied("set LIAISON_TOKEN to your personal token (made with 'liaison "
                               "users token STAFF_ID'): school.yaml security.cli_identity "
                               "is token")
    staff_id = Logins(engine.store).by_token(token_hash(token))
    if staff_id is None or staff_id not in engine.school.staff:
        raise PermissionDenied("LIAISON_TOKEN is not a current token: ask for a new one "
                               "('liaison users token STAFF_ID')")
    return engine.school.staff[staff_id]
