"""Benchmark: milliseconds per letter, plain docxtpl against the engine, and batch letters.

    python bench/letters.py [--n 200] [--batch 1000] [--memory 1000 10000] [--no-memory]
    python bench/letters.py --first-only [--rounds 5]   # the first letter of a process

In one run, for each template in letters/ (or a sample built here if there is none):

- (a) plain docxtpl: a fresh ``DocxTemplate(path)``, ``render``, ``save``;
- (b) the engine's renderer, ``engine.letters.renderer``;
- (c) the engine's full batch (``engine.batch.send``: students read, letters rendered,
  written, made durable and recorded in the store), for the templates a batch sends.

(a) and (b) are the median of ``n`` renders of one context; (c) is a batch of about ``n``
letters to a year group of a synthetic school, three times, as milliseconds per letter
(the total over the letters made: a batch pays its fsyncs and commits per group, so a
per-letter median would hide them), the median of the three. It prints the ratios a/b and
a/c, then the letters per second of a ``--batch``-letter batch, then the peak memory of a
batch of each ``--memory`` size, each measured in a fresh process (tracemalloc, started
just before the batch; and, in another process without tracemalloc, the peak RSS). Not a
test: the figures depend on the machine (see bench/README.md).

The first letter of a process (``--first-only``, or after the rest): each template in a
fresh process that renders one letter as an advance does (``engine.service.compiled.warm``,
then ``render``), timed from after the imports, then 20 more (warm). With no kept compiled
form (a fresh ``LIAISON_CACHE``: what every CLI ``advance`` paid before issue 14) and with
the one the first run kept; CPU time (``process_time``: on a machine shared with others, a
wall-clock millisecond is often someone else's), medians of ``--rounds`` interleaved
rounds, each as a ratio to the warm render measured in the same process.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import docx  # noqa: E402
from docxtpl import DocxTemplate  # noqa: E402
from jinja2 import StrictUndefined  # noqa: E402
from jinja2.sandbox import ImmutableSandboxedEnvironment  # noqa: E402

from engine.letters import renderer as letters  # noqa: E402
from engine.service import batch  # noqa: E402
from engine.service.liaison import Liaison  # noqa: E402
from engine.service.shipped import copy_school  # noqa: E402

SAMPLE_VALUES = ["Mrs Amira Haddad", "14 Orchard Road", "Zoë O'Brien & Sons", "9X", "Year 9",
                 "Tuesday 1 December 2026", "CON-2026-0001", "by email to office@school.example"]
CONTACT_COLUMNS = ("id,student_id,title,first_name,last_name,relationship,address_line1,"
                   "address_line2,town,postcode,email,phone,language,separate_correspondence,"
                   "correspondence")
# Every 20 students of the synthetic school: 10 pairs of parents sharing a letter, 5 pairs
# who asked for a letter each (PWP-3.6), 1 pair of whom one is barred from correspondence,
# 4 lone parents: 25 letters (5 letters to 4 students); 1 in 7 parents needs an interpreter.
MIX = ["joint"] * 10 + ["separate"] * 5 + ["barred"] + ["single"] * 4
LETTERS_PER_20 = 25


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


# ---------------------------------------------------------------------- batches


def make_school(folder: Path, letter_count: int) -> Liaison:
    """The shipped school with a Year 9 of synthetic students whose contacts (MIX) get
    ``letter_count`` letters, rounded up to a whole MIX."""
    copy_school(folder)
    students = -(-letter_count // LETTERS_PER_20) * 20
    rows = [CONTACT_COLUMNS.split(",")]
    for i in range(students):
        kind, sid = MIX[i % len(MIX)], f"B{i:05d}"
        language = "Polish" if i % 7 == 0 else "English"
        parents = [("Mrs", "Anna", "a"), ("Mr", "Piotr", "b")][:1 if kind == "single" else 2]
        for n, (title, first, suffix) in enumerate(parents):
            rows.append([f"P{i:05d}{suffix}", sid, title, first, "Kowalski & Sons", "Parent",
                         f"{i} Orchard Road", "", "Millbrook", "MB4 7QT", "", "", language,
                         "yes" if kind == "separate" else "no",
                         "none" if kind == "barred" and n == 1 else "all"])
    _write_csv(folder / "bench_contacts.csv", rows)
    _write_csv(folder / "bench_students.csv",
               [["id", "first_name", "last_name", "year", "form", "house"]]
               + [[f"B{i:05d}", "Zoë", "O'Brien", "9", f"9{'ABCD'[i % 4]}", "Kestrel"]
                  for i in range(students)])
    engine = Liaison.at(folder)
    engine.import_students(folder / "bench_students.csv")
    engine.import_contacts(folder / "bench_contacts.csv")
    return engine


def _write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)


def batch_values(template: Path) -> dict[str, list[str]]:
    """A value for every field the template needs (two for a list)."""
    lists = {p.split(".")[1] for p in letters.template_lists(template) if p.startswith("fields.")}
    return {name: [f"{name} {n}" for n in ((1, 2) if name in lists else (1,))]
            for name in sorted(batch.needed_fields(template))}


def run_batch(engine: Liaison, template: Path, name: str) -> tuple[int, float]:
    """One whole batch to Year 9: (letters made, seconds)."""
    start = time.perf_counter()
    summary = batch.send(engine, template.name, "OF01", batch.Selection(year=9),
                         batch_values(template), name=name)
    return summary.made, time.perf_counter() - start


def batch_ms(engine: Liaison, template: Path, runs: int = 3) -> float:
    """(c): ms per letter of a whole batch, the median of ``runs`` batches."""
    per_letter = []
    for i in range(runs):
        made, seconds = run_batch(engine, template, f"c{i}")
        per_letter.append(seconds / made * 1000)
    return statistics.median(per_letter)


def memory_child(folder: Path, traced: bool) -> None:
    """In a fresh process: the peak memory of one batch to the school at ``folder``: what
    Python allocates (tracemalloc, started just before the batch) or, without tracemalloc
    (its own tables grow with the blocks it follows), the process's peak RSS."""
    engine = Liaison.at(folder)
    template = engine.school.letters_dir / "options_evening.docx"
    if traced:
        tracemalloc.start()
    made, _ = run_batch(engine, template, "memory")
    if traced:
        peak = tracemalloc.get_traced_memory()[1]
    else:
        peak = peak_rss()
    print(json.dumps({"letters": made, "peak": peak}))


def peak_rss() -> int:
    """This process's peak RSS in bytes. Linux's VmHWM, not ru_maxrss: that one survives
    fork and exec, so a child would report the parent's peak (here, making the school)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def memory(sizes: list[int]) -> None:
    """Each size's school is made here; each batch runs alone in a fresh process."""
    peaks: list[dict[str, int]] = []
    print(f"\n{'batch memory':>14} {'letters':>8} {'traced peak MB':>15} {'peak RSS MB':>12}")
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="liaison-bench-") as tmp:
            make_school(Path(tmp) / "school", size).close()
            peaks.append({})
            for kind in ("traced", "rss"):
                # a copy each time, so that both runs make the whole batch
                shutil.copytree(Path(tmp) / "school", Path(tmp) / kind)
                done = subprocess.run([sys.executable, __file__, "--memory-child",
                                       str(Path(tmp) / kind), *(["--traced"] * (kind == "traced"))],
                                      capture_output=True, text=True, check=True)
                result = json.loads(done.stdout.splitlines()[-1])
                peaks[-1].update({kind: result["peak"], "letters": result["letters"]})
        print(f"{'':>14} {peaks[-1]['letters']:8d} {peaks[-1]['traced'] / 2**20:15.2f} "
              f"{peaks[-1]['rss'] / 2**20:12.1f}")
    for key, label in (("traced", "traced"), ("rss", "RSS")):
        ratio = peaks[-1][key] / peaks[0][key]
        print(f"{'':>14} {label} peak, {peaks[-1]['letters']:,} letters / "
              f"{peaks[0]['letters']:,}: {ratio:.2f}x (target at most 1.5x)")


# ---------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="letters per measurement")
    parser.add_argument("--batch", type=int, default=1000, help="letters of the timed batch")
    parser.add_argument("--memory", type=int, nargs="+", default=[1000, 10000],
                        help="batch sizes whose peak memory is measured")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory runs")
    parser.add_argument("--memory-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--first-only", action="store_true",
                        help="only the first letter of a fresh process")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of first letters")
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child, args.traced)
        return
    if args.first_only:
        first_letter(sorted((ROOT / "letters").glob("*.docx")), args.rounds)
        return
    with tempfile.TemporaryDirectory(prefix="liaison-bench-") as tmp:
        templates = sorted((ROOT / "letters").glob("*.docx")) or [sample_template(Path(tmp))]
        engine = make_school(Path(tmp) / "school", args.n)
        try:
            per_template(engine, templates, args.n)
            whole_batch(Path(tmp) / "big", args.batch)
        finally:
            engine.close()
    first_letter(sorted((ROOT / "letters").glob("*.docx")), args.rounds)
    if not args.no_memory:
        memory(args.memory)


FIRST_CHILD = """
import json, statistics, sys, time
from pathlib import Path
from engine.letters import renderer
from engine.service import compiled
template, context = Path(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text())
started = time.process_time()
how = compiled.warm(template)
renderer.render(template, context)
first = time.process_time() - started
warm = []
for _ in range(20):
    started = time.process_time()
    renderer.render(template, context)
    warm.append(time.process_time() - started)
print(json.dumps({"how": how, "first": first * 1000, "warm": statistics.median(warm) * 1000}))
"""


def first_letter(templates: list[Path], rounds: int) -> None:
    """The first letter of a fresh process, without and with the kept compiled form."""
    print(f"\n{'first letter of a process':36} {'compiled':>9} {'loaded':>9} {'warm':>8} "
          f"{'c/warm':>7} {'l/warm':>7}   (median CPU ms of {rounds} rounds)")
    got: dict[str, dict[str, list[float]]] = {t.name: {"compiled": [], "loaded": [],
                                                        "warm": []} for t in templates}
    with tempfile.TemporaryDirectory(prefix="liaison-first-") as tmp:
        contexts = {}
        for template in templates:
            contexts[template.name] = Path(tmp) / f"{template.stem}.json"
            contexts[template.name].write_text(json.dumps(context_for(template)))
        for round_ in range(rounds):
            for template in templates:
                kept = Path(tmp) / f"kept-{round_}"  # the first run compiles and keeps
                for expect in ("compiled", "loaded"):
                    out = subprocess.run(
                        [sys.executable, "-c", FIRST_CHILD, str(template),
                         str(contexts[template.name])], check=True, capture_output=True,
                        text=True, cwd=ROOT, env={**os.environ, "LIAISON_CACHE": str(kept)})
                    run = json.loads(out.stdout)
                    assert run["how"] == expect, (template.name, run)
                    got[template.name][expect].append(run["first"])
                    got[template.name]["warm"].append(run["warm"])
    ratios = []
    for name, runs in got.items():
        c, loaded, w = (statistics.median(runs[k]) for k in ("compiled", "loaded", "warm"))
        ratios.append((c / w, loaded / w))
        print(f"{name:36} {c:9.2f} {loaded:9.2f} {w:8.3f} {c / w:6.1f}x {loaded / w:6.1f}x")
    print(f"{'median':36} {'':9} {'':9} {'':8} {statistics.median(r[0] for r in ratios):6.1f}x "
          f"{statistics.median(r[1] for r in ratios):6.1f}x   (goal: loaded within 3x)")


def per_template(engine: Liaison, templates: list[Path], n: int) -> None:
    sent = {t["template"] for t in batch.templates(engine.school) if t["batch"]}
    print(f"{'template':36} {'(a) docxtpl':>11} {'(b) render':>10} {'(c) batch':>10} "
          f"{'a/b':>7} {'a/c':>7}   (median ms per letter)")
    ab, ac = [], []
    for template in templates:
        context = context_for(template)
        plain = median_ms(lambda t=template, c=context: plain_docxtpl(t, c), n)
        fast = median_ms(lambda t=template, c=context: letters.render(t, c), n)
        ab.append(plain / fast)
        whole = "" if template.name not in sent else batch_ms(engine, template)
        if whole:
            ac.append(plain / whole)
        print(f"{template.name:36} {plain:11.2f} {fast:10.3f} "
              f"{f'{whole:10.3f}' if whole else '         -'} {plain / fast:6.1f}x "
              f"{f'{plain / whole:6.1f}x' if whole else '      -'}")
    print(f"{'median':36} {'':11} {'':10} {'':10} {statistics.median(ab):6.1f}x "
          f"{statistics.median(ac) if ac else 0:6.1f}x")
    print("(c) only for templates a batch sends; the others go out when a case is advanced")


def whole_batch(folder: Path, size: int) -> None:
    """The letters per second of a ``size``-letter batch, stored and recorded (median of 3)."""
    engine = make_school(folder, size)
    try:
        template = engine.school.letters_dir / "options_evening.docx"
        runs = [run_batch(engine, template, f"whole{i}") for i in range(3)]
    finally:
        engine.close()
    made, seconds = sorted(runs, key=lambda r: r[1])[1]
    print(f"\nbatch of {made:,} letters (options_evening.docx), stored and recorded: "
          f"{seconds:.2f} s, {made / seconds:,.0f} letters/s (median of 3; target < 3 s); "
          f"all runs: {', '.join(f'{s:.2f} s' for _, s in runs)}")


if __name__ == "__main__":
    main()
