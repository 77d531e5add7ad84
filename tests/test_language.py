"""The shorter workflow language (issue 16): groups of school.yaml named where a role
goes, `default_roles:`, an event-level `when:` for every state it fires from, and a
deadline list's shared keys said once (`{from: FIELD, each: [...]}`). Each is proved
to mean what the long form means: the two parse to the same workflow."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from engine.core.school import DEFAULT_GROUPS, DEFAULT_ROLES
from engine.core.validation import Letters, load
from engine.errors import DefinitionError

GROUPS = dict(DEFAULT_GROUPS)
LONG = """\
workflow: w
title: W
prefix: WWW
open:
  roles: [office, headteacher]
  to: open
  fields:
    channel: {type: choice, choices: [letter, phone]}
    received_at: datetime
  deadlines:
    - {name: reply_by, school_days: 2, from: received_at, when: {channel: [letter]}}
    - {name: answer_by, school_days: 10, from: received_at, clause: PWP-5.2}
states:
  open: {title: Open}
  waiting: {title: Waiting}
  closed: {title: Closed, terminal: true}
events:
  wait:
    from: [open]
    to: waiting
    roles: [office, headteacher]
  call_back:
    from:
      - {state: open, when: {channel: [phone]}}
      - {state: waiting, when: {channel: [phone]}}
    roles: [%s]
  close:
    from: [open, waiting]
    to: closed
    roles: [office, headteacher]
"""
SHORT = """\
workflow: w
title: W
prefix: WWW
default_roles: [office, headteacher]
open:
  to: open
  fields:
    channel: {type: choice, choices: [letter, phone]}
    received_at: datetime
  deadlines:
    from: received_at
    each:
      - {name: reply_by, school_days: 2, when: {channel: [letter]}}
      - {name: answer_by, school_days: 10, clause: PWP-5.2}
states:
  open: {title: Open}
  waiting: {title: Waiting}
  closed: {title: Closed, terminal: true}
events:
  wait:
    from: [open]
    to: waiting
  call_back:
    from: [open, waiting]
    when: {channel: [phone]}
    roles: [pastoral_team]
  close:
    from: [open, waiting]
    to: closed
"""


def _load(text: str, tmp_path: Path) -> Any:
    return load(text, tmp_path / "w.yaml", DEFAULT_ROLES, Letters(tmp_path, ()),
                groups=GROUPS)


def _meaning(value: Any) -> Any:
    """A workflow without where each thing was written."""
    if dataclasses.is_dataclass(value):
        return {f.name: _meaning(getattr(value, f.name)) for f in dataclasses.fields(value)
                if f.name not in ("line", "key_lines")}
    if isinstance(value, dict):
        return {k: _meaning(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_meaning(v) for v in value]
    return value


def test_the_short_form_means_what_the_long_form_says(tmp_path: Path) -> None:
    pastoral = ", ".join(sorted(GROUPS["pastoral_team"]))
    long, short = _load(LONG % pastoral, tmp_path), _load(SHORT, tmp_path)
    assert _meaning(short) == _meaning(long)
    assert short.events["call_back"].roles == GROUPS["pastoral_team"]
    assert short.opening.roles == frozenset({"office", "headteacher"})


def test_a_misspelt_group_is_one_error_suggesting_it(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError) as caught:
        _load(SHORT.replace("roles: [pastoral_team]", "roles: [pastoral_tem]"), tmp_path)
    [problem] = caught.value.problems
    assert "events.call_back.roles: unknown role 'pastoral_tem': did you mean " \
           "'pastoral_team'?" in problem
    assert "its groups: all_staff, leaders, pastoral_team, query_staff, records, " \
           "safeguarding, senders)" in problem


def test_an_event_without_roles_and_no_default_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError) as caught:
        _load(SHORT.replace("default_roles: [office, headteacher]\n", ""), tmp_path)
    assert any("events.wait: missing key 'roles'" in p for p in caught.value.problems)


CHAIN_LONG = """\
workflow: w
title: Q
prefix: QQQ
default_roles: [office]
open: {to: received}
states:
  received: {title: Received, holder: office}
  with_form_teacher: {title: Form Teacher, holder: form_tutor}
  with_head_of_year: {title: Head of Year, holder: head_of_year}
  with_principal: {title: Principal, holder: headteacher}
  closed: {title: Closed, terminal: true}
events:
  route: {from: [received], to: with_form_teacher}
  escalate:
    from: [with_form_teacher, with_head_of_year]
    to:
      - {state: with_head_of_year, from: with_form_teacher}
      - {state: with_principal, from: with_head_of_year}
    roles: [form_tutor, head_of_year, headteacher]
    requires:
      - at_step_or_above: [[form_tutor, head_of_year, headteacher]]
  resolve:
    from: [received, with_form_teacher, with_head_of_year, with_principal]
    to: closed
    requires:
      - at_step_or_above: [[office, headteacher], [form_tutor, head_of_year, headteacher]]
"""
CHAIN_SHORT = """\
workflow: w
title: Q
prefix: QQQ
default_roles: [office]
open: {to: received}
states:
  received: {title: Received, holder: office}
  with_form_teacher: {title: Form Teacher, holder: form_tutor}
  with_head_of_year: {title: Head of Year, holder: head_of_year}
  with_principal: {title: Principal, holder: headteacher}
  closed: {title: Closed, terminal: true}
chains:
  pastoral: [with_form_teacher, with_head_of_year, with_principal]
events:
  route: {from: [received], to: with_form_teacher}
  escalate:
    to: {up: [pastoral]}
    roles: [pastoral]
    requires:
      - at_step_or_above: [pastoral]
  resolve:
    from: [received, pastoral]
    to: closed
    requires:
      - at_step_or_above: [[office, headteacher], pastoral]
"""


def test_pwp_5_1_a_chain_written_once_means_the_three_lists(tmp_path: Path) -> None:
    """`chains:` (issue 16): one escalation chain named in `to: {up:}`, `from:`, `roles:`
    and `at_step_or_above:` parses to the workflow written out in full (PWP-5.1)."""
    long, short = _load(CHAIN_LONG, tmp_path), _load(CHAIN_SHORT, tmp_path)
    assert _meaning(short.events) == _meaning(long.events)


@pytest.mark.parametrize(("change", "said"), [
    (("to: {up: [pastoral]}", "to: {up: [pastorl]}"),
     "events.escalate.to.up: unknown chain 'pastorl': did you mean 'pastoral'? (the "
     "workflow's chains: pastoral)"),
    (("pastoral: [with_form_teacher,", "pastoral: [with_form_teachr,"),
     "chains.pastoral: unknown state 'with_form_teachr': did you mean 'with_form_teacher'?"),
    (("pastoral: [with_form_teacher,", "pastoral: [received, closed,"),
     "chains.pastoral: state 'closed' has no holder: a step of a chain is held by a role"),
])
def test_a_chain_mistake_is_one_error_at_its_line(tmp_path: Path, change: tuple[str, str],
                                                  said: str) -> None:
    text = CHAIN_SHORT.replace(*change)
    with pytest.raises(DefinitionError) as caught:
        _load(text, tmp_path)
    [problem] = caught.value.problems
    line = next(i for i, t in enumerate(text.splitlines(), 1) if change[1] in t)
    assert problem.startswith(f"{tmp_path / 'w.yaml'}:{line}: {said}"), problem


def test_bem_6_a_letter_to_several_is_one_spec_for_each(tmp_path: Path) -> None:
    """`to: [file, "role:headteacher"]` (issue 16) means the two document specs written out,
    as the home visit's incident report is kept and sent to the headteacher (BEM-6)."""
    def doc(to: str) -> str:
        return LONG.replace("    roles: [%s]\n  close:",
                            f"    roles: [%s]\n    documents:\n{to}  close:")
    pastoral = ", ".join(sorted(GROUPS["pastoral_team"]))
    letters = Letters(tmp_path, ("incident.docx",))
    one = load(doc('      - {template: incident.docx, to: [file, "role:headteacher"]}\n')
               % pastoral, tmp_path / "w.yaml", DEFAULT_ROLES, letters, groups=GROUPS)
    two = load(doc('      - {template: incident.docx, to: file}\n'
                   '      - {template: incident.docx, to: "role:headteacher"}\n') % pastoral,
               tmp_path / "w.yaml", DEFAULT_ROLES, letters, groups=GROUPS)
    assert [d.to for d in one.events["call_back"].documents] == ["file", "role:headteacher"]
    assert _meaning(one.events) == _meaning(two.events)
