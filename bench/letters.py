"""Benchmark: milliseconds per letter, plain docxtpl against engine.letters.render.

    python bench/letters.py [--n 200]

For each template in letters/ (or a sample built here if there is none) it renders the
same context ``n`` times each way, in the same run, and prints the medians and their
ratio. Not a test: the figures depend on the machine (see bench/README.md).
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import docx  # noqa: E402
from docxtpl import DocxTemplate  # noqa: E402
from jinja2 import StrictUndefined  # noqa: E402
from jinja2.sandbox import ImmutableSandboxedEnvironment  # noqa: E402

from engine import letters  # noqa: E402

SAMPLE_VALUES = ["Mrs Amira Haddad", "14 Orchard Road", "Zoë O'Brien & Sons", "9X", "Year 9",
                 "Tuesday 1 December 2026", "CON-2026-0001", "by email to office@school.example"]


def context_for(template: Path) -> dict[str, Any]:
    """A context filling every path the template reads ("[]": two list items)."""
    paths = sorted({p for u in letters._load(template).usage.values() for p in u.paths})
    tree: dict[str, Any] = {}
    for path in paths:
        node = tree
        for part in path.replace("[]", ".[]").split("."):
            node = node.setdefault(part, {})
    values = iter(SAMPLE_VALUES * 100)

    def fill(node: dict[str, Any]) -> Any:
        if "[]" in node:
            return [fill(node["[]"]) for _ in range(2)]
        return {k: fill(v) for k, v in node.items()} if node else next(values)

    return fill(tree)


def plain_docxtpl(template: Path, context: dict[str, Any]) -> bytes:
    """What the engine would do without its fast path: a fresh DocxTemplate per letter."""
    env = ImmutableSandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
    tpl = DocxTemplate(template)
    tpl.render(context, jinja_env=env)
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()


def median_ms(run: Callable[[], object], n: int) -> float:
    run()  # warm up: the fast path compiles the template on its first render
    times = []
    for _ in range(n):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def sample_template(folder: Path) -> Path:
    """A one-page letter with a header, footer, loop, condition and table."""
    d = docx.Document()
    d.sections[0].header.paragraphs[0].text = "{{ school.name }}"
    d.sections[0].footer.paragraphs[0].text = "Our reference {{ reference }}"
    for text in ["{{ recipient.name }}", "{%p for line in recipient.address_lines %}",
                 "{{ line }}", "{%p endfor %}", "Dear {{ recipient.salutation }},",
                 "{%p if ban %}", "Write to us {{ ban.contact_route }}.", "{%p endif %}",
                 "Yours sincerely,", "{{ signatory.name }}"]:
        d.add_paragraph(text)
    table = d.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "{{ student.full_name }}"
    table.cell(0, 1).text = "{{ student.form }}"
    path = folder / "sample.docx"
    d.save(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="letters per measurement")
    n = parser.parse_args().n
    with tempfile.TemporaryDirectory() as tmp:
        templates = sorted((ROOT / "letters").glob("*.docx")) or [sample_template(Path(tmp))]
        print(f"{'template':40} {'docxtpl ms':>11} {'render ms':>10} {'ratio':>7}")
        ratios = []
        for template in templates:
            context = context_for(template)
            plain = median_ms(lambda t=template, c=context: plain_docxtpl(t, c), n)
            fast = median_ms(lambda t=template, c=context: letters.render(t, c), n)
            ratios.append(plain / fast)
            print(f"{template.name:40} {plain:11.2f} {fast:10.3f} {plain / fast:6.1f}x")
            # TODO(c): "full batch including the store": render and store a batch of
            # letters through the batch command (files written, fsync, rows committed) and
            # report ms per letter here once that command exists.
        print(f"{'median ratio':40} {'':11} {'':10} {statistics.median(ratios):6.1f}x")


if __name__ == "__main__":
    main()
