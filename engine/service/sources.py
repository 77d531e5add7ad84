"""The files of a school directory read into the core's values: the only place a school's
definitions and the MIS's exports are read from disk.

A school directory holds ``school.yaml``, ``workflows/``, ``letters/`` and ``cases/``.
``open_school`` reads ``school.yaml`` and every workflow and validates all of it (the core
parses and checks; this reads), reporting every problem at once as
``FILE:LINE: key: what is wrong``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

from engine.core import definitions, people, validation
from engine.core.definitions import Workflow
from engine.core.school import (
    DEFAULT_CLAUSES,
    DEFAULT_SCHOOL_ID,
    SCHOOL_FILE,
    School,
    parse_profile,
)
from engine.core.validation import Letters
from engine.core.yamlfile import loads
from engine.errors import DefinitionError, ImportRowError, InputError, NotFound
from engine.store.database import Store


def find_root(explicit: Path | None) -> Path:
    """The school directory: --school, else $LIAISON_SCHOOL, else the current directory."""
    root = explicit or (Path(os.environ["LIAISON_SCHOOL"]) if os.environ.get("LIAISON_SCHOOL")
                        else Path.cwd())
    if not (root / SCHOOL_FILE).is_file():
        raise NotFound(f"{root}: not a school directory (no {SCHOOL_FILE}); "
                       "use --school DIR or 'liaison init DIR'")
    return root.resolve()


def read_text(path: Path) -> str:
    """A definition file's text; DefinitionError when it is missing or not UTF-8."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise DefinitionError([f"{path}: file not found"]) from exc
    except UnicodeDecodeError as exc:
        raise DefinitionError([f"{path}: not UTF-8 text ({exc.reason})"]) from exc


def read_yaml(path: Path) -> Any:
    """One YAML file, loaded strictly (``engine.core.yamlfile``)."""
    return loads(read_text(path), str(path))


def parse_workflow(path: Path) -> Workflow:
    """One workflow file, parsed but not validated against a school."""
    return definitions.parse(read_text(path), path)


def letters_in(folder: Path,
               fields: Callable[[Path], set[str]] | None = None) -> Letters:
    """The letters folder as validation sees it; ``fields`` (engine.letters'
    template_fields) also lets it check what each template reads."""
    names = frozenset(p.name for p in folder.glob("*.docx")) if folder.is_dir() else frozenset()
    return Letters(folder, names, (lambda name: fields(folder / name)) if fields else None)


def load_workflow(path: Path, roles: Collection[str], letters: Letters,
                  clauses: Collection[str] = DEFAULT_CLAUSES,
                  groups: Mapping[str, frozenset[str]] | None = None,
                  clause_ids: Collection[str] = ()) -> Workflow:
    """One workflow file, parsed and validated; DefinitionError lists every problem.

    A file read before, word for word and against the same roles, groups, clauses and
    letter names, is not parsed again: a trust's schools mostly run the shipped workflows,
    and its report reads fifty schools in one process (each ~30 ms a workflow)."""
    text = read_text(path)
    if letters.fields is not None:  # `liaison check` reads each template: never from memory
        return validation.load(text, path, roles, letters, clauses, groups, clause_ids)
    key = (text, path.name, frozenset(roles), frozenset(letters.names), frozenset(clauses),
           frozenset((groups or {}).items()), frozenset(clause_ids))
    known = _parsed.get(key)
    if known is None:
        known = _parsed[key] = validation.load(text, path, roles, letters, clauses, groups,
                                               clause_ids)
    return dataclasses.replace(known, path=path)


# Workflows parsed in this process (load_workflow): a valid workflow is a frozen value.
_parsed: dict[tuple[Any, ...], Workflow] = {}


def load_profile(root: Path) -> School:
    """school.yaml alone: letterhead, calendar, staff (no workflows)."""
    return parse_profile(read_text(root / SCHOOL_FILE), root)


def open_school(root: Path,
                template_fields: Callable[[Path], set[str]] | None = None) -> School:
    """Load and validate a whole school directory; DefinitionError lists every problem.

    ``template_fields`` (engine.letters' template_fields) also checks what each letter
    reads; `liaison check` passes it, everyday commands skip that cost.
    """
    school = load_profile(root)
    letters = letters_in(school.letters_dir, template_fields)
    problems: list[str] = []
    for path in sorted((root / "workflows").glob("*.yaml")):
        try:
            workflow = load_workflow(path, school.roles, letters, school.clauses, school.groups,
                                     school.clause_texts)
        except DefinitionError as exc:
            problems += exc.problems
            continue
        school.workflows[workflow.name] = workflow
    if problems:
        raise DefinitionError(problems)
    return school


def read_bytes(path: Path) -> bytes:
    """An exported file's bytes; ImportRowError when it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ImportRowError(f"{path}: cannot read the file: {exc.strerror}") from exc


def read_students(path: Path) -> list[people.Student]:
    return people.read_students(read_bytes(path), str(path))


def read_contacts(path: Path, known_students: Collection[str]) -> list[people.Contact]:
    return people.read_contacts(read_bytes(path), str(path), known_students)


def read_student_list(path: Path,
                      known_students: Collection[str]) -> list[tuple[str, dict[str, str]]]:
    return people.read_student_list(read_bytes(path), str(path), known_students)


def open_store(school: School, migrate: bool = True) -> Store:
    """The school's case store: $LIAISON_DATABASE_URL, else school.yaml's ``database:``,
    else the SQLite file under cases/. In a shared database the school is the tenant its
    ``school_id`` names, so one is required there."""
    url = os.environ.get("LIAISON_DATABASE_URL") or school.database_url
    if url and not url.startswith("sqlite"):
        if not school.school_id:
            raise DefinitionError([f"{school.root / SCHOOL_FILE}: school_id: a school in a "
                                   "shared database needs one (a short slug, such as "
                                   "north-park)"])
        pool = os.environ.get("LIAISON_DATABASE_POOL", "5")
        if not pool.isdigit() or int(pool) < 1:
            raise InputError(f"LIAISON_DATABASE_POOL '{pool}': expected a number of "
                             "connections, such as 5")
        return Store(url, school.school_id, migrate=migrate, pool_size=int(pool))
    return Store(url or school.database, school.school_id or DEFAULT_SCHOOL_ID,
                 migrate=migrate)
