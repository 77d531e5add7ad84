"""The School–Home Contact Sheet (NSW-2): every contact logged for a student in a date
range, each with its date and who reported it."""

from __future__ import annotations

from tools.letter_layout import record

TEMPLATES: dict[str, list[str]] = {
    "contact_sheet.docx": record(
        "School–Home Contact Sheet",
        "From {{ fields.sheet_from }} to {{ fields.sheet_to }}",
        "{%p if not entries %}",
        "No contact with home was logged in these dates.",
        "{%p endif %}",
        "{%p for entry in entries %}",
        "**Date: {{ entry.date }}, {{ entry.time }}. Reported by: {{ entry.by }}",
        "{% if entry.fields.method == 'in_person' %}In person{% else %}"
        "{{ entry.fields.method|capitalize }}{% endif %} with {{ entry.fields.parent }} "
        "(made by the {{ entry.fields.initiated_by }}): "
        "{% if entry.fields.nature == 'complaint_about_meeting' %}complaint about a meeting "
        "with staff{% else %}{{ entry.fields.nature }}{% endif %}",
        "{{ entry.fields.summary }}",
        "{%p if entry.fields.actions_agreed %}",
        "Agreed: {{ entry.fields.actions_agreed|join('; ') }}",
        "{%p endif %}",
        "{%p endfor %}",
    ),
}
