"""The web page and who may sign in to it: ``liaison serve`` and ``liaison users``."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from engine.cli.emit import emit
from engine.cli.options import JsonOpt, SchoolOpt, app, liaison, out, root
from engine.errors import InputError

users_app = typer.Typer(no_args_is_help=True, help="Who may sign in to the web page: "
                        "passwords, second factors, locks; and CLI tokens.")
app.add_typer(users_app, name="users")
StaffArg = Annotated[str, typer.Argument(metavar="STAFF_ID", show_default=False,
                                         help="The member of staff (see 'liaison staff').")]


@users_app.command("password")
def password(staff: StaffArg, school: SchoolOpt = None) -> None:
    """Set STAFF_ID's password for the web page: read from standard input when it is not
    a terminal, else asked for twice."""
    if sys.stdin.isatty():
        import getpass

        first = getpass.getpass("New password: ")
        if getpass.getpass("Again: ") != first:
            raise InputError("the two passwords differ: nothing changed")
    else:
        first = sys.stdin.readline().rstrip("\r\n")
    from engine.service.users import Users

    with liaison(school) as engine:
        emit(Users(engine).set_password(staff, first), False)


@users_app.command("second-factor")
def second_factor(staff: StaffArg, school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """Enrol a second factor (TOTP) for STAFF_ID and print its otpauth:// URI for an
    authenticator app; signing in then also asks for its code."""
    from engine.service.users import Users

    with liaison(school) as engine:
        emit(Users(engine).enrol_second_factor(staff), as_json)


@users_app.command("token")
def token(staff: StaffArg, school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """Make STAFF_ID's personal token for the CLI (school.yaml security.cli_identity:
    token), replacing any before; they give it in LIAISON_TOKEN."""
    from engine.service.users import Users

    with liaison(school) as engine:
        emit(Users(engine).make_token(staff), as_json)


@users_app.command("list")
def list_users(school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """Who has a password, a second factor, a lock in force."""
    from engine.service.users import Users

    with liaison(school) as engine:
        emit(Users(engine).listing(), as_json)


@app.command()
def serve(school: SchoolOpt = None,
          host: Annotated[str, typer.Option("--host", metavar="ADDRESS",
                                            help="The address to listen on.")] = "127.0.0.1",
          port: Annotated[int, typer.Option("--port", metavar="PORT",
                                            help="The port to listen on.")] = 8000,
          threads: Annotated[int, typer.Option("--threads", metavar="N",
                                               help="Requests served at once.")] = 4) -> None:
    """Serve the staff web page (waitress), on 127.0.0.1 unless told otherwise."""
    import logging

    import waitress

    from engine.web.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    web = create_app(root(school))
    out.print(f"serving {web.extensions['liaison'].school.profile.name} on "
              f"http://{host}:{port}/ (Ctrl+C to stop)")
    sys.stdout.flush()
    waitress.serve(web, host=host, port=port, threads=threads, ident="liaison")
