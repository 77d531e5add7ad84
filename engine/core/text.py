"""Making user text safe to print in a letter (standard library only).

Every piece of text that can reach a letter passes ``clean_text``. A letter is XML: one
control character in a value makes lxml's recovering parser drop text silently, and
bidirectional override characters can make a printed sentence read differently from what
was typed (the "Trojan Source" trick). Both are refused, with the position, so the person
who typed the text can find and fix it.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from engine.errors import FieldError

# XML 1.0 forbids C0 controls other than tab, LF and CR, U+FFFE, U+FFFF and lone surrogates;
# bidirectional embeddings, overrides (U+202A-U+202E) and isolates (U+2066-U+2069) are legal
# XML but can make printed text read differently from what was typed. One regex search
# (not a Python loop per character) keeps this cheap enough to run on every render.
_REFUSED = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f"  # C0 controls but tab, LF, CR
    "\u202a-\u202e\u2066-\u2069"  # bidirectional controls
    "\ufffe\uffff\ud800-\udfff]"  # non-characters, lone surrogates
)


def clean_text(value: str, where: str, max_length: int = 2000) -> str:
    """Return ``value`` in NFC with ``\\n`` line endings, or raise FieldError.

    Refuses characters XML 1.0 forbids (C0 controls other than tab, LF and CR, U+FFFE,
    U+FFFF, lone surrogates), bidirectional embedding/override/isolate controls, and
    text longer than ``max_length`` characters. ``where`` names the value in the message,
    e.g. ``"field 'incident_summary'"``; positions are 1-based, in the text as given.
    """
    if not isinstance(value, str):
        raise FieldError(f"{where}: expected text, got {type(value).__name__}")
    text = unicodedata.normalize("NFC", value)
    if "\r" in text:
        # CR only ever reaches a document as LF (XML parsers normalise it), so store LF.
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    # C1 controls and DEL are legal XML but a terminal acts on them ('show' prints fields)
    problem = refusal(value, max_length, len(text)) or unprintable(text)
    if problem:
        raise FieldError(f"{where}: {problem}")
    return text


def refusal(value: str, max_length: int, length: int | None = None) -> str | None:
    """Why ``value`` cannot go into a letter (None when it can): the first refused
    character with its 1-based position, or the length. ``length`` is the length after
    normalisation when the caller has it."""
    refused = _REFUSED.search(value)
    if refused:
        char = refused.group()
        return (f"character U+{ord(char):04X} at position {refused.start() + 1} "
                f"is not allowed ({_reason(char)})")
    length = len(value) if length is None else length
    if length > max_length:
        return f"text is {length} characters long; at most {max_length} are allowed"
    return None


def _reason(char: str) -> str:
    """Why ``char`` (one that ``_REFUSED`` matched) may not appear in a letter."""
    code = ord(char)
    if code < 0x20:
        return "control character"
    if 0xD800 <= code <= 0xDFFF:
        return "lone surrogate"
    if code in (0xFFFE, 0xFFFF):
        return "not a character"
    return "bidirectional control character"


_ENDS_SENTENCE = (".", "!", "?", ".\u201d", ".'", '."', "!\u201d", "?\u201d")


def sentence(value: object) -> str:
    """Staff's words made a sentence a parent reads: trimmed, a capital first letter, and
    a full stop when it has no closing punctuation ("abusive emails to three teachers" ->
    "Abusive emails to three teachers."). Empty stays empty; None is ''. A letter quotes a
    field with ``{{ fields.x|sentence }}`` as its own sentence, never after a colon."""
    if value is None:
        return ""
    text = str(value).strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    if not text.endswith(_ENDS_SENTENCE):
        text = text.rstrip(",;:-\u2013 ") + "."
    return text


def clock(value: object) -> str:
    """A time as a UK school letter writes it: 15:30 -> "3.30pm", 09:00 -> "9am",
    12:00 -> "12 noon". Takes a time, a datetime or "HH:MM" text; other text is left as
    it is (a batch field someone wrote as "after school")."""
    if isinstance(value, dt.datetime):
        value = value.time()
    if isinstance(value, str):
        try:
            value = dt.time.fromisoformat(value.strip())
        except ValueError:
            return value
    if not isinstance(value, dt.time):
        return "" if value is None else str(value)
    if (value.hour, value.minute) == (12, 0):
        return "12 noon"
    hour = value.hour % 12 or 12
    suffix = "am" if value.hour < 12 else "pm"
    return f"{hour}{suffix}" if value.minute == 0 else f"{hour}.{value.minute:02d}{suffix}"


def money(value: object) -> str:
    """An amount in pounds: "12.5" -> "£12.50", "12" -> "£12.00"; text that is not a
    number (or already has its £) is left as it is."""
    text = "" if value is None else str(value).strip()
    try:
        amount = Decimal(text.replace(",", ""))
    except InvalidOperation:
        return text
    return f"£{amount:,.2f}"


def percent(value: object) -> str:
    """A percentage: "89.5" -> "89.5%"; text that is not a number is left as it is."""
    text = "" if value is None else str(value).strip()
    try:
        Decimal(text)
    except InvalidOperation:
        return text
    return f"{text}%"


def speaks_of(text: str, names: Iterable[str]) -> str | None:
    """The first of ``names`` (the addressee's, e.g. "Mrs O'Brien") that ``text`` names:
    staff's words quoted in a letter must speak to the parent as "you", never of her in
    the third person ("Mrs O'Brien has agreed ..." sent to Mrs O'Brien)."""
    for name in names:
        if name and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.IGNORECASE):
            return name
    return None


# What a terminal acts on instead of printing: C0 controls but tab and LF (ESC starts every
# escape sequence, CR and backspace overwrite what was printed), DEL, the C1 controls
# (U+009B is a one-character CSI to many terminals) and the bidirectional controls. Stored
# text and school files are shown to staff with each of these written out as an escape.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """``text`` with every character a terminal would act on written as an escape
    (``\\x1b``, ``\\u202e``), so what is shown is what is stored."""
    if _UNPRINTABLE.search(text) is None:
        return text
    return _UNPRINTABLE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def unprintable(value: str) -> str | None:
    """Why ``value`` cannot stand in a school's own files (None when it can): the first
    character a terminal would act on, with its 1-based position."""
    found = _UNPRINTABLE.search(value)
    if found is None:
        return None
    char = found.group()
    kind = "bidirectional control character" if ord(char) > 0x9f else "control character"
    return f"character U+{ord(char):04X} at position {found.start() + 1} is not allowed ({kind})"
