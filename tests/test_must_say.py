"""`must_say:`: `liaison check` proves a statutory letter says what it must (EXC-2, HSP-5),
by rendering the real template with sample values and reading the text back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Run
from docx import Document


def _remove_paragraph(template: Path, containing: str) -> None:
    """Delete from a real .docx the one paragraph whose text holds ``containing``."""
    doc = Document(str(template))
    found = [p for p in doc.paragraphs if containing in p.text]
    assert len(found) == 1, f"{len(found)} paragraphs hold {containing!r}"
    found[0]._element.getparent().remove(found[0]._element)
    doc.save(str(template))


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_exc_2_hsp_5_the_shipped_letters_say_what_they_must(school: Path,
                                                           cli: Callable[..., Run]) -> None:
    run = cli("check", "--school", school)
    assert run.code == 0, run.err
    assert run.out.splitlines()[-1].startswith("ok:")  # after the tests' trust warning


@pytest.mark.parametrize(("paragraph", "declared", "label"), [
    ("bring a friend", "says: bring a friend", "'bring a friend'"),
    ("{{ day }}", "field: first_days", "field 'first_days'"),
    ("fields.reasons", "field: reasons", "field 'reasons'"),
    ("fields.work_arrangements", "field: work_arrangements", "field 'work_arrangements'"),
    ("{{ fields.representations_to }}", "field: representations_to",
     "field 'representations_to'"),
])
def test_exc_2_a_notice_with_one_element_removed_fails_check(
        school: Path, cli: Callable[..., Run], paragraph: str, declared: str,
        label: str) -> None:
    _remove_paragraph(school / "letters" / "exclusion_notice.docx", paragraph)
    run = cli("check", "--school", school)
    assert run.code == 1
    path = school / "workflows" / "exclusion.yaml"
    line = _line_of(path, f"- {declared}")
    assert (f"{path}:{line}: open.documents.exclusion_notice.docx.must_say: "
            f"exclusion_notice.docx does not say {label}") in run.err, run.err


def test_exc_5_a_branch_left_out_is_found_in_that_variant_only(
        school: Path, cli: Callable[..., Run]) -> None:
    """The sentence a short suspension needs is checked in the rendering where the board's
    duty is representations_only, and the message says which rendering lacked it."""
    _remove_paragraph(school / "letters" / "exclusion_notice.docx", "cannot reinstate")
    run = cli("check", "--school", school)
    assert run.code == 1
    assert "does not say 'cannot reinstate' (rendered with board_duty=representations_only)" \
        in run.err


def test_hsp_5_a_site_ban_without_its_review_date_fails_check(
        school: Path, cli: Callable[..., Run]) -> None:
    _remove_paragraph(school / "letters" / "conduct_site_ban.docx", "fields.review_on")
    run = cli("check", "--school", school)
    assert run.code == 1
    assert "conduct_site_ban.docx does not say field 'review_on'" in run.err


def test_must_say_names_an_unknown_field_at_its_line(school: Path,
                                                     cli: Callable[..., Run]) -> None:
    path = school / "workflows" / "exclusion.yaml"
    path.write_text(path.read_text().replace("- field: provision", "- field: provisions"))
    run = cli("check", "--school", school)
    assert run.code == 1
    line = _line_of(path, "- field: provisions")
    assert (f"{path}:{line}: open.documents.exclusion_notice.docx.must_say: unknown field "
            "'provisions'") in run.err


def test_must_say_a_clause_id_or_phrase_is_looked_for_in_the_text(
        school: Path, cli: Callable[..., Run]) -> None:
    path = school / "workflows" / "exclusion.yaml"
    path.write_text(path.read_text().replace("        - says: held remotely\n",
                                             "        - says: held remotely\n"
                                             "        - EXC-2\n"))
    run = cli("check", "--school", school)
    assert run.code == 1
    assert "exclusion_notice.docx does not say 'EXC-2'" in run.err


@pytest.mark.parametrize(("written", "said"), [
    ("{says: cannot reinstate, when: {board_dutty: [representations_only]}}",
     "open.documents.exclusion_notice.docx.must_say: unknown field 'board_dutty': did you "
     "mean 'board_duty'? (the workflow's fields:"),
    ("{says: cannot reinstate, when: {board_duty: [representation_only]}}",
     "open.documents.exclusion_notice.docx.must_say.when.board_duty: 'representation_only' "
     "is not a choice of field 'board_duty': did you mean 'representations_only'? (its "
     "choices: must_consider, on_representations, representations_only)"),
])
def test_exc_2_a_must_say_when_names_known_fields_and_choices(
        school: Path, cli: Callable[..., Run], written: str, said: str) -> None:
    """A misspelt field or value in a must_say `when:` would make the item never apply, so
    the letter would go unchecked: it is one error at the item's line."""
    path = school / "workflows" / "exclusion.yaml"
    shipped = "{says: cannot reinstate, when: {board_duty: [representations_only]}}"
    path.write_text(path.read_text().replace(shipped, written))
    run = cli("check", "--school", school)
    assert run.code == 1
    line = _line_of(path, written)
    errors = [e for e in run.err.splitlines() if e.startswith("error:")]
    assert len(errors) == 1, run.err
    assert errors[0].startswith(f"error: {path}:{line}: {said}"), run.err


def test_exc_5_the_exam_paragraph_removed_fails_check(school: Path,
                                                       cli: Callable[..., Run]) -> None:
    """Where a public examination is missed the notice names the day the board meets by,
    where practicable (EXC-5); without that paragraph, check fails in that rendering."""
    _remove_paragraph(school / "letters" / "exclusion_notice.docx", "before it where practicable")
    run = cli("check", "--school", school)
    assert run.code == 1
    assert "does not say field 'board_before_exam' (rendered with the sample values" in run.err
