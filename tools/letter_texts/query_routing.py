"""Letters of the parent query workflow (PWP-5.1 to 5.6, HSP-1).

Every letter to a parent carries the shared layout's interpreter paragraph (PWP-5.6) and
its contact route, which a site ban in force replaces with the permitted route.
"""

from __future__ import annotations

from tools.letter_layout import letter, record

# How the parent got in touch, in the words a letter uses (the field holds a choice).
YOUR_MESSAGE = ("{% if fields.channel == 'letter' %}letter{% elif fields.channel == 'email' %}"
                "email{% elif fields.channel == 'phone' %}telephone call{% else %}request for "
                "a meeting{% endif %}")

TEMPLATES: dict[str, list[str]] = {
    "query_acknowledgement.docx": letter(
        "**Acknowledgement of your letter",
        "Thank you for your letter about {{ student.first_name }}, which we received on "
        "{{ fields.received_at }}.",
        "{%p if fields.passed_to %}",
        "It is being dealt with by {{ fields.passed_to }} ({{ case.state_title }}).",
        "{%p endif %}",
        "{%p if deadlines.respond_by %}",
        "You will have a full response from us by {{ deadlines.respond_by.date }}, within "
        "{{ deadlines.respond_by.school_days }} school days of receiving your letter, as our "
        "Partnership with Parents Policy sets out.",
        "{%p else %}",
        "We aim to send you a full response within 10 school days of receiving your letter, "
        "as our Partnership with Parents Policy sets out.",
        "{%p endif %}",
    ),
    "query_holder_changed.docx": letter(
        "**Your " + YOUR_MESSAGE + " has been passed on",
        "I am writing to let you know that your " + YOUR_MESSAGE + " about "
        "{{ student.first_name }} has not yet been resolved, so it "
        "has been passed to the {{ case.state_title }}"
        "{% if fields.passed_to %}, {{ fields.passed_to }},{% endif %} who will now deal "
        "with it.",
        "You will hear from the school directly. You do not need to contact anyone else "
        "about this matter in the meantime.",
    ),
    "query_response.docx": letter(
        "**Response to your " + YOUR_MESSAGE,
        "Thank you for your " + YOUR_MESSAGE + " about {{ student.first_name }}, received on "
        "{{ fields.received_at }}. {{ fields.outcome|sentence }}",
        "If you feel that the matter is not resolved, please let us know and it will be "
        "passed to the next member of staff on the route set out in our Partnership with "
        "Parents Policy.",
    ),
    "query_meeting_reply.docx": letter(
        "**Your request for a meeting",
        "Thank you for asking to meet us about {{ student.first_name }}. I am writing to "
        "confirm an appointment on {{ fields.meeting_at }} with {{ fields.with_staff }}.",
        "{%p if ban %}",
        "As a ban from the school site is in force, the meeting will be held away from the "
        "school site, at a place we will confirm in writing. If this time is not convenient, "
        "please write to us so that we can arrange another.",
        "{%p else %}",
        "Please report to Reception when you arrive. If this time is not convenient, please "
        "contact the School Office so that we can arrange another.",
        "{%p endif %}",
    ),
    "query_meeting_record.docx": record(
        "Record of a meeting with a parent",
        "Parent: {{ fields.contact }}",
        "Query: {{ fields.summary }}",
        "**Attended",
        "{%p for person in fields.attendees %}",
        "- {{ person }}",
        "{%p endfor %}",
        "**Discussed and agreed",
        "{{ fields.meeting_notes }}",
    ),
    "query_abusive_call.docx": record(
        "Report of a telephone call ended because the parent became angry or abusive",
        "Parent: {{ fields.contact }}",
        "Query: {{ fields.summary }}",
        "What the parent said or did: {{ fields.call_notes }}",
        "The call was brought to a close and is reported immediately to the line manager, as "
        "the Partnership with Parents Policy requires.",
    ),
}
