"""The school commands: init, demo, check, workflows (and workflows show), staff, diagram,
doctor. Each calls one use case and prints its view."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from engine.cli.emit import emit
from engine.cli.options import JsonOpt, SchoolOpt, app, liaison, out, root
from engine.core.text import visible

WorkflowArg = Annotated[str, typer.Argument(metavar="WORKFLOW", show_default=False,
                                            help="A workflow's name (see 'liaison workflows').")]


@app.command()
def init(directory: Annotated[Path, typer.Argument(metavar="DIR", show_default=False)]) -> None:
    """Make a new school directory from the shipped defaults."""
    from engine.service import shipped

    emit(shipped.init(directory), as_json=False)


@app.command()
def demo(directory: Annotated[Path, typer.Argument(metavar="DIR")] = Path("demo-school"),
         as_json: JsonOpt = False) -> None:
    """Run a conduct case on the demo school, from incident to site ban to resolution."""
    from engine.service import shipped

    emit(shipped.demo(directory), as_json)


@app.command()
def check(school: SchoolOpt = None) -> None:
    """Validate school.yaml, every workflow and every letter template."""
    from engine.service import school as about

    emit(about.check(root(school)), as_json=False)


workflows_app = typer.Typer(no_args_is_help=False, help="List the workflows with their "
                            "policy and review date; 'workflows show' gives one in full.")
app.add_typer(workflows_app, name="workflows")


@workflows_app.callback(invoke_without_command=True)
def workflows(ctx: typer.Context, school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """List the workflows with their policy and review date."""
    from engine.service import school as about

    if ctx.invoked_subcommand is None:
        emit(about.workflows(root(school)), as_json)


@workflows_app.command("show")
def workflows_show(workflow: WorkflowArg, school: SchoolOpt = None,
                   as_json: JsonOpt = False) -> None:
    """A workflow's states, and the fields of opening it and of each event: their types,
    whether each is required, and a choice's options."""
    from engine.service import school as about

    emit(about.workflow(root(school), workflow), as_json)


@app.command()
def staff(school: SchoolOpt = None, as_json: JsonOpt = False) -> None:
    """List the staff and their roles."""
    from engine.service import school as about

    emit(about.staff(root(school)), as_json)


@app.command()
def diagram(workflow: WorkflowArg, school: SchoolOpt = None) -> None:
    """Print a Mermaid diagram of a workflow's states and events."""
    from engine.service import school as about

    sys.stdout.write(visible(about.diagram(root(school), workflow)))


@app.command()
def doctor(school: SchoolOpt = None, wait: Annotated[bool, typer.Option(
        "--wait", help="Wait for commands writing letters to finish (without it, doctor "
        "stops at once when one is).")] = False) -> None:
    """Remove document files no record names (left by a crash before a commit) and letter
    previews, make cases/ owner-only again; say where the store is, that it answered, and
    its schema revision."""
    with liaison(school) as engine:
        emit(engine.doctor(wait), as_json=False)



@app.command("try")
def try_workflow(
        workflow: WorkflowArg, school: SchoolOpt = None,
        student: Annotated[str | None, typer.Option(
            "--student", metavar="STUDENT_ID", show_default=False,
            help="A sample pupil (samples/students.csv; default: the first).")] = None,
        on: Annotated[str | None, typer.Option(
            "--on", metavar="DATE", show_default=False,
            help="The sandbox's first day (default today, or the next school day).")] = None,
        letters: Annotated[Path | None, typer.Option(
            "--letters", metavar="DIR", show_default=False,
            help="Also copy each letter's .docx into this new folder, to open in Word.")] = None,
        text: Annotated[bool, typer.Option("--text/--no-text",
                                           help="Show each letter's text.")] = True,
        as_json: JsonOpt = False) -> None:
    """Walk a whole workflow in a throwaway copy of the school: steps from the terminal or
    stdin, one a line (EVENT [--as STAFF] [NAME=VALUE ...], 'open' first), each letter's
    text shown; nothing is left behind."""
    from engine.cli.options import day
    from engine.service.sandbox import Sandbox, Step

    if letters is not None and letters.exists():
        from engine.errors import InputError

        raise InputError(f"--letters {letters}: already exists; give a new folder")
    steps: list[Step] = []
    with Sandbox(root(school), workflow, student, day(on, "--on") if on else None) as box:
        prompt = sys.stdin.isatty()
        if prompt:
            out.print(f"Trying {workflow} on a copy of the school (student "
                      f"{box.student}); 'done' or an empty line ends it.")
        while True:
            if prompt:
                out.print(f"next ({', '.join(box.possible()) or 'none'})> ", end="")
            line = sys.stdin.readline()
            if not line.strip() or line.strip() == "done":
                break
            step = box.step(line.strip())
            steps.append(step)
            if not as_json:
                _show_step(step, text)
            if letters is not None:
                _keep(step, letters)
    if as_json:
        from engine.cli.emit import print_json

        print_json([s.as_json() for s in steps])
    elif not prompt:
        said = "1 step" if len(steps) == 1 else f"{len(steps)} steps"
        out.print(f"{said} tried; the sandbox is removed.")


def _show_step(step: object, text: bool) -> None:
    from engine.cli.options import out as console

    s: Any = step
    if s.refused:
        console.print(f"{visible(s.event)}: refused: {visible(s.refused)}", markup=False)
        return
    console.print(f"{s.event} (as {s.actor}, {s.at}) -> {s.state}", markup=False)
    for d in s.deadlines:
        console.print(f"  deadline {d['name']}: {d['due']}", markup=False)
    for letter in s.letters:
        console.print(f"  letter {letter.template} to {visible(letter.recipient)}:", markup=False)
        for line in letter.text.splitlines() if text else ():
            console.print(f"    | {visible(line)}" if line else "    |", markup=False)
    for opened in s.opened:
        console.print(f"  opened {visible(opened)}", markup=False)
    console.print(f"  next: {', '.join(s.next) or 'none (the case is closed)'}", markup=False)


def _keep(step: object, folder: Path) -> None:
    import shutil

    s: Any = step
    for letter in s.letters:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        shutil.copy2(letter.path, folder / letter.path.name)
