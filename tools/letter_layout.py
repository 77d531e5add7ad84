"""The shared layout of every shipped letter: letters to parents and records for the file.

Each body line is a paragraph; a line starting with "**" is bold, "- " a bullet. docxtpl
tags: ``{{ }}`` for values, ``{%p if %}``/``{%p for %}`` for whole paragraphs.
"""

from __future__ import annotations

INTERPRETER = (
    "{%p if recipient.needs_interpreter %}",
    "If it would help, we will arrange an interpreter ({{ recipient.language }}) for any "
    "meeting with the school, at no cost to you. Please tell us when you reply.",
    "{%p endif %}",
)
CONTACT = (
    "{%p if ban %}",
    "While the present arrangements are in force, please do not come to the school site or "
    "contact members of staff. You may write to the school {{ ban.contact_route }}.",
    "{%p else %}",
    "If you have any questions, please contact the School Office on {{ school.phone }} or "
    "at {{ school.email }}.",
    "{%p endif %}",
)


def letter(*body: str, contact: bool = True) -> list[str]:
    """A letter to a parent: address block, reference, salutation, body, sign-off."""
    return [
        "{{ date }}",
        "",
        "{{ recipient.name }}",
        "{%p for line in recipient.address_lines %}",
        "{{ line }}",
        "{%p endfor %}",
        "",
        "Our reference: {{ reference }}",
        "",
        "{{ recipient.salutation }},",
        "**Re: {{ student.full_name }}, Year {{ student.year }} ({{ student.form }})",
        *body,
        *INTERPRETER,
        *(CONTACT if contact else ()),
        "Yours sincerely,",
        "",
        "",
        "{{ signatory.name }}",
        "{{ signatory.title }}",
    ]


def record(title: str, *body: str) -> list[str]:
    """A record for the file (and any staff it is copied to): no parent address."""
    return [
        f"**{title}",
        "Case: {{ reference }} ({{ case.title }})",
        "Student: {{ student.full_name }}, Year {{ student.year }} ({{ student.form }})",
        "Date: {{ date }}",
        "Recorded by: {{ actor.name }}, {{ actor.title }}",
        "Copy for: {{ recipient.name }}",
        "",
        *body,
    ]


