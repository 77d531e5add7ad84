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


def _paragraph(doc: Document, line: str) -> None:
    if line.startswith("**"):
        doc.add_paragraph().add_run(line[2:]).bold = True
    elif line.startswith("- "):
        doc.add_paragraph(line[2:], style="List Bullet")
    else:
        doc.add_paragraph(line)


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


def build(name: str, lines: list[str], folder: Path) -> Path:
    doc = Document()
    doc.styles["Normal"].font.name = "Arial"
    doc.styles["Normal"].font.size = Pt(11)
    _letterhead(doc)
    for line in lines:
        _paragraph(doc, line)
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
