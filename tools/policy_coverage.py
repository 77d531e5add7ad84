"""Write docs/policy-coverage.md: the policies, the processes and the proof in one place.

    python tools/policy_coverage.py           # rewrite the document
    python tools/policy_coverage.py --check   # exit 1 if it is out of date

For every clause of the register (docs/CLAUSES.md, a copy of ../shared/policies/CLAUSES.md)
the document gives one row: what the policy says, what encodes it, and the tests that prove
it; a clause nothing encodes says why (``LEFT_OUT``). Then each workflow's state diagram,
drawn as Mermaid from the same definition the engine runs.

Nothing in the rows is written by hand, so the document cannot claim more than is there:
- "encoded in" is read from the running definitions (a workflow's ``clauses``, each event's
  ``clauses``, each deadline's ``clause``) and from the engine's docstrings that cite a
  clause (``Liaison.mark_child_protection``: "PWP-4.3: mark a case ...");
- "proved by" is every test whose name or docstring cites the clause
  (``test_pwp_5_3_weekend_email_...``, or "HSP-2..7" in a docstring).
tests/test_policy_coverage.py fails when a clause has no row, when a clause is neither
encoded and proved nor left out with a reason, or when this document is out of date.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.core import machine  # noqa: E402  (after the path is set, as in make_letters.py)
from engine.core.definitions import Workflow  # noqa: E402
from engine.service.sources import open_school  # noqa: E402

REGISTER = ROOT / "docs" / "CLAUSES.md"
OUTPUT = ROOT / "docs" / "policy-coverage.md"
FAMILIES = ("BEM", "CLA", "HSP", "PWP", "NSW", "EXC", "SAR")


def clause_re(families: Iterable[str]) -> re.Pattern[str]:
    """BEM-3, PWP-5.4a, and ranges: HSP-2..7, PWP-5.1..5.4 (or PWP-5.1..4), of these
    families (the register's, and a school's own such as CMP)."""
    return re.compile(rf"\b({'|'.join(sorted(families))})-(\d+)(?:\.(\d+))?([a-z])?"
                      r"(?:\.\.(?:\d+\.)?(\d+))?")


def _families(known: Iterable[str]) -> set[str]:
    return {*FAMILIES, *(k.split("-")[0] for k in known)}
SHOWN_TESTS = 4  # proofs listed per clause; the rest are counted

# Clauses no workflow or engine feature encodes, and why. A clause listed here that is
# encoded after all is shown as encoded: the reason is then moot.
LEFT_OUT = {
    "PWP-5.7": "A rule for staff conduct on social networking sites. Liaison sends letters "
               "and records contacts; it has no social-media channel that could break the "
               "rule, and no way to see one used outside it.",
}


@dataclass(frozen=True)
class Clause:
    id: str
    text: str
    family: str


@dataclass
class Coverage:
    clauses: list[Clause]
    encoded: dict[str, list[str]] = field(default_factory=dict)
    proved: dict[str, list[str]] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)  # cited somewhere, not in the register

    def gaps(self) -> list[str]:
        """Clauses neither encoded-and-proved nor left out with a reason."""
        out = []
        for c in self.clauses:
            if self.encoded.get(c.id) and not self.proved.get(c.id):
                out.append(f"{c.id}: encoded but no test cites it")
            elif not self.encoded.get(c.id) and c.id not in LEFT_OUT:
                out.append(f"{c.id}: not encoded, and LEFT_OUT gives no reason")
        return out


# --------------------------------------------------------------------------- reading


def read_register(text: str) -> list[Clause]:
    """Every ``- ID text`` line of the register, in its order."""
    out = []
    for line in text.splitlines():
        match = re.match(r"^- ((?:BEM|CLA|HSP|PWP|NSW|EXC|SAR)-[0-9][0-9a-z.]*) (.+)$",
                         line.strip())
        if match:
            out.append(Clause(match[1], match[2], match[1].split("-")[0]))
    return out


def cited(text: str, known: Iterable[str]) -> list[str]:
    """Clause IDs written out in ``text``; ``HSP-2..7`` means HSP-2 to HSP-7."""
    known = set(known)
    out: list[str] = []
    for m in clause_re(_families(known)).finditer(text):
        family, major, minor, letter, last = m.groups()
        if last and minor is None:
            ids = [f"{family}-{n}" for n in range(int(major), int(last) + 1)]
        elif last:
            ids = [f"{family}-{major}.{n}" for n in range(int(minor), int(last) + 1)]
        else:
            ids = [f"{family}-{major}" + (f".{minor}" if minor else "") + (letter or "")]
        out += [i for i in ids if i not in out]
    return [i for i in out if i in known] + [i for i in out if i not in known]


def named(test_name: str, known: Iterable[str]) -> list[str]:
    """Clause IDs in a test's name: ``test_pwp_5_2_5_3_x`` cites PWP-5.2 and PWP-5.3,
    ``test_bem_3_4_x`` BEM-3 and BEM-4, ``test_pwp_5_4a_x`` PWP-5.4a."""
    known = set(known)
    families = _families(known)
    out: list[str] = []
    tokens = test_name.split("_")
    i = 0
    while i < len(tokens):
        family = tokens[i].upper()
        i += 1
        if family not in families:
            continue
        while i < len(tokens) and re.fullmatch(r"\d+[a-z]?", tokens[i]):
            pair = f"{family}-{tokens[i]}.{tokens[i + 1]}" if i + 1 < len(tokens) else ""
            if pair in known:
                out.append(pair)
                i += 2
            elif f"{family}-{tokens[i]}" in known:
                out.append(f"{family}-{tokens[i]}")
                i += 1
            else:
                break
    return out


def workflow_encodings(workflows: Iterable[Workflow]) -> dict[str, list[str]]:
    """clause -> where each workflow encodes it: the workflow, its events, its deadlines."""
    out: dict[str, list[str]] = {}
    for w in sorted(workflows, key=lambda w: w.name):
        where: dict[str, list[str]] = {c: [] for c in w.clauses}
        for event in (w.opening, *w.events.values()):
            for clause in event.clauses:
                where.setdefault(clause, []).append(f"event {event.name}")
        deadlines = [d for s in w.states.values() for d in s.deadlines]
        deadlines += [d for e in (w.opening, *w.events.values()) for d in e.deadlines]
        for d in deadlines:
            if d.clause and f"deadline {d.name}" not in where.setdefault(d.clause, []):
                where[d.clause].append(f"deadline {d.name}")
        for clause, parts in where.items():
            detail = f" ({', '.join(parts)})" if parts else ""
            out.setdefault(clause, []).append(f"`workflows/{w.path.name}`{detail}")
    return out


def _qualified(tree: ast.Module) -> Iterator[tuple[str, str]]:
    """(qualified name, docstring) of the module and of every class and function in it,
    without indented literal blocks (a schema example is not an encoding)."""
    def walk(node: ast.AST, prefix: str) -> Iterator[tuple[str, str]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                yield name, ast.get_docstring(child) or ""
                yield from walk(child, f"{name}.")
    yield "", ast.get_docstring(tree) or ""
    yield from walk(tree, "")


def engine_encodings(engine_dir: Path, known: Iterable[str]) -> dict[str, list[str]]:
    """clause -> the engine's modules, classes and functions whose docstrings cite it (the
    CLI is a front end and is left out: the engine is where a rule is kept)."""
    out: dict[str, list[str]] = {}
    for path in sorted(engine_dir.rglob("*.py")):
        rel = path.relative_to(engine_dir).as_posix()
        if rel.startswith("cli/"):
            continue
        for name, doc in _qualified(ast.parse(path.read_text(encoding="utf-8"))):
            text = "\n".join(line for line in doc.splitlines() if not line.startswith("    "))
            label = f"`engine/{rel}`" + (f" `{name}`" if name else "")
            for clause in cited(text, known):
                out.setdefault(clause, []).append(label)
    return out


def test_citations(tests_dir: Path, known: Iterable[str]) -> dict[str, list[str]]:
    """clause -> every test (``tests/test_x.py::test_name``) whose name or docstring
    cites it."""
    out: dict[str, list[str]] = {}
    for path in sorted(tests_dir.glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                ids = named(node.name, known) + cited(ast.get_docstring(node) or "", known)
                for clause in dict.fromkeys(ids):
                    out.setdefault(clause, []).append(f"{path.name}::{node.name}")
    return out


def coverage(root: Path = ROOT) -> tuple[Coverage, dict[str, Workflow]]:
    clauses = read_register((root / "docs" / "CLAUSES.md").read_text(encoding="utf-8"))
    school = open_school(root)
    # A school's own clauses, listed in school.yaml (the complaints procedure's CMP-1..7),
    # get rows after the register's.
    clauses += [Clause(i, text, i.split("-")[0]) for i, text in school.clause_texts.items()
                if i not in {c.id for c in clauses}]
    known = [c.id for c in clauses]
    workflows = school.workflows
    result = Coverage(clauses)
    for source in (workflow_encodings(workflows.values()),
                   engine_encodings(root / "engine", known)):
        for clause, places in source.items():
            result.encoded.setdefault(clause, []).extend(places)
    result.proved = test_citations(root / "tests", known)
    # A school's own policies (school.yaml's clauses:, e.g. the complaints procedure's
    # CMP) are not the shared register's: only its families can be cited wrongly here.
    result.unknown = sorted(c for c in set(result.encoded) - set(known)
                            if c.split("-")[0] in FAMILIES)
    return result, workflows


# --------------------------------------------------------------------------- writing


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _proofs(tests: list[str]) -> str:
    shown = [f"`{t}`" for t in tests[:SHOWN_TESTS]]
    more = len(tests) - SHOWN_TESTS
    return "<br>".join(shown + ([f"and {more} more"] if more > 0 else []))


def _row(c: Clause, cov: Coverage) -> str:
    encoded = cov.encoded.get(c.id, [])
    proved = cov.proved.get(c.id, [])
    if encoded:
        where = "<br>".join(encoded)
        proof = _proofs(proved) if proved else "**no test cites it**"
    elif c.id in LEFT_OUT:
        where, proof = f"Left out: {LEFT_OUT[c.id]}", "-"
    else:
        where, proof = "**NOT ENCODED**", _proofs(proved) if proved else "-"
    return f"| {c.id} | {_cell(c.text)} | {_cell(where)} | {proof} |"


def _summary(cov: Coverage) -> str:
    both = sum(1 for c in cov.clauses if cov.encoded.get(c.id) and cov.proved.get(c.id))
    left = sum(1 for c in cov.clauses if not cov.encoded.get(c.id) and c.id in LEFT_OUT)
    gaps = cov.gaps()
    line = (f"{len(cov.clauses)} clauses: {both} encoded and proved by a test, {left} left "
            f"out with the reason given")
    return line + (f"; {len(gaps)} not yet covered: " + "; ".join(gaps) if gaps else ".")


def _diagram(w: Workflow) -> list[str]:
    clauses = ", ".join(w.clauses) or "none"
    restricted = ("  \nVisible only to: " + ", ".join(sorted(w.visible_roles))
                  + (" and the member of staff who opened the case" if w.visible_to_opener
                     else "")) if w.restricted else ""
    return [
        f"### {w.title} (`{w.name}`)", "",
        f"Policy: {w.policy or '-'}; review by {w.review_by or '-'}; clauses: {clauses}."
        f"{restricted}", "",
        "```mermaid", machine.diagram(w).rstrip("\n"), "```", "",
    ]


def render(cov: Coverage, workflows: dict[str, Workflow]) -> str:
    lines = [
        "# Policy coverage", "",
        "Generated by `python tools/policy_coverage.py` from the clause register "
        "(`docs/CLAUSES.md`) and the school's own clauses (school.yaml's `clauses:`), "
        "the workflows in `workflows/`, the engine's docstrings and "
        "the tests' names and docstrings. Do not edit it by hand: "
        "`tests/test_policy_coverage.py` fails when it is out of date.", "",
        _summary(cov), "",
        "## Clause by clause", "",
        "| Clause | The policy says | Encoded in | Proved by (tests/) |",
        "|---|---|---|---|",
        *[_row(c, cov) for c in cov.clauses], "",
    ]
    if cov.unknown:
        lines += ["Cited but not in the register: " + ", ".join(cov.unknown) + ".", ""]
    lines += ["## The workflows", "",
              "Each diagram is drawn from the definition the engine runs "
              "(`liaison diagram NAME`): states, and each event as an arrow "
              "(`[internal]`: the case stays where it is).", ""]
    for name in sorted(workflows):
        lines += _diagram(workflows[name])
    return "\n".join(lines).rstrip("\n") + "\n"


def generate(root: Path = ROOT) -> str:
    cov, workflows = coverage(root)
    return render(cov, workflows)


def main(argv: list[str]) -> int:
    text = generate()
    if "--check" in argv:
        if OUTPUT.read_text(encoding="utf-8") != text:
            sys.stderr.write(f"{OUTPUT.relative_to(ROOT)} is out of date: run "
                             "python tools/policy_coverage.py\n")
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(OUTPUT.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
