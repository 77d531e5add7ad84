"""The one exception tree of the engine.

Every error a user can cause (bad input, a wrong role, a broken workflow file) is a
``LiaisonError``; the CLI turns it into one ``error:`` line and exit status 1. Anything
else that escapes is a bug and keeps its traceback.

    LiaisonError
    ├── DefinitionError        a workflow, school.yaml or template is invalid (all problems listed)
    ├── InputError             a value given by the user is wrong
    │   ├── FieldError         a case field: missing, wrong type, unsafe characters
    │   └── ImportRowError     a CSV row being imported
    ├── NotFound               a case, workflow, person, template or school that does not exist
    ├── PermissionDenied       this member of staff may not do or see this
    │   └── SignInRefused      a web sign-in: wrong password or code, or a locked account
    ├── TransitionNotAllowed   the event cannot fire from the case's state (or a guard refuses it)
    ├── ConflictError          someone else changed the case first
    │   └── StoreBusy          another command holds the store's lock (doctor without --wait)
    ├── LetterError            a letter could not be rendered safely
    ├── NoSpace                the disk is full or read-only: nothing was recorded
    ├── ToolMissing            an outside program (LibreOffice) is not installed
    └── StoreUnreachable       the case store cannot be reached, or is at another schema
"""

from __future__ import annotations


class LiaisonError(Exception):
    """Base of every error the user can cause and fix."""


class DefinitionError(LiaisonError):
    """A definition file is invalid. ``problems`` holds every problem, one line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class InputError(LiaisonError):
    """A value given on the command line or in a file is wrong."""


class FieldError(InputError):
    """A case field is missing, of the wrong type, or holds unsafe text."""


class ImportRowError(InputError):
    """A row of an imported CSV file is wrong; nothing from the file was imported."""


class NotFound(LiaisonError):
    """A case, workflow, person, template or school directory does not exist."""


class PermissionDenied(LiaisonError):
    """The member of staff does not hold a role that allows this."""


class SignInRefused(PermissionDenied):
    """A sign-in to the web page was refused (the message never says which part was
    wrong, so it cannot be used to find staff ids)."""


class TransitionNotAllowed(LiaisonError):
    """The event is not allowed from the case's current state, or a guard refused it."""


class ConflictError(LiaisonError):
    """The case changed under us (another writer advanced it first)."""


class StoreBusy(ConflictError):
    """Another command holds the store's lock: a writer with letters in flight, when
    ``doctor`` (which must run alone) was asked not to wait."""


class LetterError(LiaisonError):
    """A letter template could not be rendered, or rendered to an unsafe document."""


class Tampered(LiaisonError):
    """The audit trail, a case row or a document no longer matches what was recorded."""


class NoSpace(LiaisonError):
    """The disk holding the case store is full (or read-only, or over quota): what was
    being recorded was not, and its partial files were removed at once."""


class ToolMissing(LiaisonError):
    """An outside program the command needs is not installed."""


class StoreUnreachable(LiaisonError):
    """The case store cannot be reached (PostgreSQL down, a wrong URL), or its schema is
    not the one this release needs."""
