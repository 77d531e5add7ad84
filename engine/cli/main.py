"""The ``liaison`` command: typer + rich, thin over engine.service.

Every command that reads or changes a case takes ``--as STAFF_ID``. A LiaisonError becomes
one ``error:`` line on stderr and exit status 1 (2 for usage errors); anything else is a
bug and keeps its traceback.

The commands live in one module per group and register on the app of
``engine.cli.options`` when imported here, in the order ``liaison --help`` lists them.
"""

from __future__ import annotations

import errno
import sys

import typer

from engine.cli import (  # noqa: F401  (the order of 'liaison --help')  # noqa: F401
    calendar,
    cases,
    db,
    delivery,
    imports,
    letters,
    records,  # noqa: F401
    retention,
    school,
    trust,
    users,
)
from engine.cli.options import app
from engine.core.text import visible
from engine.errors import DefinitionError, ImportRowError, LiaisonError

__all__ = ["app", "entry", "main"]


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit status (1 for a LiaisonError, 2 for usage)."""
    args = sys.argv[1:] if argv is None else argv
    undecodable = _not_utf8(args)
    if undecodable:
        sys.stderr.write(f"error: {undecodable}\n")
        return 1
    try:
        app(args=argv, prog_name="liaison", standalone_mode=False)
    except DefinitionError as exc:
        for problem in exc.problems:
            sys.stderr.write(f"error: {_line(problem)}\n")
        return 1
    except ImportRowError as exc:  # a line for each bad row of the file
        for problem in str(exc).split("\n"):
            sys.stderr.write(f"error: {visible(problem)}\n")
        return 1
    except LiaisonError as exc:
        sys.stderr.write(f"error: {_line(str(exc))}\n")
        return 1
    except OSError as exc:  # a full or read-only disk is no bug: say it in one line
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG):
            raise
        sys.stderr.write(f"error: {_line(str(exc))}\n")
        return 1
    except typer.Abort:
        sys.stderr.write("error: aborted\n")
        return 1
    except typer.TyperException as exc:  # usage errors: unknown option, missing argument
        message = exc.format_message()  # type: ignore[attr-defined]
        if type(exc).__name__ == "NoArgsIsHelpError":
            sys.stderr.write(visible(message) + "\n")
        else:
            line = message.splitlines()[0] if message else str(exc)
            sys.stderr.write(f"error: {_line(line)}\n")
        return int(getattr(exc, "exit_code", 2))
    return 0


def _line(message: str) -> str:
    """One line: a value quoted in the message (an id typed with a line break in it) has
    its line breaks written as ``\\n``, like every other control (``visible``)."""
    return visible(message).replace("\n", "\\n")


def _not_utf8(args: list[str]) -> str | None:
    """What to say of the first argument that is not valid UTF-8 (the shell hands such
    bytes over as surrogates; SQLite could not store them), or holds a NUL (no path or
    value may: a caller other than a shell could pass one)."""
    for i, arg in enumerate(args):
        option = args[i - 1] if i and args[i - 1].startswith("--") else None
        named = f"{option} " if option else f"argument {i + 1} "
        if "\x00" in arg:
            return f"{named}'{visible(arg)[:80]}' holds a NUL character: type it again"
        if any("\ud800" <= c <= "\udfff" for c in arg):  # bytes the shell could not decode
            try:
                raw = arg.encode("utf-8", "surrogateescape")
            except UnicodeEncodeError:  # a lone surrogate besides: show the text as it is
                raw = arg.encode("ascii", "backslashreplace")
            shown = visible(raw.decode("ascii", "backslashreplace"))
            return f"{named}'{shown}' is not valid UTF-8: type it again (ids are plain text)"
    return None


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":  # python -m engine.cli.main (bench/startup.py)
    entry()
