"""Print copies: a PDF of each letter, from LibreOffice, for printing (``--pdf``).

The engine's only subprocess. Starting LibreOffice costs ~1 s and a letter ~0.1 s, so a
whole batch goes through one run. The PDF sits next to its letter; the letter stays the
record, and stays recorded if the conversion fails.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from engine.errors import LetterError, ToolMissing
from engine.store import files

_PDF_TIMEOUT = 600  # seconds for one LibreOffice run, and 2 s more a letter
# Letters per LibreOffice run: a whole batch, but a command line well under the system's limit.
_PDF_RUN = 2_000


def pdf_tool() -> str:
    """The LibreOffice program that makes PDFs; ToolMissing, saying how to install it, if
    there is none (checked before a command writes anything)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise ToolMissing("LibreOffice is not installed, so no PDF can be made: install it "
                          "(Debian, Ubuntu: apt-get install libreoffice-writer-nogui; "
                          "elsewhere: https://www.libreoffice.org/download/) and run the "
                          "command again")
    return soffice


def to_pdf(docx_paths: list[Path], outdir: Path | None = None,
           scratch: Path | None = None) -> list[Path]:
    """Convert the letters to PDFs, in ``outdir`` or else each next to its .docx; return
    their paths. One LibreOffice run converts up to _PDF_RUN letters (a whole batch),
    working in ``scratch`` (the school's own cases/work/, so a parent's letter never
    passes through the system's temporary folder; that folder when none is given)."""
    soffice = pdf_tool()
    if not docx_paths:
        return []
    targets = [(outdir or path.parent) / f"{path.stem}.pdf" for path in docx_paths]
    if len({p.name for p in targets}) < len(targets):
        raise LetterError("two letters of the batch have the same name: their PDFs would clash")
    if outdir is not None:
        outdir.mkdir(parents=True, exist_ok=True)
    for start in range(0, len(docx_paths), _PDF_RUN):
        some = docx_paths[start:start + _PDF_RUN]
        if scratch is not None:
            files.private_folder(scratch)
        with tempfile.TemporaryDirectory(prefix="liaison-pdf-", dir=scratch) as work:
            made = _soffice(soffice, some, Path(work))
            for pdf, target in zip(made, targets[start:start + _PDF_RUN], strict=True):
                shutil.move(pdf, target)  # a rename when on the same disk
    return targets


def _soffice(soffice: str, docx_paths: list[Path], work: Path) -> list[Path]:
    """One LibreOffice run converting every letter into ``work``."""
    pdfs = [work / f"{path.stem}.pdf" for path in docx_paths]
    timeout = _PDF_TIMEOUT + 2 * len(docx_paths)
    # Starting soffice costs ~1 s and a letter ~0.1 s, so the whole batch goes in one call.
    # Its own profile folder keeps it from handing the work to a LibreOffice already open.
    command = [soffice, f"-env:UserInstallation={(work / 'profile').as_uri()}", "--headless",
               "--convert-to", "pdf", "--outdir", str(work), *map(str, docx_paths)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              check=False)
    except subprocess.TimeoutExpired as exc:
        raise LetterError(f"LibreOffice took over {timeout} s to convert "
                          f"{len(docx_paths)} letters") from exc
    unmade = [p.name for p in pdfs if not p.is_file()]
    if done.returncode or unmade:
        said = (done.stderr or done.stdout).strip().splitlines()
        raise LetterError(f"LibreOffice did not convert {', '.join(unmade) or 'the letters'} "
                          f"(exit status {done.returncode}){': ' + said[-1] if said else ''}")
    return pdfs


def print_copies(root: Path, documents: list[str], again: str = "") -> list[str]:
    """A PDF next to each letter written (paths under the school), for printing, from one
    LibreOffice run; the letters stay recorded if it fails."""
    try:
        made = to_pdf([root / d for d in documents], scratch=root / files.WORK)
    except LetterError as exc:
        raise LetterError(f"the letters were written and recorded, but no PDF was made: "
                          f"{exc}{again}") from exc
    return [p.relative_to(root).as_posix() for p in made]
