"""The chronology of a subject access export as a .docx (SAR-1): every recorded event about
the person, oldest first, in a table; turned into a PDF by LibreOffice as letters are
(engine.service.pdf). Bytes only; nothing written."""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO

import docx


def chronology(school: str, title: str, rows: Sequence[Sequence[str]]) -> bytes:
    """A .docx: the school, the title (whose records), and one table row an event (when,
    case, what happened, by whom)."""
    document = docx.Document()
    document.add_heading(school, level=1)
    document.add_paragraph(title)
    table = document.add_table(rows=1, cols=4)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ("When", "Case", "What happened", "By"),
                          strict=True):
        cell.text = text
    for row in rows:
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.text = text
    document.add_paragraph(f"{len(rows)} recorded event(s), oldest first.")
    out = BytesIO()
    document.save(out)
    return out.getvalue()
