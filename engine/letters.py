"""Letters: Word templates (docxtpl syntax) rendered to .docx bytes, safely and fast.

The only module of the engine that imports docxtpl, python-docx and lxml (with its
private helper ``engine._docx_fast``). ``render`` writes nothing; the caller stores the
bytes.

Safety (see DESIGN.md, "Safety notes"): templates run in Jinja's immutable sandbox with
autoescape and strict undefined; every string of the context passes ``clean_text`` first;
every rendered XML part is parsed strictly; and each value a template prints plainly must
be found in the letter's text. Templates that reach for private attributes or build huge
values are refused before they run (``check_template``).

Speed (DESIGN.md, "Speed notes"): each template is read, pre-processed and compiled once
per process and then rendered without python-docx. Templates or contexts using docxtpl
features that path does not reproduce exactly (images, sub-documents, rich text, table
column tags, templated footnotes) are rendered by plain docxtpl, in the same sandbox.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import traceback
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import Any

import docx
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from docxtpl import DocxTemplate, InlineImage
from jinja2 import StrictUndefined, TemplateError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import missing
from lxml import etree
from markupsafe import Markup

from engine import _docx_fast
from engine.errors import LetterError, ToolMissing
from engine.text import clean_text

__all__ = ["check_template", "docx_text", "render", "template_fields", "to_pdf"]

# Top-level names a template may read when check_template is not told the context's names
# (the keys engine.context documents for a letter's context).
DEFAULT_NAMES = frozenset(
    {"school", "date", "reference", "recipient", "student", "case", "fields", "signatory",
     "actor", "ban"}
)
# Filters that iterate their value: a path given to one is a list ("[]" in _Usage.paths).
_LIST_FILTERS = frozenset({"join", "first", "last", "sort", "unique", "map", "select", "reject",
                           "selectattr", "rejectattr", "list", "sum", "min", "max", "batch",
                           "slice", "groupby"})
# Field validation applies each field's own max_length; this cap only stops a runaway value.
VALUE_MAX_LENGTH = 100_000
# A constant this large (a repeat count, a range, a width) is not needed in a letter.
_LARGE = 10_000
_PDF_TIMEOUT = 600


class _Node(dict):  # type: ignore[type-arg]
    """A mapping of the cleaned context that knows its own path, for error messages."""

    __slots__ = ("_path",)

    def __init__(self, items: Iterable[tuple[str, Any]], path: str) -> None:
        super().__init__(items)
        self._path = path


class _Missing(StrictUndefined):
    """StrictUndefined, whose message names the full path (``student.first_name``)."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        if self._undefined_hint is None and isinstance(self._undefined_obj, _Node):
            return f"no value for '{self._undefined_obj._path}.{self._undefined_name}'"
        if self._undefined_hint is None and self._undefined_obj is missing:
            return f"no value for '{self._undefined_name}'"
        return str(super()._undefined_message)


_ENV = ImmutableSandboxedEnvironment(autoescape=True, undefined=_Missing)


@dataclass
class _Usage:
    """What one templated piece reads, and what is wrong with it."""

    paths: set[str] = field(default_factory=set)  # "[]" marks the items of a list
    printed: set[str] = field(default_factory=set)  # bare {{ a.b }} outputs that always run
    names: dict[str, int] = field(default_factory=dict)  # top-level name -> first line
    problems: list[tuple[int | None, str]] = field(default_factory=list)


@dataclass
class _Template:
    """A template file as read, analysed and compiled once per process."""

    name: str
    data: bytes
    package: _docx_fast.Package
    usage: dict[str, _Usage]  # by part label
    problems: list[str]  # everything wrong except names outside the context


_CACHE: dict[Path, tuple[tuple[int, int], _Template]] = {}


def render(template: Path, context: Mapping[str, Any]) -> bytes:
    """Render ``template`` with ``context`` and return the .docx bytes (writes nothing).

    Raises LetterError if the template is unsafe or broken, a value is undefined, or the
    output is not well-formed; FieldError if a string of the context holds characters a
    letter may not (the message names its path, e.g. ``student.first_name``).
    """
    tpl = _load(template)
    if tpl.problems:
        raise LetterError("\n".join(tpl.problems))
    rich: list[str] = []
    ctx = _clean(context, "", rich, tpl.name)
    if tpl.package.fallback or rich:
        data = _render_docxtpl(tpl, ctx)
        text = docx_text(data)
    else:
        data, roots = _render_fast(tpl, ctx)
        text = "\n".join(_docx_fast.paragraph_text(root) for root in roots)
    _check_printed(tpl, ctx, text)
    return data


def template_fields(template: Path) -> set[str]:
    """Every dotted context path the template reads, e.g. ``{"student.first_name"}``.

    Covers the body, headers, footers and templated core properties. Loop variables are
    not context paths: ``{%p for line in recipient.address_lines %}`` yields only
    ``recipient.address_lines``.
    """
    usage = _load(template).usage.values()
    return {path.split("[]")[0] for u in usage for path in u.paths}


def check_template(template: Path, allowed_names: Iterable[str] | None = None) -> list[str]:
    """Every problem of ``template``, one line each, naming the file and the part.

    Syntax errors, private attributes (``__init__``: sandbox escapes), names outside
    ``allowed_names`` (default: DEFAULT_NAMES), turning escaping off, and constant
    expressions that could exhaust memory (``'a' * 10**9``, ``range(10**9)``).
    """
    tpl = _load(template)
    allowed = set(DEFAULT_NAMES if allowed_names is None else allowed_names)
    problems = list(tpl.problems)
    for label, usage in tpl.usage.items():
        source = _source(tpl, label)
        for name, line in sorted(usage.names.items(), key=lambda item: item[1]):
            if name not in allowed and name != "range":
                known = ", ".join(sorted(allowed))
                problems.append(_problem(tpl.name, label, source, line,
                                         f"unknown name '{name}' (known names: {known})"))
    return problems


def docx_text(data: bytes) -> str:
    """All paragraph text of a .docx (body with tables, then headers and footers)."""
    document = docx.Document(BytesIO(data))
    lines = [Paragraph(p, document).text for p in document.element.body.iter(qn("w:p"))]
    for rel in document.part.rels.values():
        if rel.reltype in (RT.HEADER, RT.FOOTER):
            part = rel.target_part
            lines += [Paragraph(p, part).text for p in part.element.iter(qn("w:p"))]
    return "\n".join(lines)


def to_pdf(docx_paths: list[Path], outdir: Path) -> list[Path]:
    """Convert the letters to PDF in ``outdir`` with one LibreOffice run; return the PDFs."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise ToolMissing("LibreOffice is not installed: apt-get install libreoffice-writer-nogui")
    if not docx_paths:
        return []
    outdir.mkdir(parents=True, exist_ok=True)
    # One start of soffice costs ~1 s; a letter ~0.1 s: convert the whole batch at once.
    command = [soffice, "--headless", "--convert-to", "pdf", "--outdir", str(outdir)]
    done = subprocess.run([*command, *map(str, docx_paths)], capture_output=True, text=True,
                          timeout=_PDF_TIMEOUT, check=False)
    pdfs = [outdir / (path.stem + ".pdf") for path in docx_paths]
    missing_pdfs = [str(p) for p in pdfs if not p.is_file()]
    if done.returncode != 0 or missing_pdfs:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise LetterError(f"LibreOffice did not convert {', '.join(missing_pdfs) or 'the letters'}"
                          f" (exit status {done.returncode}): {detail[-1] if detail else ''}")
    return pdfs


# --- loading and caching --------------------------------------------------------------


def _load(template: Path) -> _Template:
    resolved = Path(template).resolve()
    try:
        with open(resolved, "rb") as fh:
            stat = os.fstat(fh.fileno())  # of the bytes we read, even if the file moves
            data = fh.read()
    except OSError as exc:
        raise LetterError(f"{template}: cannot read the letter template: {exc.strerror}") from exc
    key = (stat.st_mtime_ns, stat.st_size)
    cached = _CACHE.get(resolved)
    if cached and cached[0] == key:
        return cached[1]
    tpl = _compile(str(template), data)
    _CACHE[resolved] = (key, tpl)
    return tpl


def _compile(name: str, data: bytes) -> _Template:
    try:
        package = _docx_fast.load(data)
    except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError) as exc:
        raise LetterError(f"{name}: not a readable .docx file: {exc}") from exc
    usage: dict[str, _Usage] = {}
    problems: list[str] = []
    for piece in package.pieces():
        usage[piece.label] = _analyse(piece.source)
        problems += [_problem(name, piece.label, piece.source, line, text)
                     for line, text in usage[piece.label].problems]
    for piece in package.pieces() if not problems else ():
        try:  # compiling finds what parsing does not, e.g. an unknown filter
            piece.template = _ENV.from_string(piece.source)
        except TemplateError as exc:
            problems.append(_problem(name, piece.label, piece.source,
                                     getattr(exc, "lineno", None), str(exc)))
    return _Template(name, data, package, usage, problems)


def _source(tpl: _Template, label: str) -> str:
    return next((p.source for p in tpl.package.pieces() if p.label == label), "")


def _problem(name: str, label: str, source: str, line: int | None, text: str) -> str:
    return f"{name}: {label}: {text}{_near(source, line)}"


def _near(source: str, line: int | None) -> str:
    """Where in Word to look: the text of the paragraph on ``line`` of the Jinja source.

    docxtpl's pre-processing puts each paragraph on its own line.
    """
    lines = source.splitlines()
    if not line or line > len(lines):
        return ""
    text = " ".join(re.sub(r"<[^>]+>", "", lines[line - 1]).split())
    if not text:
        return ""
    return f' (in "{text[:77] + "..." if len(text) > 80 else text}")'


# --- reading a template's Jinja AST ---------------------------------------------------


def _analyse(source: str) -> _Usage:
    """Paths, printed values and problems of one templated piece."""
    usage = _Usage()
    try:
        tree = _ENV.parse(source)
    except TemplateError as exc:
        usage.problems.append((getattr(exc, "lineno", None), f"syntax error: {exc.message}"))
        return usage
    reader = _Reader(usage)
    reader.visit(tree, {})
    for node in tree.body:  # only outputs at the top level always run
        if isinstance(node, nodes.Output):
            usage.printed.update(p for c in node.nodes if (p := reader.bare_path(c, {})))
    return usage


def _chain(node: nodes.Node) -> tuple[nodes.Node, list[str | None]]:
    """Split ``a.b['c'][0][x]`` into its base and parts: "b", "c", "[]", None (dynamic)."""
    parts: list[str | None] = []
    while isinstance(node, (nodes.Getattr, nodes.Getitem)):
        if isinstance(node, nodes.Getattr):
            parts.append(node.attr)
        elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            parts.append(node.arg.value)
        elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, int):
            parts.append("[]")
        else:
            parts.append(None)
        node = node.node
    return node, parts[::-1]


def _names(target: nodes.Node) -> list[str]:
    """The names a target (``x`` or ``k, v``) binds."""
    if isinstance(target, nodes.Name):
        return [target.name]
    return [n.name for n in target.find_all(nodes.Name)]


class _Reader:
    """Walks a Jinja AST with the local names in scope, filling a _Usage.

    ``scope`` maps each local name to the context path it stands for (a loop variable
    over ``contacts`` stands for ``contacts[]``) or to None (a value made in the template).
    """

    def __init__(self, usage: _Usage) -> None:
        self.usage = usage

    def problem(self, node: nodes.Node, text: str) -> None:
        self.usage.problems.append((node.lineno, text))

    def visit(self, node: nodes.Node, scope: dict[str, str | None]) -> None:
        method = getattr(self, f"visit_{type(node).__name__}", None)
        if method is not None:
            method(node, scope)
        else:
            self.children(node, scope)

    def children(self, node: nodes.Node, scope: dict[str, str | None]) -> None:
        for child in node.iter_child_nodes():
            self.visit(child, scope)

    def bare_path(self, node: nodes.Node, scope: dict[str, str | None]) -> str | None:
        """The context path ``node`` reads, if it is a plain chain of names."""
        base, parts = _chain(node)
        if not isinstance(base, nodes.Name):
            return None
        if base.name in scope:
            path = scope[base.name]
            if path is None:
                return None
        else:
            path = base.name
        for part in parts:
            if part is None:
                break
            path += part if part == "[]" else f".{part}"
        return path

    def visit_Name(self, node: nodes.Name, scope: dict[str, str | None]) -> None:
        if node.ctx == "load":
            self.read(node, scope)

    def read(self, node: nodes.Node, scope: dict[str, str | None]) -> None:
        base, _ = _chain(node)
        path = self.bare_path(node, scope)
        if path and path.split(".")[0] not in _ENV.globals:  # range, cycler ...: not context
            self.usage.paths.add(path)
        if isinstance(base, nodes.Name) and base.name not in scope:
            self.usage.names.setdefault(base.name, base.lineno)

    def visit_Getattr(self, node: nodes.Node, scope: dict[str, str | None]) -> None:
        self.read(node, scope)
        chained: nodes.Node = node
        while isinstance(chained, (nodes.Getattr, nodes.Getitem)):
            self.check_private(chained)
            if isinstance(chained, nodes.Getitem) and not isinstance(chained.arg, nodes.Const):
                self.visit(chained.arg, scope)
            chained = chained.node
        if not isinstance(chained, nodes.Name):
            self.visit(chained, scope)

    visit_Getitem = visit_Getattr

    def check_private(self, node: nodes.Node) -> None:
        name = node.attr if isinstance(node, nodes.Getattr) else getattr(
            getattr(node, "arg", None), "value", None)
        if isinstance(name, str) and name.startswith("_"):
            self.problem(node, f"'{name}' is private: templates may not read names "
                               "starting with '_'")

    def visit_Call(self, node: nodes.Call, scope: dict[str, str | None]) -> None:
        if isinstance(node.node, nodes.Getattr):  # a method: the object is what is read
            self.check_private(node.node)
            self.visit(node.node.node, scope)
        else:
            self.visit(node.node, scope)
        for arg in (*node.args, *(k.value for k in node.kwargs), node.dyn_args, node.dyn_kwargs):
            if arg is not None:
                self.check_private_argument(arg)
                self.visit(arg, scope)

    def check_private_argument(self, node: nodes.Node) -> None:
        # map(attribute='__class__') and friends reach attributes by name.
        if isinstance(node, nodes.Const) and isinstance(node.value, str) and (
                node.value.startswith("_") or ("._" in node.value)):
            self.problem(node, f"'{node.value}' is private: templates may not read names "
                               "starting with '_'")

    def visit_Filter(self, node: nodes.Filter, scope: dict[str, str | None]) -> None:
        if node.name == "safe":
            self.problem(node, "the 'safe' filter turns escaping off: a value could break "
                               "the document")
        if node.name == "attr":
            self.problem(node, "the 'attr' filter is not allowed: write a.b instead")
        for arg in (*node.args, *(k.value for k in node.kwargs)):
            self.check_private_argument(arg)
        items = self.bare_path(node.node, scope) if node.node is not None else None
        if items and node.name in _LIST_FILTERS and isinstance(node, nodes.Filter):
            self.usage.paths.add(items + "[]")
        self.children(node, scope)

    visit_Test = visit_Filter

    def visit_For(self, node: nodes.For, scope: dict[str, str | None]) -> None:
        self.visit(node.iter, scope)
        inner: dict[str, str | None] = {**scope, "loop": None}
        inner.update({n: None for n in _names(node.target)})
        items = self.bare_path(node.iter, scope)
        if items and isinstance(node.target, nodes.Name):
            inner[node.target.name] = items + "[]"
            self.usage.paths.add(items + "[]")
        for child in (*([node.test] if node.test else []), *node.body):
            self.visit(child, inner)
        for child in node.else_:
            self.visit(child, scope)

    def visit_Assign(self, node: nodes.Assign, scope: dict[str, str | None]) -> None:
        self.visit(node.node, scope)
        alias = self.bare_path(node.node, scope) if isinstance(node.target, nodes.Name) else None
        scope.update({n: alias for n in _names(node.target)})

    def visit_AssignBlock(self, node: nodes.AssignBlock, scope: dict[str, str | None]) -> None:
        inner: dict[str, str | None] = dict(scope)
        for child in node.body:
            self.visit(child, inner)
        scope.update({n: None for n in _names(node.target)})

    def visit_With(self, node: nodes.With, scope: dict[str, str | None]) -> None:
        for value in node.values:
            self.visit(value, scope)
        inner: dict[str, str | None] = {**scope}
        inner.update({n: None for t in node.targets for n in _names(t)})
        for child in node.body:
            self.visit(child, inner)

    def visit_Macro(self, node: nodes.Macro | nodes.CallBlock,
                    scope: dict[str, str | None]) -> None:
        for default in node.defaults:
            self.visit(default, scope)
        if isinstance(node, nodes.CallBlock):
            self.visit(node.call, scope)
        else:
            scope[node.name] = None
        inner: dict[str, str | None] = {**scope, "caller": None, "varargs": None,
                                         "kwargs": None}
        inner.update({arg.name: None for arg in node.args})
        for child in node.body:
            self.visit(child, inner)

    visit_CallBlock = visit_Macro

    def visit_Pow(self, node: nodes.Pow, scope: dict[str, str | None]) -> None:
        self.problem(node, "'**' is not allowed: it can build numbers that exhaust memory")
        self.children(node, scope)

    def visit_Mul(self, node: nodes.Mul, scope: dict[str, str | None]) -> None:
        factors: list[nodes.Node] = [node]
        product = 1
        while factors:
            factor = factors.pop()
            if isinstance(factor, nodes.Mul):
                factors += [factor.left, factor.right]
            elif isinstance(factor, nodes.Const) and isinstance(factor.value, int):
                product *= abs(factor.value)
            else:
                self.visit(factor, scope)
        if product > _LARGE:
            self.problem(node, f"repeating something {product} times could exhaust memory")

    def visit_Const(self, node: nodes.Const, scope: dict[str, str | None]) -> None:
        value = node.value
        if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) > _LARGE:
            self.problem(node, f"the constant {value} is too large for a letter "
                               "(it could exhaust memory)")
        if isinstance(value, str) and re.search(r"%[-+ #0]*\d{5,}|\{[^{}]*:[^{}]*\d{5,}", value):
            self.problem(node, "a format width this large could exhaust memory")

    def visit_ScopedEvalContextModifier(self, node: nodes.EvalContextModifier,
                                        scope: dict[str, str | None]) -> None:
        if any(option.key == "autoescape" for option in node.options):
            self.problem(node, "autoescape may not be changed: a value could break the document")
        self.children(node, scope)

    visit_EvalContextModifier = visit_ScopedEvalContextModifier

    def visit_Include(self, node: nodes.Node, scope: dict[str, str | None]) -> None:
        self.problem(node, "a letter may not include, import or extend other templates")

    visit_Import = visit_FromImport = visit_Extends = visit_Include


# --- the context ----------------------------------------------------------------------

_SCALARS = (bool, int, float, Decimal, date, time, type(None))


def _is_docxtpl_object(value: Any) -> bool:
    """RichText, Listing, InlineImage, Subdoc ...: markup only docxtpl itself can render.

    They print raw XML (``__html__``) and images and sub-documents reach into the package.
    """
    return hasattr(value, "__html__") and type(value).__module__.startswith("docxtpl.")


def _clean(value: Any, path: str, rich: list[str], name: str) -> Any:
    """A copy of ``value`` with every string through clean_text; docxtpl objects noted."""
    where = path or "the context"
    if isinstance(value, str):
        # str() drops a Markup subclass, whose text autoescape would print unescaped.
        return clean_text(str(value), f"letter value '{where}'", VALUE_MAX_LENGTH)
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, Mapping):
        return _Node(((str(k), _clean(v, f"{path}.{k}" if path else str(k), rich, name))
                      for k, v in value.items()), path)
    if isinstance(value, (list, tuple)):
        return [_clean(v, f"{path}[{i}]", rich, name) for i, v in enumerate(value)]
    if _is_docxtpl_object(value) and type(value).__name__ == "Subdoc":
        raise LetterError(f"{name}: '{where}' is a Subdoc, which is not supported: it belongs "
                          "to the DocxTemplate that made it, not to the letter being rendered")
    if _is_docxtpl_object(value):
        if isinstance(getattr(value, "xml", None), str):  # RichText, Listing: text as XML
            clean_text(value.xml, f"letter value '{where}'", VALUE_MAX_LENGTH)
        rich.append(path)
        return value
    raise LetterError(f"{name}: the value of '{where}' is a {type(value).__name__}; a letter "
                      "takes text, numbers, dates, lists and mappings")


def _lookup(context: Mapping[str, Any], path: str) -> Any:
    value: Any = context
    for key in path.split("."):
        if not isinstance(value, Mapping) or key not in value:
            return None
        value = value[key]
    return value


# --- rendering ------------------------------------------------------------------------


def _render_fast(tpl: _Template, ctx: Mapping[str, Any]) -> tuple[bytes, list[Any]]:
    members, roots = [], []
    for part in tpl.package.parts:
        try:
            data, root = _docx_fast.render_part(part, ctx)
        except _TEMPLATE_ERRORS as exc:
            raise _letter_error(tpl, part.label, exc) from exc
        members.append((part.name, data))
        roots.append(root)
    if tpl.package.properties:
        members.append(_render_properties(tpl, ctx))
    return _docx_fast.write(tpl.package, members), roots


def _render_properties(tpl: _Template, ctx: Mapping[str, Any]) -> tuple[str, bytes]:
    package = tpl.package
    texts = {}
    for prop in package.properties:
        assert prop.template is not None, "compiled in _compile"
        try:
            texts[prop.element] = _property_text(prop.template.render(ctx), prop.label)
        except _TEMPLATE_ERRORS as exc:
            raise _letter_error(tpl, prop.label, exc) from exc
    return _docx_fast.properties_member(package, texts)


def _property_text(rendered: str, label: str) -> str:
    # A property is element text, which lxml (or python-docx) escapes itself: keeping the
    # autoescaped form would put "&amp;" in the document's title, as docxtpl does.
    text = Markup(rendered).unescape()
    if len(text) > _CORE_PROPERTY_MAX:
        raise ValueError(f"the text is {len(text)} characters long; "
                         f"a core property takes at most {_CORE_PROPERTY_MAX}")
    return text


class _DocxTemplate(DocxTemplate):
    """Plain docxtpl with two repairs: strict XML, and core properties as plain text."""

    def fix_tables(self, xml: str) -> Any:
        # docxtpl parses the rendered body with lxml's *recovering* parser, which drops
        # text silently where the XML is broken; refuse instead.
        etree.fromstring(xml, _STRICT)
        return super().fix_tables(xml)

    def render_properties(self, context: dict[str, Any], jinja_env: Any = None) -> None:
        for name in _docx_fast.CORE_PROPERTIES:
            text = getattr(self.docx.core_properties, name)
            if _docx_fast.has_tags(text):
                label = f"core property '{name}'"
                self.current_rendering_part = label
                rendered = _ENV.from_string(text).render(context)
                setattr(self.docx.core_properties, name, _property_text(rendered, label))


def _bind_images(value: Any, doc: DocxTemplate) -> Any:
    """The context with each InlineImage made anew for ``doc``.

    An InlineImage adds its picture to the package of the DocxTemplate it was made with,
    which the caller of render() never sees; the one given may name any (or None).
    """
    if isinstance(value, _Node):
        return _Node(((k, _bind_images(v, doc)) for k, v in value.items()), value._path)
    if isinstance(value, list):
        return [_bind_images(v, doc) for v in value]
    if isinstance(value, InlineImage):
        return InlineImage(doc, value.image_descriptor, value.width, value.height, value.anchor)
    return value


def _render_docxtpl(tpl: _Template, ctx: Mapping[str, Any]) -> bytes:
    doc = _DocxTemplate(BytesIO(tpl.data))
    try:
        doc.render(_bind_images(ctx, doc), jinja_env=_ENV)
    except _TEMPLATE_ERRORS as exc:
        raise _letter_error(tpl, _docxtpl_label(doc.current_rendering_part), exc) from exc
    out = BytesIO()
    doc.save(out)
    data = out.getvalue()
    with zipfile.ZipFile(BytesIO(data)) as zf:
        for member in zf.namelist():
            if member.endswith((".xml", ".rels")):
                try:
                    etree.fromstring(zf.read(member), _STRICT)
                except etree.XMLSyntaxError as exc:
                    raise _letter_error(tpl, member, exc) from exc
    return data


def _docxtpl_label(part: Any) -> str:
    """The label of the part docxtpl was rendering (it keeps a python-docx part)."""
    if isinstance(part, str):
        return part
    name = str(getattr(part, "partname", "")).lstrip("/")
    return "body" if name.endswith("document.xml") else name.rpartition("/")[2].removesuffix(".xml")


_STRICT = etree.XMLParser(resolve_entities=False, no_network=True)
_CORE_PROPERTY_MAX = 255  # python-docx refuses longer core property values
# Errors a template (or the data it is given) can cause while it runs; any other is a bug.
_TEMPLATE_ERRORS = (TemplateError, etree.XMLSyntaxError, TypeError, ValueError, LookupError,
                    ArithmeticError)


def _letter_error(tpl: _Template, label: str, exc: Exception) -> LetterError:
    source = _source(tpl, label)
    if isinstance(exc, etree.XMLSyntaxError):
        return LetterError(f"{tpl.name}: {label}: the letter is not well-formed XML ({exc}); "
                           "a tag may sit inside a field code or drawing")
    line = getattr(exc, "lineno", None)
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == "<template>"]
    if frames:
        line = frames[-1].lineno
    message = getattr(exc, "message", None) or str(exc)
    return LetterError(_problem(tpl.name, label, source, line, message))


def _check_printed(tpl: _Template, ctx: Mapping[str, Any], text: str) -> None:
    """Every value printed plainly must be in the letter's text (else it vanished)."""
    letter = " ".join(text.split())
    for label, usage in tpl.usage.items():
        if label.startswith("core property"):
            continue
        for path in sorted(usage.printed):
            value = _lookup(ctx, path)
            if isinstance(value, str) and value.strip() and " ".join(value.split()) not in letter:
                raise LetterError(
                    f"{tpl.name}: {label}: the value of '{path}' is not in the rendered letter; "
                    "put the tag in ordinary paragraph text ({{ }}, not {{r }} or {{p }})")
