"""The school commands: init, demo, check, workflows (and workflows show), staff, diagram,
doctor. Each calls one use case and prints its view."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from engine.cli.emit import emit
from engine.cli.options import JsonOpt, SchoolOpt, app, liaison, root
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

