"""The cover sheet of a print pack: a table of the letters in it, in the order they are
printed (postcode order), for whoever stuffs the envelopes. Bytes only; nothing written."""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO

import docx


def cover_sheet(school: str, title: str, rows: Sequence[Sequence[str]]) -> bytes:
    """A .docx: the school, the pack's title, and one table row a letter (#, addressee,
    postcode, letter, case, how it goes)."""
    document = docx.Document()
    document.add_heading(school, level=1)
    document.add_paragraph(title)
    table = document.add_table(rows=1, cols=6)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ("#", "To", "Postcode", "Letter", "Case",
                                                "How"), strict=True):
        cell.text = text
    for row in rows:
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.text = text
    document.add_paragraph(f"{len(rows)} letter(s). Post first class the day this pack is "
                           "made: a letter posted first class is deemed received on the "
                           "second working day after posting.")
    out = BytesIO()
    document.save(out)
    return out.getvalue()
