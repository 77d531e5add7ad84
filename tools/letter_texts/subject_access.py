"""Letters of the subject access workflow (SAR-1 to SAR-5): the acknowledgement with the
date the response is due, the extension with its reasons and new date, and the response.
"""

from __future__ import annotations

from tools.letter_layout import letter

TEMPLATES: dict[str, list[str]] = {
    "sar_acknowledgement.docx": letter(
        "**Your request for personal data",
        "Thank you for your request, which we received on {{ fields.received_at }}, for a "
        "copy of the personal data the school holds"
        "{% if fields.whose_data == 'student' %} about {{ student.first_name }}"
        "{% elif fields.whose_data == 'both' %} about you and {{ student.first_name }}"
        "{% else %} about you{% endif %}.",
        "The law gives us one calendar month to respond, so you will hear from us by "
        "{{ fields.respond_by }}. If we need anything to confirm your identity, we will ask "
        "you straight away.",
    ),
    "sar_extension.docx": letter(
        "**Your request for personal data: more time is needed",
        "We received your request for personal data on {{ fields.received_at }}. "
        "{{ fields.extension_reasons|sentence }}",
        "For that reason, as the law allows for a complex request, we are extending the time "
        "to respond by two months. You will receive our response by "
        "{{ fields.extended_to }}.",
        "If you are unhappy with how we are handling your request, you may complain to the "
        "Information Commissioner's Office (ico.org.uk).",
    ),
    "sar_response.docx": letter(
        "**Our response to your request for personal data",
        "We received your request for personal data on {{ fields.received_at }}. "
        "{{ fields.response_summary|sentence }}",
        "Where records also held information about other people, that information has been "
        "removed, as the law requires.",
        "If you are unhappy with our response, you may ask us to review it, or complain to "
        "the Information Commissioner's Office (ico.org.uk).",
    ),
}
