"""The docx side of engine.letters.renderer: a template compiled once and rendered without
python-docx, and plain docxtpl (repaired) for what that fast path does not do.

Plain docxtpl opens the package with python-docx, pre-processes and compiles every
templated part, and saves the whole package again: ~25 ms a letter. Here the template's
parts are read and pre-processed (by docxtpl's own ``patch_xml``) once; a render runs the
compiled Jinja templates and writes a zip whose unchanged members are the template's own
compressed bytes. Python's ``zipfile`` has no public way to copy compressed bytes (and
``writestr`` re-deflates everything, ~6 ms), so the few lines of zip format are written
here. Tests check the output text against plain docxtpl part by part.

Templates whose output docxtpl changes after rendering in ways not repeated here (table
grids re-counted by ``fix_tables``, footnotes) are marked with ``Package.fallback``, and
rendered by ``PlainTemplate``.
"""

from __future__ import annotations

import posixpath
import re
import struct
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any
from zipfile import ZIP_DEFLATED, ZIP_STORED, ZipFile, ZipInfo

from docx.oxml import parse_xml
from docxtpl import DocxTemplate
from jinja2 import Environment, Template
from lxml import etree
from markupsafe import Markup

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
_FOOTNOTES_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
_DECLARATION = "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
# docxtpl's render_properties templates these python-docx core properties (name -> element).
CORE_PROPERTIES = {
    "author": "{http://purl.org/dc/elements/1.1/}creator",
    "comments": "{http://purl.org/dc/elements/1.1/}description",
    "identifier": "{http://purl.org/dc/elements/1.1/}identifier",
    "language": "{http://purl.org/dc/elements/1.1/}language",
    "subject": "{http://purl.org/dc/elements/1.1/}subject",
    "title": "{http://purl.org/dc/elements/1.1/}title",
}
_WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
_W_T, _W_P, _W_TAB, _W_BR, _W_CR = (f"{{{W}}}{tag}" for tag in ("t", "p", "tab", "br", "cr"))
_TAG = re.compile(r"\{[{%#]")
_COLUMN_TAGS = re.compile(r"\{%tc |\{\{tc |\{%\s*colspan\s|\{%\s*hm\s*%\}")
CORE_PROPERTY_MAX = 255  # python-docx refuses longer core property values
STRICT = etree.XMLParser(resolve_entities=False, no_network=True)
# Only the string methods of docxtpl are used (patch_xml, resolve_listing, fix_tables):
# they are the exact pre- and post-processing docxtpl applies.
_DOCXTPL = DocxTemplate(BytesIO())


@dataclass
class Part:
    """One templated XML part: the Jinja source and the text around its output."""

    name: str  # zip member, e.g. "word/header1.xml"
    label: str  # for messages: "body", "header1"
    source: str  # Jinja source after docxtpl's pre-processing
    head: str = ""
    tail: str = ""
    template: Template | None = None

    def __getstate__(self) -> dict[str, Any]:
        return _without_template(self)


@dataclass
class Property:
    """One core property (title, subject ...) whose text holds template tags."""

    element: str  # Clark name of the element in docProps/core.xml
    label: str
    source: str
    template: Template | None = None

    def __getstate__(self) -> dict[str, Any]:
        return _without_template(self)


def _without_template(piece: Part | Property) -> dict[str, Any]:
    # A compiled Jinja template does not pickle; its code is kept beside it (renderer's
    # export_compiled), and the class's default (None) stands until it is put back.
    return {k: v for k, v in vars(piece).items() if k != "template"}


@dataclass
class Package:
    """A template, read and pre-processed once, ready to render many times."""

    parts: list[Part] = field(default_factory=list)
    properties: list[Property] = field(default_factory=list)
    core_name: str | None = None
    core_xml: bytes = b""
    infos: dict[str, ZipInfo] = field(default_factory=dict)
    static: bytes = b""  # local headers + data of every member copied as it is
    static_central: bytes = b""  # their central directory entries
    static_count: int = 0
    footnotes: Part | None = None  # checked and read for fields; plain docxtpl renders it
    fallback: str | None = None  # why only plain docxtpl renders this template exactly

    def pieces(self) -> list[Part | Property]:
        """Every templated piece, body first; the caller compiles each one's source."""
        return [*self.parts, *([self.footnotes] if self.footnotes else []), *self.properties]


def load(data: bytes) -> Package:
    """Read and pre-process a .docx template.

    Raises ``zipfile.BadZipFile``, ``KeyError`` (a missing member) or
    ``lxml.etree.XMLSyntaxError``; the caller names the template.
    """
    package = Package()
    with ZipFile(BytesIO(data)) as zf:
        names = set(zf.namelist())
        for name in names:  # copied members are not parsed again, so check them all now
            if name.endswith((".xml", ".rels")):
                etree.fromstring(zf.read(name), STRICT)
        main = _package_target(zf, "officeDocument")
        if main is None:
            raise KeyError("the package names no main document (_rels/.rels)")
        body, body_xml = _body_part(main, zf.read(main))
        templated = {main: body}
        for name, label in _headers_footers(zf, main, names):
            templated[name] = _plain_part(name, label, zf.read(name))
        package.footnotes = _templated_footnotes(zf)
        package.core_name = _package_target(zf, "metadata/core-properties")
        if package.core_name:
            package.core_xml = zf.read(package.core_name)
            package.properties = _templated_properties(package.core_xml)
        changed = set(templated)
        if package.core_name and package.properties:
            changed.add(package.core_name)
        _copy_members(package, zf, data, changed)
    package.parts = list(templated.values())
    package.fallback = _fallback_reason(body_xml, package.footnotes is not None)
    return package


def _package_target(zf: ZipFile, kind: str) -> str | None:
    """The member the package relationships (_rels/.rels) name for ``kind``, if any."""
    rels = etree.fromstring(zf.read("_rels/.rels"), STRICT)
    for rel in rels.iter(f"{{{_PKG_REL}}}Relationship"):
        if rel.get("Type", "").endswith(f"/{kind}"):
            return rel.get("Target", "").lstrip("/")
    return None


def _headers_footers(zf: ZipFile, main: str, names: set[str]) -> list[tuple[str, str]]:
    """(member, label) of the header and footer parts the main document relates to."""
    folder, base = posixpath.split(main)
    rels_name = posixpath.join(folder, "_rels", base + ".rels")
    if rels_name not in names:
        return []
    found: dict[str, str] = {}
    for rel in etree.fromstring(zf.read(rels_name), STRICT).iter(f"{{{_PKG_REL}}}Relationship"):
        kind = rel.get("Type", "").rpartition("/")[2]
        if kind in ("header", "footer") and rel.get("TargetMode") != "External":
            target = rel.get("Target", "")
            name = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                posixpath.join(folder, target))
            found[name] = posixpath.splitext(posixpath.basename(name))[0]
    # docxtpl skips parts with no content; sorted keeps labels in a stable order.
    return sorted((n, label) for n, label in found.items() if zf.getinfo(n).file_size)


def _body_part(name: str, xml: bytes) -> tuple[Part, str]:
    """The body of document.xml as docxtpl templates it, and the body's XML before that."""
    root = parse_xml(xml)  # python-docx's own parser, as docxtpl reads the body through it
    body = root.find(f"{{{W}}}body")
    if body is None:
        raise KeyError(f"{name} has no body")
    whole = etree.tostring(root, encoding="unicode")
    start = whole.index("<w:body")
    start_tag = whole[start : whole.index(">", start) + 1]
    end = whole.rindex("</w:body>") + len("</w:body>") if len(body) else start + len(start_tag)
    body_xml = _DOCXTPL.xml_to_string(body)
    # Serialised alone, the body repeats the document's namespace declarations; inside the
    # document they are in scope already, so its own start tag is put back (as docxtpl's
    # output, saved by python-docx, has it).
    source = _prepare(re.sub(r"^<w:body\b[^>]*>", lambda _: start_tag, body_xml, count=1))
    return Part(name, "body", source, _DECLARATION + whole[:start], whole[end:]), body_xml


def _plain_part(name: str, label: str, xml: bytes) -> Part:
    """A header or footer, pre-processed as docxtpl's build_headers_footers_xml does."""
    return Part(name, label, _prepare(etree.tostring(parse_xml(xml), encoding="unicode")),
                _DECLARATION)


def _prepare(xml: str) -> str:
    # docxtpl puts each paragraph on its own line (so Jinja line numbers mean paragraphs)
    # before compiling, and takes the newlines out again after rendering.
    return re.sub(r"<w:p([ >])", r"\n<w:p\1", _DOCXTPL.patch_xml(xml))


def _templated_footnotes(zf: ZipFile) -> Part | None:
    """The footnotes part, if it holds tags (only plain docxtpl renders it)."""
    types = etree.fromstring(zf.read("[Content_Types].xml"), STRICT)
    for override in types.iter(f"{{{_CT}}}Override"):
        if override.get("ContentType") == _FOOTNOTES_TYPE:
            name = override.get("PartName", "").lstrip("/")
            xml = zf.read(name).decode("utf-8") if name in zf.namelist() else ""
            if _TAG.search(xml):  # docxtpl's render_footnotes pre-processes the raw part
                return Part(name, "footnotes", _prepare(xml))
    return None


def _templated_properties(core_xml: bytes) -> list[Property]:
    root = etree.fromstring(core_xml, STRICT)
    found = []
    for name, element in CORE_PROPERTIES.items():
        node = root.find(element)
        if node is not None and node.text and _TAG.search(node.text):
            found.append(Property(element, f"core property '{name}'", node.text))
    return found


def _fallback_reason(body_xml: str, footnotes: bool) -> str | None:
    if footnotes:
        return "its footnotes hold template tags"
    if _COLUMN_TAGS.search(re.sub(r"<[^>]+>", "", body_xml)):
        return "it uses table column tags ({%tc %}, colspan or hm)"
    if "<w:tbl" in body_xml and _grid_mismatch(body_xml):
        return "a table's column grid does not match its rows"
    return None


def _grid_mismatch(body_xml: str) -> bool:
    """Would docxtpl's fix_tables change this body's tables?

    It re-counts every table's grid after rendering. Rows copied or dropped by ``{%tr %}``
    keep a regular table regular, so if the template's own tables come through unchanged,
    every rendering of them does too.
    """
    try:
        fixed = etree.tostring(_DOCXTPL.fix_tables(body_xml))
    except (TypeError, ValueError, AttributeError):  # a grid column without a width ...
        return True  # docxtpl will say what it makes of it
    return fixed != etree.tostring(etree.fromstring(body_xml))


def _copy_members(package: Package, zf: ZipFile, data: bytes, changed: set[str]) -> None:
    """Prepare the local headers and central entries of every unchanged member, once."""
    local, central = bytearray(), bytearray()
    for info in zf.infolist():
        package.infos[info.filename] = info
        if info.filename in changed:
            continue
        if info.compress_type in (ZIP_STORED, ZIP_DEFLATED) and not info.flag_bits & 1:
            raw, method = _raw_bytes(data, info), info.compress_type
        else:  # another method (rare): deflate it here, once
            raw, method = _deflate(zf.read(info)), ZIP_DEFLATED
        entry = _Entry(info, method, info.CRC, len(raw), info.file_size, len(local))
        local += entry.local_header() + raw
        central += entry.central_header()
        package.static_count += 1
    package.static, package.static_central = bytes(local), bytes(central)


def _raw_bytes(data: bytes, info: ZipInfo) -> bytes:
    """The compressed bytes of a member, read past its local header."""
    name_len, extra_len = struct.unpack_from("<HH", data, info.header_offset + 26)
    start = info.header_offset + 30 + name_len + extra_len
    return data[start : start + info.compress_size]


def _deflate(data: bytes) -> bytes:
    # Raw deflate at zipfile's default level, with a window just big enough for the data:
    # the output is the same, but setting up the default 32 KB window costs more (~60 us)
    # than compressing a 4 KB part.
    window = min(15, max(9, len(data).bit_length()))
    packer = zlib.compressobj(6, zlib.DEFLATED, -window)
    return packer.compress(data) + packer.flush()


@dataclass
class _Entry:
    """One zip member's header fields (no zip64: a letter is far below 4 GB)."""

    info: ZipInfo
    method: int
    crc: int
    compressed: int
    size: int
    offset: int

    def _common(self) -> bytes:
        name = self.info.filename.encode("utf-8")
        year, month, day, hour, minute, second = self.info.date_time
        dos_time = hour << 11 | minute << 5 | second // 2
        dos_date = max(year - 1980, 0) << 9 | month << 5 | day
        flags = 0x800 if not self.info.filename.isascii() else 0  # bit 11: UTF-8 name
        return struct.pack("<HHHHLLLH", flags, self.method, dos_time, dos_date, self.crc,
                           self.compressed, self.size, len(name))

    def local_header(self) -> bytes:
        return b"PK\x03\x04" + struct.pack("<H", 20) + self._common() + b"\0\0" + (
            self.info.filename.encode("utf-8"))

    def central_header(self) -> bytes:
        return (b"PK\x01\x02" + struct.pack("<HH", 20, 20) + self._common()
                + struct.pack("<HHHHLL", 0, 0, 0, 0, 0, self.offset)
                + self.info.filename.encode("utf-8"))


def render_part(part: Part, context: Mapping[str, Any]) -> tuple[bytes, etree._Element]:
    """One rendered part as bytes and its root, parsed strictly.

    Raises what the Jinja template raises, and ``lxml.etree.XMLSyntaxError`` if the
    output is not well-formed.
    """
    assert part.template is not None, "compile the part first"
    # The newlines _prepare put before each paragraph, out again: two plain replaces do
    # what re.sub(r"\n<w:p([ >])", r"<w:p\1") did, without compiling a pattern in a
    # process's first letter (issue 14).
    xml = part.template.render(context).replace("\n<w:p ", "<w:p ").replace("\n<w:p>", "<w:p>")
    # docxtpl's escapes for literal braces in the output, then its handling of \n and \t
    # in values (line breaks and tabs), both as render_xml_part does them.
    xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
    if "\n" in xml or "\t" in xml:
        xml = _DOCXTPL.resolve_listing(xml)
    data = (part.head + xml + part.tail).encode("utf-8")
    root = etree.fromstring(data, STRICT)
    if part.label == "body" and "<wp:docPr" in xml:
        # docxtpl renumbers drawings in the body so copies made by a loop get unique ids.
        for number, doc_pr in enumerate(root.iter(f"{{{_WP}}}docPr"), start=1001):
            doc_pr.set("id", str(number))
        data = etree.tostring(root, encoding="UTF-8", xml_declaration=True, standalone=True)
    return data, root


def properties_member(package: Package, texts: Mapping[str, str]) -> tuple[str, bytes]:
    """docProps/core.xml with the given texts (by element) set."""
    assert package.core_name is not None
    root = etree.fromstring(package.core_xml, STRICT)
    for element, text in texts.items():
        node = root.find(element)
        assert node is not None, "a templated property's element is there"
        node.text = text
    xml = etree.tostring(root, encoding="UTF-8", xml_declaration=True, standalone=True)
    return package.core_name, xml


def has_tags(text: str) -> bool:
    """Does ``text`` hold Jinja tags?"""
    return bool(_TAG.search(text))


def paragraph_text(root: etree._Element) -> str:
    """The text of a rendered part, paragraph by paragraph, tabs and breaks as spaces.

    Close enough to python-docx's paragraph text for finding a printed value in it,
    without the ~10 ms of opening the package with python-docx.
    """
    pieces = []
    for node in root.iter(_W_T, _W_P, _W_TAB, _W_BR, _W_CR):
        pieces.append(node.text or "" if node.tag == _W_T else "\n" if node.tag == _W_P else " ")
    return "".join(pieces)


def write(package: Package, members: list[tuple[str, bytes]]) -> bytes:
    """The .docx: the unchanged members as they were, then ``members`` deflated."""
    out = bytearray(package.static)
    central = bytearray(package.static_central)
    for name, data in members:
        raw = _deflate(data)
        entry = _Entry(package.infos[name], ZIP_DEFLATED, zlib.crc32(data), len(raw), len(data),
                       len(out))
        out += entry.local_header() + raw
        central += entry.central_header()
    count = package.static_count + len(members)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, len(central), len(out), 0)
    return bytes(out + central + end)


def property_text(rendered: str) -> str:
    """A core property's plain text from its autoescaped rendering.

    A property is element text, which lxml (and python-docx) escape themselves: keeping
    the autoescaped form would put "&amp;" in the document's title, as docxtpl does.
    """
    text = str(Markup(rendered).unescape())
    if len(text) > CORE_PROPERTY_MAX:
        raise ValueError(f"the text is {len(text)} characters long; "
                         f"a core property takes at most {CORE_PROPERTY_MAX}")
    return text


class PlainTemplate(DocxTemplate):  # type: ignore[misc]
    """Plain docxtpl with two repairs: strict XML, and core properties as plain text."""

    def fix_tables(self, xml: str) -> Any:
        # docxtpl parses the rendered body with lxml's *recovering* parser, which drops
        # text silently where the XML is broken: refuse instead.
        etree.fromstring(xml, STRICT)
        return super().fix_tables(xml)

    def render_properties(self, context: dict[str, Any], jinja_env: Environment) -> None:
        for name in CORE_PROPERTIES:
            text = getattr(self.docx.core_properties, name)
            if has_tags(text):
                self.current_rendering_part = f"core property '{name}'"
                rendered = jinja_env.from_string(text).render(context)
                setattr(self.docx.core_properties, name, property_text(rendered))

    def part_label(self) -> str:
        """The label of the part being rendered (after an error: the one that failed)."""
        part = self.current_rendering_part
        if isinstance(part, str):
            return part
        name = str(getattr(part, "partname", "")).lstrip("/")
        return "body" if name.endswith("document.xml") else posixpath.basename(name)[:-4]

    def to_bytes(self) -> bytes:
        """The rendered .docx; every XML part is parsed strictly first."""
        out = BytesIO()
        self.save(out)
        with ZipFile(out) as zf:
            for member in zf.namelist():
                if member.endswith((".xml", ".rels")):
                    try:
                        etree.fromstring(zf.read(member), STRICT)
                    except etree.XMLSyntaxError as exc:
                        raise ValueError(f"{member} is not well-formed XML: {exc}") from exc
        return out.getvalue()
