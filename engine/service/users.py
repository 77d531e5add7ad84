"""Who may sign in to the web page: passwords (Argon2), a second factor (TOTP) and the
lock after repeated failures. The CLI sets them (``liaison users``); the web page signs in
through ``sign_in`` and ``second_factor``, and nothing else decides.

Five failed sign-ins in a row lock an account for 15 minutes; every try is recorded
(``sign_ins``: who, when, how it went). A refusal never says whether the staff id exists
or which part was wrong, so the page cannot be used to find staff ids.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from engine.core import totp
from engine.core.school import Staff
from engine.errors import InputError, SignInRefused
from engine.service.records import Records
from engine.service.views import Listing, Message, Row, listing
from engine.store.logins import Logins

LOCK_AFTER = 5
LOCK_FOR = dt.timedelta(minutes=15)
MIN_PASSWORD = 10
WRONG = "Staff ID or password is wrong"
# OWASP's recommended Argon2id settings (19 MiB, 2 passes, 1 lane): about 40 ms a sign-in
# here, where argon2-cffi's default (64 MiB, 3 passes, 4 lanes) took 500 ms on two busy
# cores. A hash made with other settings is re-made at the next sign-in.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
# Checked when a staff id has no password, so a wrong id costs as long as a wrong password.
_DUMMY = _hasher.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class SignedIn:
    """Who passed the password step, and whether a code is still to come."""

    staff_id: str
    name: str
    needs_code: bool


class Users:
    """Sign-in of the staff of one school (its ``school.yaml``) to its store."""

    def __init__(self, engine: Records) -> None:
        self.engine = engine
        self.logins = Logins(engine.store)

    def _now(self) -> dt.datetime:
        return self.engine.clock()

    def _stamp(self) -> str:
        return self._now().isoformat(timespec="seconds")

    # ------------------------------------------------------------------ setting up

    def set_password(self, staff_id: str, password: str) -> Message:
        who = self.engine.school.member(staff_id)
        if len(password) < MIN_PASSWORD:
            raise InputError(f"a password needs at least {MIN_PASSWORD} characters")
        self.logins.save(who.id, self._stamp(), password_hash=_hasher.hash(password),
                         failures=0, locked_until=None)
        return Message((f"password set for {who.id} ({who.name})",), {"staff": who.id})

    def make_token(self, staff_id: str) -> Message:
        """A new personal CLI token for this member of staff (replacing any before), shown
        once: the store keeps only its SHA-256 (security.cli_identity: token)."""
        from engine.service.identity import new_token, token_hash

        who = self.engine.school.member(staff_id)
        token = new_token()
        self.logins.save(who.id, self._stamp(), token_hash=token_hash(token))
        return Message((f"token made for {who.id} ({who.name}), replacing any before; they "
                        "give it in LIAISON_TOKEN (it is not shown again):", token),
                       {"staff": who.id, "token": token})

    def enrol_second_factor(self, staff_id: str) -> Message:
        """A new TOTP secret for this member of staff (replacing any before)."""
        who = self.engine.school.member(staff_id)
        secret = base64.b32encode(secrets.token_bytes(20)).decode("ascii")
        self.logins.save(who.id, self._stamp(), totp_secret=secret, totp_last_step=None)
        link = totp.uri(secret, who.id, self.engine.school.profile.name)
        return Message((f"second factor enrolled for {who.id} ({who.name}); add it to an "
                        "authenticator app:", link), {"secret": secret, "uri": link})

    def listing(self) -> Listing[Row]:
        """Who has a password, a second factor, a lock in force."""
        rows = self.logins.all()
        now = self._stamp()
        out = []
        for member in self.engine.school.staff.values():
            row = rows.get(member.id, {})
            locked = row.get("locked_until") or ""
            locked = locked if locked > now else ""
            data = {"staff": member.id, "name": member.name,
                    "password": bool(row.get("password_hash")),
                    "second_factor": bool(row.get("totp_secret")), "locked_until": locked or None}
            out.append(Row(data, (member.id, member.name, _yes(data["password"]),
                                  _yes(data["second_factor"]), locked)))
        return listing("Sign-in", ("staff", "name", "password", "second factor", "locked until"),
                       out)

    # ------------------------------------------------------------------ signing in

    def sign_in(self, staff_id: str, password: str) -> SignedIn:
        """The password step; SignInRefused (one message for every failure) otherwise."""
        staff_id = staff_id.strip()
        member = self.engine.school.staff.get(staff_id)
        row = self.logins.get(staff_id) if member else None
        if member is None or row is None or not row.get("password_hash"):
            _verify(_DUMMY, password)
            if member is not None:
                self._failed(member, "bad_password")
            raise SignInRefused(WRONG)
        self._not_locked(member, row)
        if not _verify(row["password_hash"], password):
            self._failed(member, "bad_password")
        if _hasher.check_needs_rehash(row["password_hash"]):
            self.logins.save(member.id, self._stamp(), password_hash=_hasher.hash(password))
        if row.get("totp_secret"):
            return SignedIn(member.id, member.name, needs_code=True)
        self.logins.record(member.id, self._stamp(), "signed_in", reset=True)
        return SignedIn(member.id, member.name, needs_code=False)

    def second_factor(self, staff_id: str, code: str) -> SignedIn:
        """The code step, after ``sign_in`` said one is needed."""
        member = self.engine.school.member(staff_id)
        row = self.logins.get(member.id) or {}
        self._not_locked(member, row)
        secret = row.get("totp_secret")
        step = totp.matching_step(secret, code, self._now().timestamp()) if secret else None
        if step is None or not self.logins.use_step(member.id, step):
            self._failed(member, "bad_code", "That code is wrong or was used already")
        self.logins.record(member.id, self._stamp(), "signed_in", reset=True)
        return SignedIn(member.id, member.name, needs_code=False)

    def has_second_factor(self, staff_id: str) -> bool:
        row = self.logins.get(staff_id)
        return bool(row and row.get("totp_secret"))

    def _not_locked(self, member: Staff, row: dict[str, object]) -> None:
        until = row.get("locked_until")
        if isinstance(until, str) and until > self._stamp():
            self.logins.record(member.id, self._stamp(), "locked")
            raise SignInRefused(f"This account is locked after {LOCK_AFTER} failed sign-ins; "
                                f"try again after {until[11:16]}")

    def _failed(self, member: Staff, outcome: str, message: str = WRONG) -> None:
        until = (self._now() + LOCK_FOR).isoformat(timespec="seconds")
        left = self.logins.failed(member.id, self._stamp(), outcome, LOCK_AFTER, until)
        if left == 0:
            raise SignInRefused(f"{message}. This account is now locked after {LOCK_AFTER} "
                                f"failed sign-ins; try again after {until[11:16]}")
        raise SignInRefused(message)


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def session_key(root: Path) -> bytes:
    """The key that signs the web page's session cookies: made once, kept in the school's
    ``cases/`` folder (readable by its owner only), so a restart keeps people signed in
    and another school's cookies are worthless here."""
    path = root / "cases" / "web-session.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(secrets.token_bytes(32))
        path.chmod(0o600)
    return path.read_bytes()
