"""The records of the case store as plain values (pure): what the store reads and writes.

The store (engine.store) turns these into rows and back; the service and the core pass
them around without knowing there is a database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CaseRow:
    id: str
    workflow: str
    state: str
    student_id: str
    contact_id: str | None
    holder: str | None
    fields: dict[str, Any]
    version: int
    opened_at: str
    opened_by: str
    closed_at: str | None
    restricted: bool
    child_protection: bool
    legal_hold: bool = False  # a legal hold blocks disposal (issue 11)


@dataclass(frozen=True)
class Visibility:
    """Which cases a member of staff may see (CLA-3), as the store can ask it of every
    row: none of the ``hidden`` workflows' cases but those they opened of the
    ``opener_sees`` ones, and of a workflow not ``known`` (its file removed) only a case
    that was not restricted."""

    actor: str
    hidden: frozenset[str]
    opener_sees: frozenset[str]
    known: frozenset[str]
    # Cases hidden from this member of staff by name whatever their roles (a complaint
    # about them, a workflow's hidden_from: CMP-6): few, judged case by case.
    unseen: frozenset[str] = frozenset()


@dataclass(frozen=True)
class EventRow:
    case_id: str
    event: str
    from_state: str | None
    to_state: str
    actor: str
    actor_name: str
    occurred_at: str
    fields: dict[str, Any]
    seq: int = 0
    recorded_at: str = ""
    hash: str = ""


@dataclass(frozen=True)
class DocumentRow:
    """A document written: where, its hash, whom for, and the context it was rendered
    from (JSON), so that it can be reprinted exactly as sent."""

    template: str
    recipient_id: str | None
    recipient_name: str
    path: str
    sha256: str
    size: int
    student_id: str
    case_id: str | None = None
    batch_key: str | None = None
    created_at: str = ""
    context: str | None = None
    sends: tuple[Any, ...] = ()  # engine.core.sending.Send: queued with the document


@dataclass(frozen=True)
class DeadlineRow:
    name: str
    title: str
    clause: str
    due_on: str
    due_at: str | None = None
    status: str = "open"
    met_at: str | None = None
    case_id: str = ""


@dataclass
class Change:
    """Everything one accepted event writes, in one transaction."""

    event: EventRow
    documents: list[DocumentRow] = field(default_factory=list)
    deadlines: list[DeadlineRow] = field(default_factory=list)
    meets: list[str] = field(default_factory=list)  # deadline names met by this event
    cancels: list[str] = field(default_factory=list)  # deadline names made moot by it
    closes: bool = False


@dataclass
class CaseMove:
    """A case opened (``new``) or moved on from the version it was read at, with the
    event that did it: the store refuses it (ConflictError) if the version has moved."""

    case: CaseRow  # as read (its version), or the new case
    state: str
    fields: dict[str, Any]
    holder: str | None
    change: Change
    new: bool = False
    child_protection: bool | None = None  # set or cleared by this event, else unchanged
    legal_hold: bool | None = None  # put on or released by this event, else unchanged
