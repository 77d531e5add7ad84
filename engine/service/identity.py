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
member of staff.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import secrets
from collections.abc import Mapping
from pathlib import Path

from engine.core.school import School, Staff
from engine.errors import InputError, PermissionDenied
from engine.service.records import Records
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


def cli_caller(engine: Records, given: str | None,
               environ: Mapping[str, str] | None = None) -> str:
    """The staff id the CLI acts as, or PermissionDenied saying how to be known."""
    environ = os.environ if environ is None else environ
    school = engine.school
    mode = school.cli_identity
    if mode == "trust":
        if given is None:
            raise InputError("--as STAFF_ID is needed: who are you? (see 'liaison staff')")
        return school.member(given).id
    me = _by_token(engine, environ) if mode == "token" else _by_login(school, environ)
    if given is not None and given != me.id:
        raise PermissionDenied(f"you are {me.id} ({me.name}) here, so --as {given} is "
                               f"refused (school.yaml security.cli_identity: {mode})")
    return me.id


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
