"""A trust's commands (issue 17): ``liaison trust ...`` for the trust's own staff, each
read of a school with their second factor (``--code``) and written down in that school's
rows; ``liaison trust reads`` for a school's leaders, to see those reads."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from engine.cli.emit import emit
from engine.cli.options import AsOpt, JsonOpt, SchoolOpt, app, me, records

if TYPE_CHECKING:
    from engine.service.trust import TrustOffice, TrustSession

trust_app = typer.Typer(no_args_is_help=True, help="A trust's schools read by its own staff "
                        "(trust.yaml), each read with a second factor and written down in "
                        "the school's rows.")
app.add_typer(trust_app, name="trust")

TrustOpt = Annotated[Path | None, typer.Option(
    "--trust-dir", envvar="LIAISON_TRUST", metavar="DIR", show_default=False,
    help="The folder of trust.yaml (default: here, or $LIAISON_TRUST).")]
CodeOpt = Annotated[str, typer.Option(
    "--code", metavar="CODE", show_default=False,
    help="The code your authenticator app shows now (liaison trust second-factor); a code "
         "works once.")]
SchoolIdArg = Annotated[str, typer.Argument(metavar="SCHOOL_ID", show_default=False,
                                            help="The school, as trust.yaml names it.")]
CaseArg = Annotated[str, typer.Argument(metavar="CASE", show_default=False)]


@contextmanager
def office(folder: Path | None) -> Iterator[TrustOffice]:
    from engine.service.trust import TrustOffice, find_trust

    opened = TrustOffice.at(find_trust(folder))
    try:
        yield opened
    finally:
        opened.close()


@contextmanager
def session(folder: Path | None, actor: str | None, code: str) -> Iterator[TrustSession]:
    """A member of the trust's staff, known as trust.yaml's security.cli_identity says,
    past their second factor."""
    from engine.service.identity import cli_caller

    with office(folder) as opened:
        signed = opened.signed_in(cli_caller(opened, actor), code)  # type: ignore[arg-type]
        try:
            yield signed
        finally:
            signed.close()


@trust_app.command("check")
def check(trust: TrustOpt = None) -> None:
    """Check trust.yaml, and that each school's folder holds the school it names."""
    with office(trust) as opened:
        emit(opened.check(), as_json=False)


@trust_app.command("schools")
def schools(trust: TrustOpt = None, as_json: JsonOpt = False) -> None:
    """The trust's schools: school_id, name, folder."""
    with office(trust) as opened:
        emit(opened.schools(), as_json)


@trust_app.command("second-factor")
def second_factor(staff: Annotated[str, typer.Argument(
                      metavar="STAFF_ID", show_default=False,
                      help="A member of the trust's staff (trust.yaml).")],
                  trust: TrustOpt = None, as_json: JsonOpt = False) -> None:
    """Enrol a second factor (TOTP) for a member of the trust's staff; print its
    otpauth:// URI for an authenticator app. Every read of a school asks for its code."""
    from engine.service.users import Users

    with office(trust) as opened:
        emit(Users(opened).enrol_second_factor(staff), as_json)  # type: ignore[arg-type]


@trust_app.command("token")
def token(staff: Annotated[str, typer.Argument(
              metavar="STAFF_ID", show_default=False,
              help="A member of the trust's staff (trust.yaml).")],
          trust: TrustOpt = None, as_json: JsonOpt = False) -> None:
    """Make a personal CLI token for a member of the trust's staff (trust.yaml
    security.cli_identity: token), given in LIAISON_TOKEN; shown once."""
    from engine.service.users import Users

    with office(trust) as opened:
        emit(Users(opened).make_token(staff), as_json)  # type: ignore[arg-type]


Limit = Annotated[int, typer.Option("--limit", metavar="N", help="At most N cases.")]
After = Annotated[str | None, typer.Option("--after", metavar="CASE", show_default=False,
                                           help="The cases after this one.")]


@trust_app.command("cases")
def cases(school_id: SchoolIdArg, code: CodeOpt, actor: AsOpt = None, trust: TrustOpt = None,
          limit: Limit = 50, after: After = None, as_json: JsonOpt = False) -> None:
    """A school's cases (a trust safeguarding lead's or data protection officer's)."""
    with session(trust, actor, code) as reader:
        emit(reader.cases(school_id, after=after, limit=limit), as_json)


@trust_app.command("show")
def show(school_id: SchoolIdArg, case: CaseArg, code: CodeOpt, actor: AsOpt = None,
         trust: TrustOpt = None, as_json: JsonOpt = False) -> None:
    """A case of a school, as 'liaison show' prints it."""
    with session(trust, actor, code) as reader:
        emit(reader.view(school_id, case), as_json)


@trust_app.command("history")
def history(school_id: SchoolIdArg, case: CaseArg, code: CodeOpt, actor: AsOpt = None,
            trust: TrustOpt = None, as_json: JsonOpt = False) -> None:
    """A case's audit trail, as 'liaison history' prints it."""
    with session(trust, actor, code) as reader:
        emit(reader.history(school_id, case), as_json)


@trust_app.command("audit")
def audit(school_id: SchoolIdArg, code: CodeOpt, actor: AsOpt = None, trust: TrustOpt = None,
          as_json: JsonOpt = False) -> None:
    """Every read of a school by the trust's staff (the trust's data protection officer)."""
    with session(trust, actor, code) as reader:
        emit(reader.reads(school_id), as_json)


@trust_app.command("reads")
def reads(actor: AsOpt = None, school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """A school's leaders: every read of the school by its trust's staff (who, in which
    trust role, which case, what, when)."""
    from engine.service.trust import school_reads

    with records(school) as engine:
        emit(school_reads(engine, me(engine, actor)), as_json)
