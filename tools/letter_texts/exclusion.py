"""Letters of the exclusion workflow (EXC-1..8): the parents' notice that says all EXC-2
lists, the local authority's notification and the professionals' (EXC-3), the governing
board's decisions (EXC-5, EXC-6) and a withdrawal (EXC-7). What each must say is declared
in workflows/exclusion.yaml (``must_say:``) and proved by ``liaison check``."""

from __future__ import annotations

from tools.letter_layout import letter, record

FIRST_DAYS = (
    "{%p for day in fields.first_days %}",
    "- {{ day }}",
    "{%p endfor %}",
)
PERIOD = (
    "{%p if fields.kind == 'permanent' %}",
    "I am writing to tell you that I have decided to exclude {{ student.first_name }} "
    "permanently from this school, from {{ fields.start_on }}. {{ student.first_name }} is "
    "permanently excluded and will not return to the school unless the governing board "
    "reinstates them.",
    "{%p else %}",
    "I am writing to tell you that I have decided to suspend {{ student.first_name }} from "
    "school from {{ fields.start_on }} to {{ fields.end_on }}, both days included.",
    "{%p endif %}",
)
BOARD = (
    "**Your right to make representations",
    "You have the right to make representations to the governing board about this "
    "decision. {{ student.first_name }} may be involved in making them, and the board will "
    "take {{ student.first_name }}'s views into account. To make representations, please "
    "write to {{ fields.representations_to }}.",
    "{%p if fields.board_duty == 'must_consider' %}",
    "The governing board must meet to consider whether {{ student.first_name }} should be "
    "reinstated, within 15 school days of this notice: by {{ fields.board_by }}.",
    "{%p elif fields.board_duty == 'on_representations' %}",
    "If you make representations, the governing board must meet to consider whether "
    "{{ student.first_name }} should be reinstated, within 50 school days of this notice: "
    "by {{ fields.board_by_50 }}.",
    "{%p else %}",
    "The governing board must consider any representations you make, but because the "
    "suspension is for five school days or fewer it cannot reinstate "
    "{{ student.first_name }}.",
    "{%p endif %}",
    "{%p if fields.exam_missed == 'yes' and fields.board_before_exam %}",
    "Because {{ student.first_name }} would miss a public examination, the board will meet "
    "before it where practicable: by {{ fields.board_before_exam }}.",
    "{%p endif %}",
    "Where the board meets to consider this, you have the right to attend, to be "
    "represented at your own expense and to bring a friend, and you may ask for the meeting "
    "to be held remotely.",
)
DUTY = (
    "**Your duty during the first five school days",
    "For the first five school days of the {{ 'exclusion' if fields.kind == 'permanent' "
    "else 'suspension' }} you must make sure that {{ student.first_name }} is not present "
    "in a public place during school hours without a good reason. You may be given a fixed "
    "penalty notice or prosecuted if you do not. These days are:",
    *FIRST_DAYS,
)
WORK = (
    "**Work and education",
    "Work will be set and marked: {{ fields.work_arrangements }}",
    "{%p if fields.kind == 'permanent' or (fields.days or [])|length > 5 %}",
    "From the sixth school day, {{ fields.sixth_day }}, full-time education will be "
    "provided: {{ fields.provision }}",
    "{%p endif %}",
)

TEMPLATES: dict[str, list[str]] = {
    "exclusion_notice.docx": letter(
        "**{{ 'Permanent exclusion' if fields.kind == 'permanent' else 'Suspension' }} "
        "from school",
        *PERIOD,
        "The reasons for my decision are: {{ fields.reasons }}",
        *BOARD,
        *DUTY,
        *WORK,
    ),
    "exclusion_la_notice.docx": record(
        "Notification to the local authority: {{ school.local_authority }}",
        "{{ 'Permanent exclusion' if fields.kind == 'permanent' else 'Suspension' }} "
        "decided by {{ actor.name }}, {{ actor.title }}",
        "{%p if fields.kind == 'permanent' %}",
        "Permanently excluded from {{ fields.start_on }}",
        "{%p else %}",
        "Suspended from {{ fields.start_on }} to {{ fields.end_on }}",
        "{%p endif %}",
        "Reasons: {{ fields.reasons }}",
        "School days suspended this term: {{ fields.days_this_term }}; this school year: "
        "{{ fields.days_this_year }}",
        "Public examination missed: {{ fields.exam_on or 'none' }}",
    ),
    "exclusion_professional_notice.docx": letter(
        "**{{ 'Permanent exclusion' if fields.kind == 'permanent' else 'Suspension' }} of "
        "{{ student.full_name }}",
        "I am writing to tell you, as {{ student.first_name }}'s social worker or virtual "
        "school head, that {{ student.first_name }} has been "
        "{{ 'permanently excluded' if fields.kind == 'permanent' else 'suspended' }} from "
        "{{ fields.start_on }}{{ ' to ' ~ fields.end_on if fields.kind != 'permanent' else '' }}.",
        "The reasons are: {{ fields.reasons }}",
        "The first five school days, when {{ student.first_name }} must not be in a public "
        "place during school hours without a good reason, are:",
        *FIRST_DAYS,
        "Work will be set and marked: {{ fields.work_arrangements }}",
    ),
    "exclusion_board_decision.docx": letter(
        "**The governing board's decision",
        "The governing board met on {{ fields.board_met_on }} to consider the suspension of "
        "{{ student.first_name }}. Its decision and reasons are: {{ fields.decision_reasons }}",
    ),
    "exclusion_reinstated.docx": letter(
        "**Reinstatement",
        "The governing board met on {{ fields.board_met_on }} and decided that "
        "{{ student.first_name }} should be reinstated: {{ fields.decision_reasons }}",
        "{{ student.first_name }} may return to school without delay.",
    ),
    "exclusion_upheld.docx": letter(
        "**The governing board's decision on the permanent exclusion",
        "The governing board met on {{ fields.board_met_on }} and decided not to reinstate "
        "{{ student.first_name }}. Its reasons are: {{ fields.decision_reasons }}",
        "This letter was posted first class on {{ fields.posted_on }} and is treated as "
        "received on {{ fields.received_on }}.",
        "You may apply for an independent review of the decision, within 15 school days of "
        "receiving this letter: by {{ fields.review_by }}. Please apply to "
        "{{ fields.review_panel_to }}.",
    ),
    "exclusion_withdrawn.docx": letter(
        "**The {{ 'exclusion' if fields.kind == 'permanent' else 'suspension' }} is withdrawn",
        "I have withdrawn the {{ 'exclusion' if fields.kind == 'permanent' else 'suspension' }} "
        "of {{ student.first_name }} that began on {{ fields.start_on }}, for these reasons: "
        "{{ fields.withdrawal_reasons }}",
        "{{ student.first_name }} may return to school without delay.",
    ),
}
