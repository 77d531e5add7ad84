"""The attendance letter of the first-day absence workflow (NSW-3, NSW-4)."""

from __future__ import annotations

from tools.letter_layout import letter

TEMPLATES: dict[str, list[str]] = {
    "attendance_letter.docx": letter(
        "**Absence from school on {{ fields.absence_date }}",
        "{{ student.first_name }} was not in school on {{ fields.absence_date }} and we have "
        "not been told the reason. We telephoned home that morning but were not able to "
        "find out why.",
        "{%p if ban %}",
        "Please write to tell us the reason for the absence as soon as possible. If "
        "{{ student.first_name }} is to be absent again, please write to us on the first "
        "morning of the absence.",
        "{%p else %}",
        "Please let the School Office know the reason for the absence as soon as possible, "
        "by telephone, by email or with a note. If {{ student.first_name }} is to be absent "
        "again, please contact us on the first morning of the absence.",
        "{%p endif %}",
        "Regular attendance matters: every day in school helps {{ student.first_name }} "
        "make progress, and we are here to help if anything is making attendance "
        "difficult.",
    ),
}
