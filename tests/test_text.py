"""clean_text: what may reach a letter, and the messages that say what may not."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.core.fields import batch_value
from engine.core.text import clean_text, clock, money, percent, sentence, speaks_of
from engine.errors import FieldError

WHERE = "field 'incident_summary'"


def refusal(value: str, **kwargs: int) -> str:
    with pytest.raises(FieldError) as info:
        clean_text(value, WHERE, **kwargs)
    return str(info.value)


def test_message_names_field_position_and_code_point() -> None:
    assert refusal("Broke window\x0b on") == (
        "field 'incident_summary': character U+000B at position 13 is not allowed "
        "(control character)"
    )


@pytest.mark.parametrize(
    ("char", "reason"),
    [
        ("\x00", "control character"),
        ("\x01", "control character"),
        ("\x08", "control character"),
        ("\x0c", "control character"),
        ("\x1f", "control character"),
        ("\ufffe", "not a character"),
        ("\uffff", "not a character"),
        ("\ud800", "lone surrogate"),
        ("\udfff", "lone surrogate"),
        ("\u202a", "bidirectional control character"),
        ("\u202e", "bidirectional control character"),
        ("\u2066", "bidirectional control character"),
        ("\u2069", "bidirectional control character"),
        # legal XML 1.0, but a terminal acts on them when 'show' prints the field (issue 15)
        ("\x7f", "control character"),
        ("\x85", "control character"),
        ("\x9b", "control character"),
    ],
)
def test_refused_characters(char: str, reason: str) -> None:
    assert refusal(f"ab{char}c") == (
        f"{WHERE}: character U+{ord(char):04X} at position 3 is not allowed ({reason})"
    )


def test_first_refused_character_is_reported() -> None:
    assert "U+0001 at position 1" in refusal("\x01\x0b")


@pytest.mark.parametrize(
    "value",
    [
        "Zoë O'Brien & <Sons> \"Ltd\"",
        "tab\there",
        "two\nlines",
        "😀 👍🏽",
        "مرحبا بكم",  # Arabic: right-to-left text itself is fine, only the controls are not
        "שלום",
        "\u200f",  # right-to-left mark: not an embedding/override/isolate
        "",
    ],
)
def test_allowed_text_is_kept(value: str) -> None:
    assert clean_text(value, WHERE) == value


def test_nfc_normalisation() -> None:
    decomposed = "Zoe\u0308"
    assert clean_text(decomposed, WHERE) == "Zoë"


def test_line_endings_become_lf() -> None:
    assert clean_text("a\r\nb\rc\n", WHERE) == "a\nb\nc\n"


def test_length_cap() -> None:
    assert clean_text("x" * 2000, WHERE) == "x" * 2000
    assert refusal("x" * 2001) == (
        f"{WHERE}: text is 2001 characters long; at most 2000 are allowed"
    )
    assert refusal("x" * 11, max_length=10).endswith("at most 10 are allowed")


def test_cap_counts_characters_after_normalisation() -> None:
    # 'e' + combining diaeresis is two code points typed, one character stored.
    assert clean_text("e\u0308" * 6, WHERE, max_length=6) == "ë" * 6


def test_not_text() -> None:
    assert refusal(12) == f"{WHERE}: expected text, got int"  # type: ignore[arg-type]


@given(st.text())
def test_result_is_always_xml_safe_or_refused(value: str) -> None:
    try:
        text = clean_text(value, WHERE, max_length=10_000)
    except FieldError as exc:
        assert str(exc).startswith(f"{WHERE}: ")
        return
    assert unicodedata.is_normalized("NFC", text)
    assert "\r" not in text
    for char in text:
        code = ord(char)
        assert code >= 0x20 or char in "\t\n"
        assert not 0xD800 <= code <= 0xDFFF
        assert char not in "\ufffe\uffff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


# ------------------------------------------------ the letter helpers (engine/core/text.py)

@pytest.mark.parametrize("note,quoted", [
    ("abusive emails to three teachers", "Abusive emails to three teachers."),
    ("  You wrote on 20 November.  ", "You wrote on 20 November."),
    ("Is this right?", "Is this right?"),
    ("a list, then a colon:", "A list, then a colon."),
    ("", ""),
    (None, ""),
])
def test_sentence_makes_a_staff_note_a_sentence(note: str | None, quoted: str) -> None:
    assert sentence(note) == quoted


@pytest.mark.parametrize("value,written", [
    ("15:30", "3.30pm"), ("09:00", "9am"), ("12:00", "12 noon"), ("00:05", "12.05am"),
    ("18:05", "6.05pm"), (dt.time(20, 0), "8pm"), (dt.datetime(2026, 11, 18, 15, 30), "3.30pm"),
    ("after school", "after school"),
])
def test_clock_writes_times_as_a_uk_school_does(value: object, written: str) -> None:
    assert clock(value) == written


def test_money_and_percent() -> None:
    assert (money("12.5"), money("12"), money("1250"), money("£3")) == (
        "£12.50", "£12.00", "£1,250.00", "£3")
    assert (percent("89.5"), percent("90")) == ("89.5%", "90%")


@pytest.mark.parametrize("kind,given,printed", [
    ("date", "2026-12-10", "Thursday 10 December 2026"), ("time", "18:00", "6pm"),
    ("money", "12.50", "£12.50"), ("money", "£12.5", "£12.50"), ("percent", "89.5", "89.5%"),
    ("percent", "89.5%", "89.5%"), ("text", "the Main Hall", "the Main Hall"),
])
def test_a_batch_value_is_printed_by_its_type(kind: str, given: str, printed: str) -> None:
    assert batch_value(kind, given, "--set x") == printed


@pytest.mark.parametrize("kind,given,message", [
    ("date", "10/12/2026", "--set x: '10/12/2026' is not a date (YYYY-MM-DD)"),
    ("time", "6pm", "--set x: '6pm' is not a time (HH:MM, e.g. 18:30)"),
    ("money", "twelve", "--set x: 'twelve' is not pounds, e.g. 12.50"),
    ("percent", "120", "--set x: '120' is not a number, e.g. 89.5"),
])
def test_a_batch_value_of_the_wrong_type_is_refused(kind: str, given: str, message: str) -> None:
    with pytest.raises(FieldError) as info:
        batch_value(kind, given, "--set x")
    assert str(info.value) == message


def test_speaks_of_finds_the_addressee_by_name_not_inside_another_word() -> None:
    names = ["Mrs Zoë O'Brien", "Mrs O'Brien"]
    assert speaks_of("mrs o'brien has agreed", names) == "Mrs O'Brien"
    assert speaks_of("You have agreed with Mr O'Brien", names) is None
    assert speaks_of("Mrs O'Briened", names) is None
