"""A banned parent's copy of a letter invites them neither in nor to call (HSP-5; pure).

A site ban applies to a person, not to a letter: the banned parent's copy drops every
invitation to come in, to call or to attend, and gives the permitted route instead
(``{%p if ban %}`` in a template). ``liaison check`` proves it for every letter that can go
to a parent: it renders each one for a parent under a ban (once for each option of every
choice field, once with every optional field left out, with an interpreter needed) and
looks for the wording below in the letter's body. This module says what an invitation
reads like and makes the contexts; rendering is the caller's (engine.letters).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from engine.core import context as ctx
from engine.core import must_say
from engine.core.definitions import Workflow

# The route and dates a ban copy is rendered with: recognisable, never an invitation.
SAMPLE_BAN = {"contact_route": "by letter to the School Office",
              "review_on": "Friday 15 January 2027", "ban_from": "Monday 7 December 2026",
              "arrangements": "Sample arrangements for the school run."}

# What an invitation to come in, to call or to attend reads like, as the shipped letters
# word one; "please do not come to the school site" is the ban's own sentence, not one.
INVITATIONS = (
    "invite you", "invited", "invitation to", "come in", "come into school",
    "come to the school on", "join us", "report to reception", "at reception",
    "contact the school office", "school office on", "please contact us",
    "telephone the school", "call the school", "ring the school", "phone the school",
    "meet you at the school", "meeting at the school", "you are welcome to visit",
)


@dataclass(frozen=True)
class Invitation:
    """Invitation wording found in a ban copy: what matched, and the paragraph it is in."""

    says: str
    paragraph: str


def invitations(body: str, phone: str = "") -> list[Invitation]:
    """Each invitation in a letter's body text (one paragraph a line): the wording above,
    and the school's telephone number (an invitation to call, outside the letterhead)."""
    out = []
    for paragraph in body.splitlines():
        flat = _normal(paragraph)
        wanted = [*INVITATIONS, *([_normal(phone)] if phone.strip() else [])]
        for says in wanted:
            if re.search(rf"(?<!\w){re.escape(says)}(?!\w)", flat):
                out.append(Invitation(says, " ".join(paragraph.split())))
    return out


def ban_copies(workflow: Workflow, base: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The values a ban copy is rendered with, each with a label: the sample values, once
    for each other option of each choice field, and once with every optional field left
    out (a paragraph shown only then is seen too)."""
    yield "the sample values", dict(base)
    for values in list(must_say.variants(workflow, base))[1:]:
        changed = ", ".join(f"{k}={values[k]}" for k in values if values[k] != base[k])
        yield changed, values
    # optional as staff give them; a computed value (``computes:``) is always worked out
    optional = {f.name for e in (workflow.opening, *workflow.events.values())
                for f in e.fields if f.optional}
    if optional:
        yield "no optional fields", {k: v for k, v in base.items() if k not in optional}


def under_ban(context: Mapping[str, Any]) -> dict[str, Any]:
    """``context`` as a banned parent's copy gets it: a ban in force, one addressee, and
    an interpreter needed (so that paragraph is read too)."""
    recipient = {**context["recipient"], "needs_interpreter": True, "language": "Polish"}
    return {**context, "ban": dict(SAMPLE_BAN), "recipient": recipient}


# What a batch letter's typed field (letters/NAME.yaml) holds as printed, for the sample.
_BATCH_SAMPLES = {"date": "Thursday 4 February 2027", "time": "6.30pm", "money": "£12.50",
                  "percent": "89.5%"}


def batch_fields(types: Mapping[str, str]) -> dict[str, Any]:
    """A sample value for each field of a batch letter, as its declared type prints."""
    return {name: ([f"Sample {name} one", f"Sample {name} two"] if kind == "list" else
                   _BATCH_SAMPLES.get(kind, f"Sample {name.replace('_', ' ')} text"))
            for name, kind in types.items()}


def batch_context(fields: Mapping[str, Any], letterhead: Any) -> dict[str, Any]:
    """A batch letter's whole context (no case) for a sample pupil and parent, banned."""
    recipient = ctx.Recipient(id="sample", name="Ms Sample Parent", salutation="Dear Ms Parent",
                              address_lines=("1 Sample Street", "Sampletown", "SA1 1AA"),
                              names=("Ms Sample Parent",))
    context = ctx.letter_context(
        letterhead=letterhead, when=must_say.SAMPLE_DAY, case={"id": "SAMPLE-BATCH"},
        recipient=recipient, student=must_say.SAMPLE_STUDENT, fields=dict(fields),
        signatory=("Sample Head", "Headteacher"), actor=("Sample Head", "Headteacher"),
        ban=None)
    return under_ban(context)


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()
