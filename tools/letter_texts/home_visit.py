"""Documents of the home visit workflow (BEM-3..7): the risk assessment, the letter that
pre-arranges the visit, the written record left at base, an incident report and the
record of the visit."""

from __future__ import annotations

from tools.letter_layout import letter, record

VISIT = (
    "Parent or carer: {{ fields.contact }}",
    "Reason: {{ fields.reason }}. {{ fields.purpose }}",
    "{%p if fields.why_not_in_school %}",
    "Why the parents cannot come in to school: {{ fields.why_not_in_school }}",
    "{%p endif %}",
    "Visiting member of staff: {{ fields.visitor }}",
)

TEMPLATES: dict[str, list[str]] = {
    "home_visit_risk_assessment.docx": record(
        "Home visit: risk assessment (Lone Working Code)",
        *VISIT,
        "**Risks identified",
        "{%p for risk in fields.risks %}",
        "- {{ risk }}",
        "{%p endfor %}",
        "**How they are controlled",
        "{%p for control in fields.controls %}",
        "- {{ control }}",
        "{%p endfor %}",
        "{%p if fields.lone_working_concerns %}",
        "Concerns about lone working raised with the manager: "
        "{{ fields.lone_working_concerns }}",
        "{%p endif %}",
        "The member of staff asked to visit sees this assessment before agreeing to go, and "
        "no colleague makes a visit against their wishes.",
    ),
    "home_visit_letter.docx": letter(
        "**Home visit",
        "I am writing to arrange a visit to you at home on {{ fields.visit_at }} by "
        "{{ fields.visitor }}{% if titles.visitor %}, our {{ titles.visitor }},{% endif %} to "
        "talk about {{ student.first_name }}. "
        "{{ fields.purpose|sentence }}",
        "{%p if ban %}",
        "If this time is not convenient, please write to us so that we can arrange another. "
        "For everyone's safety our staff make only visits that have been arranged in "
        "advance.",
        "{%p else %}",
        "If this time is not convenient, please contact the School Office so that we can "
        "arrange another. For everyone's safety our staff make only visits that have been "
        "arranged in advance.",
        "{%p endif %}",
    ),
    "home_visit_record.docx": record(
        "Home visit: written record left at base",
        *VISIT,
        "Arranged by {{ fields.arranged_by }} for {{ fields.visit_at }}",
        "**Where the visitor is going throughout the day",
        "{%p for place in fields.places %}",
        "- {{ place }}",
        "{%p endfor %}",
        "**Meeting",
        "{%p for person in fields.meeting %}",
        "- {{ person }}",
        "{%p endfor %}",
        "Estimated arrival: {{ fields.arrive_at }}",
        "Estimated departure: {{ fields.depart_at }}",
        "After the last visit the visitor will {% if fields.after_visit == 'go_home' %}go "
        "home{% else %}return to base{% endif %}, estimated at {{ fields.return_at }}",
        "Contact numbers through the day: {{ fields.contact_numbers }}",
        "Colleague at base: {{ fields.base_contact }}",
        "First report-in to base: {{ fields.report_in_at }}",
        "A missed report-in time shows on the due list as overdue at once: telephone the "
        "visitor, then follow the Lone Working Code.",
    ),
    "home_visit_incident.docx": record(
        "Home visit: report of an accident or incident of aggression",
        *VISIT,
        "Visit on: {{ fields.visit_at }}",
        "What happened: {{ fields.incident_kind }}",
        "{{ fields.incident_details }}",
    ),
    "home_visit_report.docx": record(
        "Home visit: record of the visit",
        *VISIT,
        "Visit on: {{ fields.visit_at }} (arranged by {{ fields.arranged_by }})",
        "**Outcome",
        "{{ fields.outcome }}",
        "{%p if fields.follow_up %}",
        "**Follow-up",
        "{%p for action in fields.follow_up %}",
        "- {{ action }}",
        "{%p endfor %}",
        "{%p endif %}",
    ),
}
