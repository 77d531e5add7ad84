"""The Home–School Agreement (NSW-1): the agreement sent home to be signed, and the copy
confirming it has been signed by the parents and by (or for) the Principal."""

from __future__ import annotations

from tools.letter_layout import letter

SCHOOL_WILL = (
    "**The school will",
    "- offer a planned curriculum matched to {{ student.first_name }}'s needs and ability, "
    "and assess and review progress regularly;",
    "- provide a learning environment that is safe, caring and attractive;",
    "- treat every student and family with respect and dignity;",
    "- contact you when {{ student.first_name }} has achieved success, and if we are "
    "concerned about attendance, punctuality or behaviour;",
    "- set, mark and monitor homework regularly, and tell you how and when we will report "
    "on progress;",
    "- not accept any degree of violence or aggressive conduct.",
)
PARENTS_WILL = (
    "**Parents and carers will",
    "- talk to us if {{ student.first_name }} is worried about attending school or if "
    "something happens that affects learning;",
    "- make sure {{ student.first_name }} attends school regularly and punctually, and try "
    "to avoid holidays in term-time;",
    "- work with us so that {{ student.first_name }} behaves well, supporting the school's "
    "behaviour policy;",
    "- support {{ student.first_name }}'s learning at home;",
    "- tell us of any circumstances that may affect {{ student.first_name }}'s ability to "
    "learn.",
)

TEMPLATES: dict[str, list[str]] = {
    "home_school_agreement.docx": letter(
        "**Home–School Agreement",
        "Children achieve more when home and school work together. This agreement sets out "
        "how we will work with you so that {{ student.first_name }} can reach their "
        "academic, social and emotional potential.",
        *SCHOOL_WILL,
        *PARENTS_WILL,
        "Please sign the agreement below and return it to the school. It will then "
        "be signed by or for the {{ school.head_title }}, and we will send you a signed copy.",
        "Name of student: {{ student.full_name }}",
        "Signed (parent or carer): ______________________  Date: __________",
        "Print name: ______________________",
        "Signed (by or for the {{ school.head_title }}): ______________________  "
        "Date: __________",
    ),
    "home_school_agreement_signed.docx": letter(
        "**Home–School Agreement: your signed copy",
        # Thanks only to the parent recorded as signing, never to one who did not.
        "{%p if recipient.names == [fields.parent_signed_by] %}",
        "Thank you for signing the Home–School Agreement for {{ student.first_name }}. It "
        "has now been signed by both home and school:",
        "{%p else %}",
        "The Home–School Agreement for {{ student.first_name }} has now been signed by both "
        "home and school:",
        "{%p endif %}",
        "- signed by {{ fields.parent_signed_by }}, parent or carer, on "
        "{{ fields.parent_signed_on }};",
        "- signed by {{ fields.principal_signed_by }}, by or for the {{ school.head_title }}, on "
        "{{ fields.principal_signed_on }}.",
        *SCHOOL_WILL,
        *PARENTS_WILL,
        "Please keep this copy for your records.",
    ),
}
