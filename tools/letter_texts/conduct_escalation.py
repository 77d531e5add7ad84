"""Letters of the conduct escalation workflow (HSP-2..7, BEM-1, BEM-2)."""

from __future__ import annotations

from tools.letter_layout import letter, record

# How the child gets to and from school while a parent is banned from the site.
SCHOOL_RUN = (
    "**Taking {{ student.first_name }} to and from school",
    "{{ fields.arrangements|sentence }}",
)

TEMPLATES: dict[str, list[str]] = {
    "conduct_meeting_request.docx": letter(
        "Following the incident on {{ fields.incident_date }}, I would like to meet you to "
        "talk about what happened, to restore our working relationship and to agree a way "
        "forward together for {{ student.first_name }}.",
        # A parent under a site ban is not invited onto the site or to call (HSP-5): the
        # meeting is held elsewhere and arranged in writing by the permitted route.
        "{%p if ban %}",
        "As a ban from the school site is in force, the meeting on {{ fields.meeting_at }} "
        "with {{ fields.with_staff }} will be held away from the school site, at a place we "
        "will confirm in writing.",
        "{%p else %}",
        "I am writing to confirm the meeting on {{ fields.meeting_at }} at the school with "
        "{{ fields.with_staff }}. Please report to Reception when you arrive.",
        "If this time is not convenient, please contact the School Office so that we can "
        "arrange another.",
        "{%p endif %}",
    ),
    # BEM-2: the reconvened meeting says the first was ended, and who will now be there.
    "conduct_meeting_reconvened.docx": letter(
        "**Reconvened meeting",
        "Our earlier meeting about {{ student.first_name }}, following the incident on "
        "{{ fields.incident_date }}, was brought to a close before we could finish, and has "
        "been reported to the school's leadership as our policy requires.",
        "{%p if ban %}",
        "I would like to meet you again on {{ fields.meeting_at }} with "
        "{{ fields.with_staff }}, a member of the Leadership Team. As a ban from the school "
        "site is in force, the meeting will be held away from the school site, at a place we "
        "will confirm in writing.",
        "{%p else %}",
        "I would like to meet you again on {{ fields.meeting_at }} at the school, with "
        "{{ fields.with_staff }}, a member of the Leadership Team. Please report to "
        "Reception when you arrive. If this time is not convenient, please contact the "
        "School Office so that we can arrange another.",
        "{%p endif %}",
        "We would like the meeting to restore our working relationship and agree a way "
        "forward together for {{ student.first_name }}. We ask everyone at the meeting to "
        "speak calmly and respectfully; a meeting that becomes threatening or intimidating "
        "will be ended.",
    ),
    "conduct_meeting_ended.docx": record(
        "Record of a meeting ended because of the parent's conduct",
        "Parent: {{ fields.contact }}",
        "Meeting arranged for: {{ fields.meeting_at }} with {{ fields.with_staff }}",
        "The meeting was brought to a close because: {{ fields.ended_because }}",
        "It was reported immediately to the line manager. If appropriate, the meeting is "
        "reconvened with a member of the Leadership Team.",
    ),
    "conduct_meeting_record.docx": record(
        "Record of meeting with parent",
        "Parent: {{ fields.contact }}",
        "Meeting: {{ fields.meeting_at }} with {{ fields.with_staff }}",
        "Incident discussed: {{ fields.incident_date }}: {{ fields.incident_summary }}",
        "**Attended",
        "{%p for person in fields.attendees %}",
        "- {{ person }}",
        "{%p endfor %}",
        "**Actions agreed",
        "{%p for action in fields.actions %}",
        "- {{ action }}",
        "{%p endfor %}",
    ),
    "conduct_actions_agreed.docx": letter(
        "Thank you for meeting us on {{ fields.meeting_at }}. I am writing to confirm the "
        "actions we agreed together:",
        "{%p for action in fields.actions %}",
        "- {{ action }}",
        "{%p endfor %}",
        "We will keep in touch about how things are going for {{ student.first_name }}.",
    ),
    "conduct_formal_warning.docx": letter(
        "**Formal warning about your conduct",
        "I am writing about your conduct towards members of the school community on "
        "{{ fields.repeat_date }}. {{ fields.repeat_summary|sentence }}",
        "This follows our concerns about the incident on {{ fields.incident_date }}. The "
        "school expects everyone to communicate respectfully and calmly with staff.",
        "Please be clear that a further offence may result in a ban from the school site and "
        "from communication with staff, whether by email, telephone or face to face.",
    ),
    "conduct_legal_advice_request.docx": record(
        "Request for advice from the Local Authority's legal team",
        "Local Authority: {{ school.local_authority }}",
        "Parent: {{ fields.contact }}",
        "Incident: {{ fields.incident_date }}: {{ fields.incident_summary }}",
        "Repeat: {{ fields.repeat_date }}: {{ fields.repeat_summary }}",
        "Grounds for seeking advice: {{ fields.grounds }}",
        "{%p if fields.also_informed %}",
        "Also informed:",
        "{%p for who in fields.also_informed %}",
        "- {{ who }}",
        "{%p endfor %}",
        "{%p endif %}",
    ),
    "conduct_site_ban.docx": letter(
        "**Temporary ban from the school site and from communication with staff",
        "I am writing to tell you that, from {{ fields.ban_from }}, you are banned temporarily "
        "from the school site and from all communication with members of staff, until a "
        "resolution is agreed.",
        "I have taken this decision for the following reasons. {{ fields.reasons|sentence }}",
        *SCHOOL_RUN,
        "While the ban is in force, please do not come onto the school site or contact "
        "members of staff. You may write to the school {{ fields.contact_route }}.",
        "You may make representations about this decision, in writing, until "
        "{{ fields.representations_by }}. I will consider them before deciding whether the "
        "ban should continue. The ban will be reviewed by {{ fields.review_on }}.",
        contact=False,
    ),
    "conduct_ban_confirmed.docx": letter(
        "**Confirmation of the ban from the school site",
        "{%p if fields.representations %}",
        "Thank you for your representations about the temporary ban, which I have "
        "considered carefully. {{ fields.representations|sentence }}",
        "{%p else %}",
        "I have received no representations from you about the temporary ban.",
        "{%p endif %}",
        "I have decided that the ban from the school site and from communication with staff "
        "will continue. It will next be reviewed by {{ fields.review_on }}, and I will write "
        "to you after each review.",
        *SCHOOL_RUN,
        "While the ban is in force, please do not come onto the school site or contact "
        "members of staff. You may write to the school {{ fields.contact_route }}.",
        contact=False,
    ),
    "conduct_ban_review.docx": record(
        "Review of a site ban",
        "Parent: {{ fields.contact }}",
        "Ban in force from: {{ fields.ban_from }}",
        "What the review found: {{ fields.review_notes|sentence }}",
        "Told the parent: {{ fields.review_outcome|sentence }}",
        "Next review by: {{ fields.review_on }}",
    ),
    "conduct_ban_reviewed.docx": letter(
        "**Review of the ban from the school site",
        "I am writing to tell you that the ban from the school site and from communication "
        "with staff, in force since {{ fields.ban_from }}, has been reviewed. "
        "{{ fields.review_outcome|sentence }}",
        "The ban will continue for now. It will next be reviewed by {{ fields.review_on }}, "
        "and I will write to you again then.",
        *SCHOOL_RUN,
        "While the ban is in force, please do not come onto the school site or contact "
        "members of staff. You may write to the school {{ fields.contact_route }}.",
        contact=False,
    ),
    "conduct_ban_lifted.docx": letter(
        "**The ban from the school site is lifted",
        "I am writing to tell you that the ban from the school site and from communication "
        "with staff, in force since {{ fields.ban_from }}, is lifted with effect from today. "
        "{{ fields.lift_reason|sentence }}",
        "You are welcome to bring {{ student.first_name }} to school and to collect "
        "{{ student.first_name }} as before, and to contact members of staff in the usual "
        "way.",
        "We look forward to working with you again in partnership for "
        "{{ student.first_name }}.",
    ),
    "conduct_resolution.docx": letter(
        "Thank you for working with us to resolve the concerns raised following the incident "
        "on {{ fields.incident_date }}.",
        "{{ fields.outcome|sentence }}",
        "We value our partnership with you and look forward to supporting "
        "{{ student.first_name }} together.",
    ),
}


