"""Letters of the readmission workflow (NSW-5, NSW-7): invitations, the meeting record,
the reintegration plan and the review."""

from __future__ import annotations

from tools.letter_layout import letter, record

TARGETS = (
    "{%p for target in fields.targets %}",
    "- {{ target }}",
    "{%p endfor %}",
)

TEMPLATES: dict[str, list[str]] = {
    "readmission_invitation.docx": letter(
        "**Readmission meeting",
        "{{ student.first_name }} has been suspended from school from "
        "{{ fields.exclusion_start }} to {{ fields.exclusion_end }}.",
        # A parent under a site ban is not invited onto the site or to call (HSP-5): the
        # meeting is held elsewhere, arranged in writing by the permitted route.
        "{%p if ban %}",
        "Before {{ student.first_name }} returns to lessons, I would like to meet you and "
        "{{ student.first_name }} on {{ fields.meeting_at }} with {{ fields.smt_member }}, a "
        "member of the senior management team. As a ban from the school site is in force, "
        "the meeting will be held away from the school site, at a place we will confirm in "
        "writing.",
        "{%p else %}",
        "Before {{ student.first_name }} returns to lessons, I would like to invite you to a "
        "readmission meeting at the school on {{ fields.meeting_at }} with "
        "{{ fields.smt_member }}, a member of the senior management team. "
        "{{ student.first_name }} should come to the meeting with you.",
        "{%p endif %}",
        "At the meeting we will talk about what happened, agree targets to help "
        "{{ student.first_name }} settle back into school, and how we will keep in touch with "
        "you about progress.",
        "{%p if not ban %}",
        "If this time is not convenient, please contact the School Office as soon as "
        "possible so that we can arrange another before the suspension ends.",
        "{%p endif %}",
    ),
    "readmission_reinvitation.docx": letter(
        "**Rearranged readmission meeting",
        "We were sorry not to see you at the readmission meeting for "
        "{{ student.first_name }}. It is important that you attend one with "
        "{{ student.first_name }} before the return to lessons.",
        "{%p if ban %}",
        "I have rearranged the meeting for {{ fields.meeting_at }} with "
        "{{ fields.smt_member }}, a member of the senior management team. As a ban from the "
        "school site is in force, it will be held away from the school site, at a place we "
        "will confirm in writing.",
        "{%p else %}",
        "I have rearranged the meeting for {{ fields.meeting_at }} at the school with "
        "{{ fields.smt_member }}, a member of the senior management team. Please come with "
        "{{ student.first_name }}.",
        "If you cannot attend at this time, please contact the School Office today so that "
        "we can find a time that suits you.",
        "{%p endif %}",
    ),
    "readmission_meeting_record.docx": record(
        "Record of readmission meeting",
        "Exclusion: {{ fields.exclusion_start }} to {{ fields.exclusion_end }}",
        "Reason: {{ fields.reason }}",
        "Meeting: {{ fields.meeting_at }} with {{ fields.smt_member }}",
        "**Attended",
        "{%p for person in fields.attendees %}",
        "- {{ person }}",
        "{%p endfor %}",
        "**Reintegration targets agreed",
        *TARGETS,
    ),
    "readmission_plan.docx": letter(
        "**Reintegration plan",
        # Thanks only to the addressees recorded as attending (a joint letter may go to a
        # parent who did not come).
        "{%p if not recipient.names|reject('in', fields.attendees)|list %}",
        "Thank you for attending the readmission meeting with {{ student.first_name }} on "
        "{{ fields.meeting_at }}. I am writing to confirm the targets we agreed together to "
        "help {{ student.first_name }} settle back into school:",
        "{%p elif recipient.names|select('in', fields.attendees)|list %}",
        "Thank you to {{ recipient.names|select('in', fields.attendees)|join(' and ') }} for "
        "attending the readmission meeting with {{ student.first_name }} on "
        "{{ fields.meeting_at }}. I am writing to confirm the targets agreed there to help "
        "{{ student.first_name }} settle back into school:",
        "{%p else %}",
        "A readmission meeting was held with {{ student.first_name }} on "
        "{{ fields.meeting_at }}. I am writing to tell you the targets agreed there to help "
        "{{ student.first_name }} settle back into school:",
        "{%p endif %}",
        *TARGETS,
        "We will review how {{ student.first_name }} is getting on against these targets "
        "within the next two weeks and will write to you then.",
    ),
    "readmission_review.docx": record(
        "Reintegration review",
        "Readmission meeting: {{ fields.meeting_at }} with {{ fields.smt_member }}",
        "**Targets",
        *TARGETS,
        "**Progress",
        "{{ fields.progress }}",
        "{%p if fields.next_steps %}",
        "**Next steps",
        "{%p for step in fields.next_steps %}",
        "- {{ step }}",
        "{%p endfor %}",
        "{%p endif %}",
    ),
    "readmission_progress.docx": letter(
        "**How {{ student.first_name }} is getting on",
        "When {{ student.first_name }} returned to school we agreed targets together. We have "
        "now reviewed how things are going:",
        "{{ fields.progress|sentence }}",
        "{%p if fields.next_steps %}",
        "The next steps we will take are:",
        "{%p for step in fields.next_steps %}",
        "- {{ step }}",
        "{%p endfor %}",
        "{%p endif %}",
        "{%p if not ban %}",
        "If you would like to come in to talk about {{ student.first_name }}'s progress, "
        "please contact the School Office and we will arrange a meeting.",
        "{%p endif %}",
    ),
}
