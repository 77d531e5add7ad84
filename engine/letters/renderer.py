"""Letters: Word templates (docxtpl syntax) rendered to .docx bytes, safely and fast.

The engine's only importer of docxtpl, python-docx and lxml (with its private helpers:
``engine.letters._docx_fast`` for the package, ``engine.letters._template_check`` for what a
template's Jinja reads). ``render`` writes nothing; the caller stores the bytes.

Safety (DESIGN.md, "Safety notes"): templates run in Jinja's immutable sandbox with
autoescape and strict undefined; every string of the context passes ``clean_text`` first;
every rendered XML part is parsed strictly; each value a template prints plainly must be
in the letter's text. Templates that reach for private attributes, turn escaping off or
build huge values are refused before they run (``check_template``).

Speed (DESIGN.md, "Speed notes"): a template is read, pre-processed and compiled once per
process, then rendered without python-docx. Templates and contexts using what that path
does not reproduce exactly (images, rich text, table column tags, templated footnotes,
irregular table grids) are rendered by plain docxtpl, in the same sandbox.
"""

from __future__ import annotations

import hashlib
import io
import marshal
import os
import pickle
import re
import sys
import traceback
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, time
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import Any
from zipfile import BadZipFile

import docx
import docxtpl
import jinja2
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from docxtpl import DocxTemplate, InlineImage
from jinja2 import StrictUndefined, TemplateError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import missing
from lxml import etree

from engine.core import text as text_helpers
from engine.core.suggest import did_you_mean
from engine.core.text import clean_text
from engine.errors import FieldError, LetterError
from engine.letters import _docx_fast
from engine.letters._template_check import WIDE_FORMAT, Usage, analyse

__all__ = ["DEFAULT_NAMES", "body_text", "check_template", "compiled_key", "docx_text",
           "export_compiled", "fingerprint", "import_compiled", "is_loaded", "printed_fields",
           "render", "template_fields", "template_line", "template_lists"]

# The top-level names of a letter's context, for check_template when it is not given them.
# engine.context.TOP_LEVEL is the authority (the service passes it); this is its copy.
DEFAULT_NAMES = frozenset({"school", "date", "reference", "recipient", "student", "case",
                           "fields", "signatory", "actor", "ban", "entries", "deadlines",
                          "titles"})
# Field validation applies each field's own max_length; this cap only stops a runaway value.
VALUE_MAX_LENGTH = 100_000
# No string or list this long may be made by '*' while a letter renders.
_MAX_REPEAT = 100_000
# Errors a template (or the data it is given) can cause while it runs; any other is a bug.
_TEMPLATE_ERRORS = (TemplateError, etree.XMLSyntaxError, TypeError, ValueError, LookupError,
                    ArithmeticError)
# docxtpl's escapes for a literal "{{", "}}", "{%" or "%}", undone in the whole output.
_BRACE_ESCAPE = re.compile(r"\{_[{%]|[}%]_\}")


class _Node(dict):  # type: ignore[type-arg]
    """A mapping of the cleaned context that knows its own path, for error messages."""

    __slots__ = ("_path",)

    def __init__(self, items: Iterable[tuple[str, Any]], path: str) -> None:
        super().__init__(items)
        self._path = path


class _Missing(StrictUndefined):
    """StrictUndefined whose message names the full path: "no value for 'student.form'"."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        if self._undefined_hint is None and isinstance(self._undefined_obj, _Node):
            return f"no value for '{self._undefined_obj._path}.{self._undefined_name}'"
        if self._undefined_hint is None and self._undefined_obj is missing:
            return f"no value for '{self._undefined_name}'"
        return str(super()._undefined_message)


class _LetterEnvironment(ImmutableSandboxedEnvironment):
    """The immutable sandbox, which also refuses '**' and huge '*' or '%' results.

    check_template flags such constants; this catches the ones built from variables
    (``{% set x = '-' * 9999 %}{{ x * 9999 }}``), using Jinja's operator intercepting.
    """

    intercepted_binops = frozenset({"*", "**", "%"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            raise SecurityError("'**' is not allowed in a letter")
        if operator == "*" and _repeat_size(left, right) > _MAX_REPEAT:
            raise SecurityError(f"'*' would make something longer than {_MAX_REPEAT}")
        if operator == "%" and isinstance(left, str) and WIDE_FORMAT.search(left):
            raise SecurityError("a format width this large could exhaust memory")
        return super().call_binop(context, operator, left, right)


def _repeat_size(left: Any, right: Any) -> int:
    for seq, count in ((left, right), (right, left)):
        if isinstance(seq, (str, list, tuple)) and isinstance(count, int):
            return len(seq) * count
    return 0


_ENV = _LetterEnvironment(autoescape=True, undefined=_Missing)
# The template helpers (filters) a letter may use; they live in the pure text layer
# (engine/core/text.py) and are tested there. Dates, times, money and percentages are
# formatted by field type before rendering (engine/core/fields.py), not by a filter.
FILTERS = {"sentence": text_helpers.sentence}
_ENV.filters.update(FILTERS)


@dataclass
class _Template:
    """A template file as read, analysed and compiled once per process."""

    name: str
    data: bytes
    package: _docx_fast.Package
    usage: dict[str, Usage]  # by part label
    problems: list[str]  # everything wrong but names outside the context
    sha256: str = ""  # of ``data``, worked out when first asked for
    codes: list[Any] = field(default_factory=list)  # each piece's compiled Jinja code


_CACHE: dict[str, tuple[tuple[int, int, int, int], _Template]] = {}


def render(template: Path, context: Mapping[str, Any]) -> bytes:
    """Render ``template`` with ``context`` and return the .docx bytes (writes nothing).

    Raises LetterError if the template is unsafe or broken, a value is undefined or the
    output is not well-formed; FieldError if a string of the context holds characters a
    letter may not (the message names its path, e.g. ``student.first_name``).
    """
    tpl = _load(template)
    if tpl.problems:
        raise LetterError("\n".join(tpl.problems))
    rich: list[str] = []
    ctx = _clean(context, "", rich, tpl.name)
    if tpl.package.fallback or rich:
        data = _render_plain(tpl, ctx)
        text = docx_text(data)
    else:
        data, roots = _render_fast(tpl, ctx)
        text = "\n".join(_docx_fast.paragraph_text(root) for root in roots)
    _check_printed(tpl, ctx, text)
    return data


def fingerprint(template: Path) -> str:
    """The SHA-256 of the template's bytes as rendered (a reprint says if it has changed)."""
    tpl = _load(template)
    if not tpl.sha256:
        tpl.sha256 = hashlib.sha256(tpl.data).hexdigest()
    return tpl.sha256


def template_fields(template: Path) -> set[str]:
    """Every dotted context path the template reads, e.g. ``{"student.first_name"}``.

    Covers the body, headers, footers and templated core properties. Loop variables are
    not context paths: ``{%p for line in recipient.address_lines %}{{ line }}`` yields
    ``recipient.address_lines`` only.
    """
    usage = _load(template).usage.values()
    return {path.split("[]")[0] for u in usage for path in u.paths}


def template_lists(template: Path) -> set[str]:
    """The dotted context paths the template reads as lists (loops, ``join``...), e.g.
    ``{"recipient.address_lines"}``: a subset of template_fields."""
    usage = _load(template).usage.values()
    return {path.split("[]")[0] for u in usage for path in u.paths if "[]" in path}


def printed_fields(template: Path) -> set[str]:
    """The dotted context paths the template always prints plainly (``{{ a.b }}`` outside
    any condition or loop): a blank one leaves a gap in the letter."""
    return {path for u in _load(template).usage.values() for path in u.printed}


def check_template(template: Path,
                   allowed_names: Iterable[str] | Mapping[str, Any] | None = None) -> list[str]:
    """Every problem of ``template``, one line each, naming the file and the part.

    Syntax errors, private attributes (``__init__``: sandbox escapes), names outside
    ``allowed_names`` (default DEFAULT_NAMES), turning escaping off, including other
    templates, and constant expressions that could exhaust memory (``'a' * 10**9``).
    """
    tpl = _load(template)
    allowed = set(DEFAULT_NAMES if allowed_names is None else allowed_names) | {"range"}
    schema = allowed_names if isinstance(allowed_names, Mapping) else {}
    problems = list(tpl.problems)
    for label, usage in tpl.usage.items():
        for name, line in sorted(usage.names.items(), key=lambda item: item[1]):
            if name not in allowed:
                known = ", ".join(sorted(allowed - {"range"}))
                problems.append(_problem(tpl, label, line, f"unknown name '{name}'"
                                         f"{did_you_mean(name, allowed - {'range'})} "
                                         f"(known names: {known})"))
        problems += [_problem(tpl, label, line, text)
                     for line, text in _unknown_keys(usage, schema)]
    return problems


def _unknown_keys(usage: Usage, schema: Mapping[str, Any]) -> list[tuple[int, str]]:
    """``student.firstname`` where ``student`` has no ``firstname``: each once, by line."""
    out: dict[str, tuple[int, str]] = {}
    for path in usage.paths:
        top, _, rest = path.replace("[]", "").partition(".")
        keys = schema.get(top)
        key = rest.partition(".")[0]
        if keys is None or not key or key in keys or f"{top}.{key}" in out:
            continue
        line = min((n for p, n in usage.lines.items() if p.replace("[]", "")
                    .startswith(f"{top}.{key}")), default=0)
        out[f"{top}.{key}"] = (line, f"unknown name '{top}.{key}'"
                               f"{did_you_mean(key, keys)}"
                               f" ({top} has: {', '.join(sorted(keys))}; docs/letters.md)")
    return sorted(out.values())


def body_text(data: bytes) -> str:
    """The paragraph text of a .docx's body alone (tables included), one paragraph a line:
    what a letter says, without its letterhead."""
    document = docx.Document(BytesIO(data))
    return "\n".join(Paragraph(p, document).text for p in document.element.body.iter(qn("w:p")))


def template_line(template: Path, says: str) -> tuple[int, str] | None:
    """Where in the template's body ``says`` is written (case and spacing aside): the line
    of docxtpl's source (a paragraph each) and that paragraph's text, tags included, so
    it can be found in Word; None when the words come from a value, not the template."""
    body = next((p for p in _load(template).package.pieces() if p.label == "body"), None)
    wanted = " ".join(says.split()).casefold()
    for number, line in enumerate(body.source.splitlines() if body else [], 1):
        text = " ".join(re.sub(r"<[^>]+>", "", line).split())
        if wanted in text.casefold():
            return number, text
    return None


def docx_text(data: bytes) -> str:
    """All paragraph text of a .docx: the body (tables included), headers, footers."""
    document = docx.Document(BytesIO(data))
    lines = [Paragraph(p, document).text for p in document.element.body.iter(qn("w:p"))]
    for rel in document.part.rels.values():
        if rel.reltype in (RT.HEADER, RT.FOOTER):
            part = rel.target_part
            lines += [Paragraph(p, part).text for p in part.element.iter(qn("w:p"))]
    return "\n".join(lines)


# --- loading, compiling and caching -----------------------------------------------------


def _load(template: Path) -> _Template:
    # An absolute path is string work; resolving one costs a system call per part, which
    # was ~9 % of a fast render. The stat follows links: a file replaced, edited or linked
    # anew has another (device, inode, mtime, size), and is read and compiled again.
    key = os.path.abspath(template)
    try:
        cached = _CACHE.get(key)
        if cached and cached[0] == _version(os.stat(key)):
            return cached[1]
        with open(key, "rb") as fh:
            version = _version(os.fstat(fh.fileno()))  # of the bytes read
            data = fh.read()
    except OSError as exc:
        raise LetterError(f"{template}: cannot read the letter template: {exc.strerror}") from exc
    tpl = _compile(str(template), data)
    _CACHE[key] = (version, tpl)
    return tpl


def _version(stat: os.stat_result) -> tuple[int, int, int, int]:
    return (stat.st_dev, stat.st_ino, stat.st_mtime_ns, stat.st_size)


def _compile(name: str, data: bytes) -> _Template:
    try:
        package = _docx_fast.load(data)
    except (BadZipFile, KeyError, etree.XMLSyntaxError) as exc:
        raise LetterError(f"{name}: not a readable .docx file: {exc}") from exc
    tpl = _Template(name, data, package, {}, [])
    for piece in package.pieces():
        tpl.usage[piece.label] = analyse(_ENV, piece.source)
        tpl.problems += [_problem(tpl, piece.label, line, text)
                         for line, text in tpl.usage[piece.label].problems]
    for piece in package.pieces() if not tpl.problems else ():
        try:  # compiling finds what parsing does not, e.g. an unknown filter
            code = _ENV.compile(piece.source)
        except TemplateError as exc:
            tpl.problems.append(_problem(tpl, piece.label, getattr(exc, "lineno", None),
                                         str(exc)))
            continue
        tpl.codes.append(code)
        piece.template = _from_code(code)  # what _ENV.from_string does, keeping the code
    return tpl


def _from_code(code: Any) -> jinja2.Template:
    return _ENV.template_class.from_code(_ENV, code, _ENV.make_globals(None), None)


# --- the compiled form kept between processes ---------------------------------------------
# A CLI command is a fresh process: compiling a template (unzip, docxtpl's pre-processing,
# the analysis, Jinja's compile) was most of its first letter. The service keeps what
# _compile made on disk (engine/service/compiled.py) and hands it back here; this module
# only turns it into bytes and back, and writes nothing.

_MODULES = ("renderer.py", "_docx_fast.py", "_template_check.py")
_FORMAT: list[str] = []  # worked out once: what a compiled form depends on


def _format() -> str:
    """Python (marshal's format), Jinja, docxtpl and this package's own source: a change
    to any of them makes every compiled form stale. The source is told by each file's
    size and modification time, as Python's own bytecode cache tells a changed module
    (reading and hashing the three files was a fifth of a process's first letter)."""
    if not _FORMAT:
        here = Path(__file__).parent
        seen = [(m, os.stat(here / m)) for m in _MODULES]
        source = hashlib.sha256(";".join(f"{m}:{st.st_size}:{st.st_mtime_ns}"
                                         for m, st in seen).encode())
        _FORMAT.append(f"liaison-letters/1 python {sys.version_info[:3]} jinja2 "
                       f"{jinja2.__version__} docxtpl {docxtpl.__version__} "
                       f"engine {source.hexdigest()[:16]}")
    return _FORMAT[0]


def compiled_key(template: Path) -> str:
    """The name of the template's compiled form: SHA-256 over its bytes and ``_format``.
    An edited template, or another engine, has another key."""
    try:
        data = Path(template).read_bytes()
    except OSError as exc:
        raise LetterError(f"{template}: cannot read the letter template: {exc.strerror}") from exc
    return hashlib.sha256(_format().encode() + b"\0" + data).hexdigest()


def is_loaded(template: Path) -> bool:
    """Whether this process holds the template compiled, as the file now is."""
    key = os.path.abspath(template)
    cached = _CACHE.get(key)
    try:
        return bool(cached) and cached[0] == _version(os.stat(key))  # type: ignore[index]
    except OSError:
        return False


def export_compiled(template: Path) -> bytes:
    """The template compiled (``_load``), as bytes to keep: LetterError if it is broken
    (a broken one is not kept: every process reports it afresh)."""
    tpl = _load(template)
    if tpl.problems:
        raise LetterError("\n".join(tpl.problems))
    kept = {"format": _format(), "sha256": hashlib.sha256(tpl.data).hexdigest(),
            "template": replace(tpl, data=b"", codes=[]),  # pieces pickle without Jinja's
            "codes": [marshal.dumps(code) for code in tpl.codes]}
    return pickle.dumps(kept, protocol=pickle.HIGHEST_PROTOCOL)


def import_compiled(template: Path, kept: bytes) -> bool:
    """Take the template's compiled form from ``kept`` (made by ``export_compiled``) if
    it was made from the file as it is now by this engine; False, and nothing changed,
    if not (another template or engine, or bytes that are not one: a corrupt entry)."""
    key = os.path.abspath(template)
    try:
        with open(key, "rb") as fh:
            version = _version(os.fstat(fh.fileno()))
            data = fh.read()
        made = _Unpickler(io.BytesIO(kept)).load()
        if made["format"] != _format() or made["sha256"] != hashlib.sha256(data).hexdigest():
            return False
        tpl = made["template"]
        pieces = tpl.package.pieces()
        codes = [marshal.loads(code) for code in made["codes"]]
        if not isinstance(tpl, _Template) or len(codes) != len(pieces):
            return False
        for piece, code in zip(pieces, codes, strict=True):
            piece.template = _from_code(code)
        tpl.data, tpl.codes = data, codes
    except Exception:  # noqa: BLE001 - a kept form is only ever a shortcut: rebuild it
        return False
    _CACHE[key] = (version, tpl)
    return True


class _Unpickler(pickle.Unpickler):
    """Only the plain types a compiled form holds: nothing else is ever made from it."""

    ALLOWED = {("engine.letters.renderer", "_Template"),
               ("engine.letters._docx_fast", "Package"), ("engine.letters._docx_fast", "Part"),
               ("engine.letters._docx_fast", "Property"),
               ("engine.letters._template_check", "Usage"), ("zipfile", "ZipInfo"),
               ("builtins", "set"), ("builtins", "frozenset")}

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not part of a compiled letter")
        return super().find_class(module, name)


def _problem(tpl: _Template, label: str, line: int | None, text: str) -> str:
    """One line: file, part, what is wrong, and the paragraph to look at in Word."""
    source = next((p.source for p in tpl.package.pieces() if p.label == label), "")
    lines = source.splitlines()  # docxtpl's pre-processing puts each paragraph on a line
    near = lines[line - 1] if line and line <= len(lines) else ""
    near = " ".join(re.sub(r"<[^>]+>", "", near).split())
    if len(near) > 80:
        near = near[:77] + "..."
    return f"{tpl.name}: {label}: {text}" + (f' (in "{near}")' if near else "")


# --- the context ------------------------------------------------------------------------

_SCALARS = (bool, int, float, Decimal, date, time, type(None))


def _clean(value: Any, path: str, rich: list[str], name: str) -> Any:
    """A copy of ``value`` with every string through clean_text; docxtpl objects noted."""
    where = path or "the context"
    if isinstance(value, str):
        # str() drops a Markup subclass, whose text autoescape would print unescaped.
        text = clean_text(str(value), f"letter value '{where}'", VALUE_MAX_LENGTH)
        escape = _BRACE_ESCAPE.search(text)
        if escape:  # docxtpl turns "{_%" into "{%" after rendering, values included
            raise FieldError(f"letter value '{where}': '{escape.group()}' at position "
                             f"{escape.start() + 1} is not allowed (templates use it to print "
                             "a brace)")
        return text
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, Mapping):
        return _Node(((str(k), _clean(v, f"{path}.{k}" if path else str(k), rich, name))
                      for k, v in value.items()), path)
    if isinstance(value, (list, tuple)):
        return [_clean(v, f"{path}[{i}]", rich, name) for i, v in enumerate(value)]
    # RichText, Listing, InlineImage: markup (__html__) that only docxtpl itself renders.
    kind = type(value)
    if hasattr(value, "__html__") and kind.__module__.startswith("docxtpl."):
        if kind.__name__ == "Subdoc":
            raise LetterError(f"{name}: '{where}' is a Subdoc, which is not supported: it "
                              "belongs to the DocxTemplate that made it, not to this letter")
        if isinstance(getattr(value, "xml", None), str):  # RichText, Listing: text as XML
            clean_text(value.xml, f"letter value '{where}'", VALUE_MAX_LENGTH)
        rich.append(path)
        return value
    raise LetterError(f"{name}: the value of '{where}' is a {kind.__name__}; a letter takes "
                      "text, numbers, dates, lists and mappings")


def _lookup(context: Mapping[str, Any], path: str) -> Any:
    value: Any = context
    for key in path.split("."):
        if not isinstance(value, Mapping) or key not in value:
            return None
        value = value[key]
    return value


def _bind_images(value: Any, doc: DocxTemplate) -> Any:
    """The context with each InlineImage made anew for ``doc``.

    An InlineImage adds its picture to the package of the DocxTemplate it was made with,
    which the caller of render() never sees; the one it was given does not matter.
    """
    if isinstance(value, _Node):
        return _Node(((k, _bind_images(v, doc)) for k, v in value.items()), value._path)
    if isinstance(value, list):
        return [_bind_images(v, doc) for v in value]
    if isinstance(value, InlineImage):
        return InlineImage(doc, value.image_descriptor, value.width, value.height, value.anchor)
    return value


# --- rendering and checking the result --------------------------------------------------


def _render_fast(tpl: _Template, ctx: Mapping[str, Any]) -> tuple[bytes, list[Any]]:
    members, roots = [], []
    for part in tpl.package.parts:
        try:
            data, root = _docx_fast.render_part(part, ctx)
        except _TEMPLATE_ERRORS as exc:
            raise _letter_error(tpl, part.label, exc) from exc
        members.append((part.name, data))
        roots.append(root)
    texts = {}
    for prop in tpl.package.properties:
        assert prop.template is not None, "compiled in _compile"
        try:
            texts[prop.element] = _docx_fast.property_text(prop.template.render(ctx))
        except _TEMPLATE_ERRORS as exc:
            raise _letter_error(tpl, prop.label, exc) from exc
    if texts:
        members.append(_docx_fast.properties_member(tpl.package, texts))
    return _docx_fast.write(tpl.package, members), roots


def _render_plain(tpl: _Template, ctx: Mapping[str, Any]) -> bytes:
    doc = _docx_fast.PlainTemplate(BytesIO(tpl.data))
    try:
        doc.render(_bind_images(ctx, doc), jinja_env=_ENV)
        return doc.to_bytes()
    except _TEMPLATE_ERRORS as exc:
        raise _letter_error(tpl, doc.part_label(), exc) from exc


def _letter_error(tpl: _Template, label: str, exc: Exception) -> LetterError:
    if isinstance(exc, etree.XMLSyntaxError):
        return LetterError(f"{tpl.name}: {label}: the letter is not well-formed XML ({exc}); "
                           "is a tag inside a field code or a drawing?")
    line = getattr(exc, "lineno", None)
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == "<template>"]
    if frames:
        line = frames[-1].lineno
    return LetterError(_problem(tpl, label, line, getattr(exc, "message", None) or str(exc)))


def _check_printed(tpl: _Template, ctx: Mapping[str, Any], text: str) -> None:
    """Every value printed plainly must be in the letter's text (else it vanished)."""
    letter = " ".join(text.split())
    for part in tpl.package.parts:  # the body, headers and footers: what text holds
        for path in sorted(tpl.usage[part.label].printed):
            value = _lookup(ctx, path)
            if isinstance(value, str) and value.strip() and " ".join(value.split()) not in letter \
                    and text_helpers.sentence(value) not in letter:  # printed |sentence
                raise LetterError(
                    f"{tpl.name}: {part.label}: the value of '{path}' is not in the rendered "
                    "letter; put its tag in ordinary paragraph text ({{ }}, not {{r }} or {{p }})")
