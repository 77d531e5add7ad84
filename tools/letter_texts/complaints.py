"""Letters of the complaints procedure (CMP-1..7): the acknowledgement, the Stage 1 answer
(with the Stage 2 window), the clerk's Stage 2 acknowledgement and the panel's decision
signed by the Chair of Governors, naming the panel."""

from __future__ import annotations

from tools.letter_layout import letter

TEMPLATES: dict[str, list[str]] = {
    "complaint_acknowledgement.docx": letter(
        "**Your complaint",
        "Thank you for your complaint about {{ fields.summary }}, which we received on "
        "{{ fields.received_at }}. I am writing to confirm that it is being looked into "
        "under the school's complaints procedure.",
        "You will receive a written answer within ten school days of the day we received "
        "it. If we need more time, we will write to tell you why and when to expect it.",
    ),
    "complaint_stage1_answer.docx": letter(
        "**Your complaint: our answer (Stage 1)",
        "I have now looked into your complaint about {{ fields.summary }}.",
        "{{ fields.outcome|sentence }}",
        "If you are not satisfied with this answer, you may ask for your complaint to be "
        "heard by a panel of governors (Stage 2). Please write to the Clerk to the "
        "Governors, care of the school, by {{ fields.stage2_by }}, saying why you are not "
        "satisfied. A request made after that date cannot be accepted.",
    ),
    "complaint_stage2_acknowledgement.docx": letter(
        "**Your complaint: Stage 2",
        "Thank you for your request, received on {{ fields.requested_at }}, for your "
        "complaint to be heard by a panel of governors.",
        "The panel will be made up of governors who have not been involved in your "
        "complaint so far. It will meet within twenty school days of your request, and I "
        "will write to you with the date, who will be on the panel, and how you may take "
        "part and bring someone with you.",
        "The panel will send you its decision, in writing, within five school days of the "
        "hearing.",
    ),
    "complaint_panel_decision.docx": letter(
        "**Your complaint: the panel's decision",
        "The panel of governors met on {{ fields.panel_on }} to hear your complaint about "
        "{{ fields.summary }}. The panel was:",
        "{%p for governor in fields.panel %}",
        "- {{ governor }}",
        "{%p endfor %}",
        "{{ fields.decision|sentence }}",
        "This completes the school's complaints procedure. If you believe the school did "
        "not follow its procedure, you may write to the Department for Education.",
    ),
}
