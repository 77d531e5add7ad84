"""Documents of the external contact workflow (CLA-1..3): the disclosure to the
Headteacher, the parent/liaison form and the decision that contact should not continue.
None of them goes to a parent; all are restricted to the Headteacher and Assistant
Headteacher (and the member of staff who disclosed)."""

from __future__ import annotations

from tools.letter_layout import record

CONFIDENTIAL = "**CONFIDENTIAL: Headteacher and Assistant Headteacher only"

DISCLOSURE = (
    "Disclosed by: {{ case.opened_by }}",
    "On school business: {{ fields.on_school_business }}",
    "{%p if fields.contact %}",
    "Parent or carer concerned: {{ fields.contact }}",
    "{%p endif %}",
    "The contact: {{ fields.summary }}",
)

TEMPLATES: dict[str, list[str]] = {
    "external_contact_disclosure.docx": record(
        "Disclosure of contact with a pupil or family outside school",
        CONFIDENTIAL,
        *DISCLOSURE,
        "The Headteacher is made aware of this connection and will discuss the "
        "appropriateness of the contact with the member of staff.",
    ),
    "external_contact_form.docx": record(
        "Parent/liaison form",
        CONFIDENTIAL,
        *DISCLOSURE,
        "Appropriateness discussed: {{ fields.discussion }}",
        "Decision: the contact may go ahead.",
        "{%p if fields.conditions %}",
        "**Conditions",
        "{%p for condition in fields.conditions %}",
        "- {{ condition }}",
        "{%p endfor %}",
        "{%p endif %}",
        "Confidential information about the pupil and family is shared only in school, with "
        "the relevant parties, after consulting the line manager.",
    ),
    "external_contact_decision.docx": record(
        "Disclosure of contact outside school: decision",
        CONFIDENTIAL,
        *DISCLOSURE,
        "Appropriateness discussed: {{ fields.discussion }}",
        "Decision: the contact should not continue.",
    ),
}
