"""Build the shipped letter templates in letters/ (run: python tools/make_letters.py [NAME ...]).

The .docx files are the school's to edit in Word; this script is how the shipped ones are
made, so every letter shares one letterhead and layout, and a layout change is made once.
The wording of each workflow's letters lives in tools/letter_texts/<workflow>.py as a
``TEMPLATES`` dict (file name -> body lines built with tools/letter_layout.py). The context
every template receives is described in docs/letters.md.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def templates() -> dict[str, list[str]]:
    """Every template's body lines, from every module in tools/letter_texts/."""
    out: dict[str, list[str]] = {}
    for path in sorted((ROOT / "tools" / "letter_texts").glob("*.py")):
        if path.stem != "__init__":
            out.update(importlib.import_module(f"tools.letter_texts.{path.stem}").TEMPLATES)
    return out


def _paragraph(doc: Document, line: str):  # -> Paragraph
    if line.startswith("**"):
        paragraph = doc.add_paragraph()
        paragraph.add_run(line[2:]).bold = True
        return paragraph
    if line.startswith("- "):
        return doc.add_paragraph(line[2:], style="List Bullet")
    return doc.add_paragraph(line)


# The address block, single-spaced: from the addressee's name to the blank line after it.
ADDRESS_START = "{{ recipient.name }}"
SIGN_OFF, SIGNED = "Yours sincerely,", "{{ signatory.title }}"


def _tight(paragraph, keep_with_next: bool = False) -> None:
    """Single-spaced, no gap after; ``keep_with_next`` holds the sign-off with the name and
    title (Word's "keep with next"), so a signatory's title never sits alone on page 2."""
    fmt = paragraph.paragraph_format
    fmt.space_before, fmt.space_after, fmt.line_spacing = Pt(0), Pt(0), 1.0
    fmt.keep_together = True
    fmt.keep_with_next = keep_with_next


def _letterhead(doc: Document) -> None:
    section = doc.sections[0]
    head = section.header.paragraphs[0]
    head.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    name = head.add_run("{{ school.name }}")
    name.bold = True
    name.font.size = Pt(16)
    address = section.header.add_paragraph("{{ school.address_lines|join(', ') }}")
    address.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    phone = section.header.add_paragraph("Telephone {{ school.phone }} · {{ school.email }}")
    phone.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    foot = section.footer.paragraphs[0]
    foot.text = "{{ school.name }} · {{ school.website }}"
    foot.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _before_sign_off(lines: list[str]) -> set[int]:
    """The body paragraphs that go with the sign-off: the last one before it, or each
    alternative of the last ``{%p if %}`` block (the contact line, or the ban's route), so
    a page never holds the signature alone."""
    if SIGN_OFF not in lines:
        return set()
    out, depth = set(), 0
    for i in range(lines.index(SIGN_OFF) - 1, -1, -1):
        line = lines[i]
        if line.startswith("{%p endif"):
            depth += 1
        elif line.startswith("{%p if"):
            depth -= 1
            if depth == 0:
                break
        elif not line.startswith("{%p") and line:
            out.add(i)
            if depth == 0:
                break
    return out


def build(name: str, lines: list[str], folder: Path) -> Path:
    doc = Document()
    doc.styles["Normal"].font.name = "Arial"
    doc.styles["Normal"].font.size = Pt(11)
    _letterhead(doc)
    address = signing = False
    with_sign_off = _before_sign_off(lines)
    for i, line in enumerate(lines):
        paragraph = _paragraph(doc, line)
        if i in with_sign_off:
            paragraph.paragraph_format.keep_with_next = True
        if line == ADDRESS_START:
            address = True
        elif address and line == "":
            address = False
        if line == SIGN_OFF:
            signing = True
        if address:
            _tight(paragraph)
        elif signing:
            _tight(paragraph, keep_with_next=line != SIGNED)
            signing = line != SIGNED
    doc.core_properties.title = name.removesuffix(".docx").replace("_", " ")
    doc.core_properties.author = "Liaison"
    path = folder / name
    doc.save(str(path))
    return path


def main(names: list[str]) -> None:
    folder = ROOT / "letters"
    for name, lines in templates().items():
        if not names or name in names:
            print(build(name, lines, folder).relative_to(ROOT))


if __name__ == "__main__":
    main(sys.argv[1:])
