"""Batch letters home (``liaison letters batch``): special events, praise, attendance and
permission for visits (NSW-4, NSW-6).

A batch letter reads no case: its ``reference`` is the batch id and its ``fields`` are the
values given with ``--set`` (the same in every letter) or, from a student list, one
student's own (an achievement, an attendance figure). A letter that invites parents in
offers a written route instead while a site ban is in force (``{%p if ban %}``).
"""

from __future__ import annotations

from tools.letter_layout import letter

TEMPLATES: dict[str, list[str]] = {
    # NSW-4: special events. Fields: evening_date, start_time, end_time, venue, return_by.
    "options_evening.docx": letter(
        "**Year {{ student.year }} Options Evening",
        "Over the coming weeks {{ student.first_name }} will choose the subjects to study "
        "next year. These choices matter, and we would like to help you and "
        "{{ student.first_name }} make them together.",
        "{%p if ban %}",
        "{{ student.first_name }} will bring the options booklet home. You may send us any "
        "questions about the courses in writing, and we will reply in writing.",
        "{%p else %}",
        "You are warmly invited to our Options Evening on {{ fields.evening_date }}, from "
        "{{ fields.start_time }} to {{ fields.end_time }}, in {{ fields.venue }}. The evening "
        "begins with a short talk on how the options process works; you can then visit the "
        "subject stands and ask teachers about each course, how it is assessed and where it "
        "can lead.",
        "{%p endif %}",
        "{{ student.first_name }} will receive the options booklet, which describes every "
        "course, in tutor time. Please read it together, and return the completed options "
        "form to the School Office by {{ fields.return_by }}.",
    ),
    # NSW-6: successes and achievements. Fields: term; achievement (a student list column).
    "praise_letter.docx": letter(
        "**A letter of praise",
        "I am delighted to write to you with some very good news about "
        "{{ student.first_name }}'s achievements during {{ fields.term }}.",
        "{{ fields.achievement|sentence }}",
        "Achievements like this deserve to be recognised, and {{ student.first_name }} "
        "should be very proud. Please share this letter with {{ student.first_name }} and "
        "celebrate this success together at home.",
        "Thank you for the support you give {{ student.first_name }}: it makes a real "
        "difference.",
    ),
    # NSW-4: attendance. Fields: period; attendance (a student list column, e.g. 88.5%).
    "attendance_concern.docx": letter(
        "**Attendance",
        "I am writing because {{ student.first_name }}'s attendance {{ fields.period }} is "
        "{{ fields.attendance }}. This is below the level we expect, and we are concerned "
        "about the effect that missing school is having on {{ student.first_name }}'s "
        "learning and friendships.",
        "Every day counts: a student whose attendance is 90% over a school year misses half "
        "a day every week, which adds up to about four weeks of lessons in a year.",
        "If there is a medical or other reason for these absences that we do not know about, "
        "please let us know.",
        "{%p if ban %}",
        "We would like to work with you to improve {{ student.first_name }}'s attendance. "
        "Please write to us within the next two weeks to tell us about any difficulties, so "
        "that we can agree in writing how we can help. Please tell us in writing, the same "
        "way, of each day that {{ student.first_name }} cannot come to school, giving the "
        "reason.",
        "{%p else %}",
        "We would like to work with you to improve {{ student.first_name }}'s attendance. "
        "Please contact the School Office within the next two weeks to arrange a meeting "
        "with {{ student.first_name }}'s Head of Year, so that we can talk about any "
        "difficulties and agree how we can help. On any day that {{ student.first_name }} "
        "cannot come to school, please telephone the school before 9.00am, giving the reason.",
        "{%p endif %}",
    ),
    # NSW-4: permission for visits. Fields: trip, trip_date, purpose, departs, returns,
    # cost, pay_by, reply_by, bring (a list: repeat --set bring=...).
    "trip_permission.docx": letter(
        "**Permission for a school visit: {{ fields.trip }}",
        "{{ student.first_name }} has the opportunity to take part in {{ fields.trip }} on "
        "{{ fields.trip_date }}. {{ fields.purpose|sentence }}",
        "Students will leave from {{ fields.departs }} and are expected back at about "
        "{{ fields.returns }}. Members of staff will accompany them throughout, following the "
        "school's policy for educational visits, and school rules apply for the whole visit.",
        "The cost of the visit is {{ fields.cost }}, to be paid by {{ fields.pay_by }}. No "
        "student will miss a visit because of its cost: if paying would be difficult, "
        "please tell us in confidence.",
        "{%p if fields.bring %}",
        "**Please make sure {{ student.first_name }} brings:",
        "{%p for item in fields.bring %}",
        "- {{ item }}",
        "{%p endfor %}",
        "{%p endif %}",
        "Please complete the consent slip below and send it back to school with "
        "{{ student.first_name }} by {{ fields.reply_by }}. {{ student.first_name }} cannot "
        "go on the visit without your written permission.",
    ) + [
        "",
        "✂ - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - -",
        "**Consent slip: {{ fields.trip }}, {{ fields.trip_date }} (reference {{ reference }})",
        "I give permission for {{ student.full_name }} ({{ student.form }}) to take part in "
        "{{ fields.trip }} on {{ fields.trip_date }}.",
        "Medical conditions, allergies or dietary needs the staff should know about:",
        "",
        "Telephone number to reach me on the day:",
        "",
        "Signed (parent or carer): ______________________    Date: ______________",
    ],
}
