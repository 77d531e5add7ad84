"""engine.letters.renderer: the fast path against plain docxtpl, fallbacks, and the safety rules.

Every template in letters/ and a few built here with python-docx are rendered with a
context made from their own template_fields, full of awkward text, by both the fast path
and plain docxtpl (sandboxed, autoescaped); the text must match part by part.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm
from docx.text.paragraph import Paragraph
from docxtpl import DocxTemplate, InlineImage, RichText
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
from lxml import etree
from markupsafe import Markup

from engine.core.context import TOP_LEVEL
from engine.core.text import sentence
from engine.errors import FieldError, LetterError, ToolMissing
from engine.letters import renderer as letters
from engine.service import pdf

ROOT = Path(__file__).resolve().parent.parent
REAL_TEMPLATES = sorted((ROOT / "letters").glob("*.docx"))

TRICKY = [
    "Zoë O'Brien & <Sons> \"Ltd\"",
    "😀 👍🏽 🏫 emoji",
    "مرحبا بكم في المدرسة",  # Arabic, right to left
    "שלום וברכה",  # Hebrew, right to left
    "Line one\nline two\tafter a tab",
    "{{ not a tag }} {% nor this %} ]]> &amp; &#x41;",
    "</w:t></w:r></w:p><w:p><w:r><w:t>injected",
    "x" * 5000 + " long",  # long, far under the cap
]


# --- templates built here -------------------------------------------------------------


def _para(document: Any, text: str) -> None:
    document.add_paragraph(text)


def build_basic(path: Path) -> None:
    """Body, header and footer fields, {%p for %}, {%p if %}, a table, a core property."""
    d = docx.Document()
    d.core_properties.title = "Letter to {{ recipient.name }}"
    d.core_properties.subject = "Conduct"
    section = d.sections[0]
    section.header.paragraphs[0].text = "{{ school.name }}"
    section.header.add_paragraph("Telephone {{ school.phone }}")
    section.footer.paragraphs[0].text = "Our reference {{ reference }}"
    _para(d, "{{ recipient.name }}")
    _para(d, "{%p for line in recipient.address_lines %}")
    _para(d, "{{ line }}")
    _para(d, "{%p endfor %}")
    _para(d, "Dear {{ recipient.salutation }},")
    _para(d, "{%p if ban %}")
    _para(d, "Please contact us only {{ ban.contact_route }}.")
    _para(d, "{%p endif %}")
    table = d.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Student"
    table.cell(0, 1).text = "{{ student.full_name }} ({{ student.form }})"
    table.cell(1, 0).text = "What happened"
    table.cell(1, 1).text = "{{ fields.incident_summary }}"
    _para(d, "Attended: {{ fields.attendees|join(', ') }}")
    _para(d, "Yours sincerely, {{ signatory.name }}")
    d.save(path)


def build_rows(path: Path) -> None:
    """A {%tr for %} row loop, a nested {% for %} inside a paragraph, and {% if %}/else."""
    d = docx.Document()
    d.sections[0].header.paragraphs[0].text = "{{ school.name }}"
    table = d.add_table(rows=3, cols=2)
    table.cell(0, 0).text = "Action"
    table.cell(0, 1).text = "By"
    table.cell(1, 0).text = "{%tr for action in fields.actions %}"
    table.cell(2, 0).text = "{{ action.what }}"
    table.cell(2, 1).text = "{{ action.who }}{%tr endfor %}"
    _para(d, "Present: {% for name in fields.attendees %}{{ name }}; {% endfor %}")
    _para(d, "{% if fields.outcome %}Outcome: {{ fields.outcome }}{% else %}No outcome{% endif %}")
    _para(d, "{{ date }}")
    d.save(path)


def build_sections(path: Path) -> None:
    """Two sections, a first-page header, a picture, a tag split over formatted runs."""
    d = docx.Document()
    first = d.sections[0]
    first.different_first_page_header_footer = True
    first.first_page_header.paragraphs[0].text = "{{ school.name }} (first page)"
    first.header.paragraphs[0].text = "{{ school.name }} (later pages)"
    paragraph = d.add_paragraph("Dear ")
    paragraph.add_run("{{ recipient.").bold = True
    paragraph.add_run("salutation }}").italic = True
    paragraph.add_run(",")
    d.add_paragraph("{% if fields.note %}Note: {{ fields.note }}{% endif %}")
    picture = path.with_suffix(".png")
    picture.write_bytes(_png())
    d.add_picture(str(picture), width=Mm(10))
    d.add_section()
    second = d.sections[1]
    second.header.is_linked_to_previous = False
    second.header.paragraphs[0].text = "Annex for {{ student.full_name }}"
    d.add_paragraph("{{ fields.summary }}")
    d.save(path)


SAMPLES: dict[str, Callable[[Path], None]] = {
    "basic": build_basic, "rows": build_rows, "sections": build_sections,
}


@pytest.fixture(scope="session")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("samples")
    paths = {}
    for name, build in SAMPLES.items():
        paths[name] = folder / f"{name}.docx"
        build(paths[name])
    return paths


TEMPLATE_IDS = [f"letters/{p.name}" for p in REAL_TEMPLATES] + [f"sample:{n}" for n in SAMPLES]


@pytest.fixture(params=TEMPLATE_IDS)
def template(request: pytest.FixtureRequest, samples: dict[str, Path]) -> Path:
    ident: str = request.param
    return samples[ident[7:]] if ident.startswith("sample:") else ROOT / ident


# --- contexts made from template_fields -----------------------------------------------


def synthesise(template: Path, *, empty_lists: bool = False) -> dict[str, Any]:
    """A context filling every path the template reads, with a different awkward value each.

    ``_Usage.paths`` marks list items with "[]": ``recipient.address_lines[]``,
    ``fields.actions[].who``.
    """
    paths = sorted({p for u in letters._load(template).usage.values() for p in u.paths})
    counter = iter(range(10_000))
    tree: dict[str, Any] = {}
    for path in paths:
        _plant(tree, re.findall(r"\[\]|[^.\[\]]+", path))

    def fill(node: Any) -> Any:
        if isinstance(node, _List):
            return [] if empty_lists else [fill(node.item) for _ in range(2)]
        if node:
            return {key: fill(value) for key, value in node.items()}
        return f"{TRICKY[(n := next(counter)) % len(TRICKY)]} #{n}"

    return fill(tree)


class _List:
    """A list in the context being made; ``item`` is the shape of its items."""

    def __init__(self, item: Any) -> None:
        self.item = item


def _plant(tree: dict[str, Any], parts: list[str]) -> None:
    node: Any = tree
    for part, following in zip(parts, [*parts[1:], None], strict=True):
        if part == "[]":
            continue  # the list was made at the previous part; go on with its item
        container = node.item if isinstance(node, _List) else node
        existing = container.setdefault(part, {})
        if following == "[]" and not isinstance(existing, _List):
            container[part] = _List(existing)
        node = container[part]


# --- plain docxtpl, and text part by part ---------------------------------------------


def plain_docxtpl(template: Path, context: dict[str, Any]) -> bytes:
    env = ImmutableSandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
    env.filters.update(letters.FILTERS)
    tpl = DocxTemplate(template)
    tpl.render(context, jinja_env=env)
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()


def text_by_part(data: bytes) -> dict[str, list[str]]:
    document = docx.Document(io.BytesIO(data))
    parts = {"body": [Paragraph(p, document).text for p in document.element.body.iter(qn("w:p"))]}
    for rel in document.part.rels.values():
        if rel.reltype in (RT.HEADER, RT.FOOTER):
            part = rel.target_part
            paragraphs = part.element.iter(qn("w:p"))
            parts[str(part.partname)] = [Paragraph(p, part).text for p in paragraphs]
    return parts


def printed_values(template: Path, context: dict[str, Any]) -> list[str]:
    """The string values of the plain top-level {{ a.b }} outputs."""
    found = []
    for usage in letters._load(template).usage.values():
        for path in usage.printed:
            value = letters._lookup(context, path)
            if isinstance(value, str):
                found.append(value)
    return found


# --- every template: fast path == plain docxtpl -----------------------------------------


def test_template_takes_the_fast_path(template: Path) -> None:
    reason = letters._load(template).package.fallback
    assert reason is None, f"plain docxtpl (~50x slower) renders {template.name}: {reason}"
    assert letters.check_template(template, TOP_LEVEL) == []


@pytest.mark.parametrize("empty_lists", [False, True], ids=["lists", "empty-lists"])
def test_fast_path_text_equals_docxtpl(template: Path, empty_lists: bool) -> None:
    context = synthesise(template, empty_lists=empty_lists)
    fast, plain = letters.render(template, context), plain_docxtpl(template, context)
    assert text_by_part(fast) == text_by_part(plain)
    # Stronger: each templated part is the same XML (canonical form) as docxtpl's.
    with zipfile.ZipFile(io.BytesIO(fast)) as ours, zipfile.ZipFile(io.BytesIO(plain)) as theirs:
        for part in letters._load(template).package.parts:
            assert canonical(ours.read(part.name)) == canonical(theirs.read(part.name)), part.name


def canonical(xml: bytes) -> bytes:
    return etree.tostring(etree.fromstring(xml), method="c14n")


def test_tricky_values_appear_exactly(template: Path) -> None:
    context = synthesise(template)
    text = letters.docx_text(letters.render(template, context))
    values = printed_values(template, context)
    assert values
    for value in values:  # exactly, or as the sentence a |sentence quote makes of it
        assert value in text or sentence(value) in text


def test_output_is_a_sound_docx(template: Path) -> None:
    data = letters.render(template, synthesise(template))
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        names = zf.namelist()
        assert len(names) == len(set(names))
        assert names[0] == "[Content_Types].xml"
    docx.Document(io.BytesIO(data))  # python-docx opens it


def test_rendering_is_deterministic(template: Path) -> None:
    context = synthesise(template)
    assert letters.render(template, context) == letters.render(template, context)


def test_template_fields_are_context_paths(template: Path) -> None:
    fields = letters.template_fields(template)
    assert fields
    assert all(re.fullmatch(r"[A-Za-z_]\w*(\.\w+)*", f) for f in fields)


def test_template_fields_of_the_basic_sample(samples: dict[str, Path]) -> None:
    assert letters.template_fields(samples["basic"]) == {
        "ban", "ban.contact_route", "fields.attendees", "fields.incident_summary",
        "recipient.address_lines", "recipient.name", "recipient.salutation", "reference",
        "school.name", "school.phone", "signatory.name", "student.form", "student.full_name",
    }
    assert letters.template_fields(samples["rows"]) == {
        "school.name", "fields.actions", "fields.attendees", "fields.outcome", "date",
    }


# --- the basic sample in detail -------------------------------------------------------


def basic_context(**changes: Any) -> dict[str, Any]:
    context: dict[str, Any] = {
        "school": {"name": "St Aidan's & St Bede's", "phone": "01234 567890"},
        "reference": "CON-2026-0001",
        "recipient": {"name": "Zoë O'Brien & <Sons> \"Ltd\"", "salutation": "Dear Ms O'Brien",
                      "address_lines": ["1 High St", "شارع"]},
        "ban": None,
        "student": {"full_name": "Ava Khan", "form": "9X"},
        "fields": {"incident_summary": "A & B < C", "attendees": ["Ms Ng", "Mr Ray"]},
        "signatory": {"name": "Dr J Smith"},
    }
    context.update(changes)
    return context


def test_basic_letter_text(samples: dict[str, Path]) -> None:
    text = letters.docx_text(letters.render(samples["basic"], basic_context()))
    assert text.splitlines() == [
        "Zoë O'Brien & <Sons> \"Ltd\"", "1 High St", "شارع", "Dear Dear Ms O'Brien,",
        "Student", "Ava Khan (9X)", "What happened", "A & B < C",
        "Attended: Ms Ng, Mr Ray", "Yours sincerely, Dr J Smith",
        "St Aidan's & St Bede's", "Telephone 01234 567890", "Our reference CON-2026-0001",
    ]


def test_core_property_is_plain_text(samples: dict[str, Path]) -> None:
    data = letters.render(samples["basic"], basic_context())
    properties = docx.Document(io.BytesIO(data)).core_properties
    assert properties.title == "Letter to Zoë O'Brien & <Sons> \"Ltd\""
    assert properties.subject == "Conduct"


def test_core_property_length_is_capped(samples: dict[str, Path]) -> None:
    context = basic_context(recipient={**basic_context()["recipient"], "name": "n" * 300})
    with pytest.raises(LetterError, match="core property 'title'.*at most 255"):
        letters.render(samples["basic"], context)


def test_markup_value_is_still_escaped(samples: dict[str, Path]) -> None:
    context = basic_context(signatory={"name": Markup("<w:br/>Evil")})
    assert "Yours sincerely, <w:br/>Evil" in letters.docx_text(
        letters.render(samples["basic"], context))


def test_control_character_raises_field_error_naming_the_path(samples: dict[str, Path]) -> None:
    with pytest.raises(FieldError) as info:
        letters.render(samples["basic"], basic_context(student={"full_name": "Av\x0ba",
                                                                "form": "9X"}))
    assert str(info.value) == ("letter value 'student.full_name': character U+000B at "
                               "position 3 is not allowed (control character)")
    context = basic_context()
    context["recipient"]["address_lines"] = ["ok", "bad\x01"]
    with pytest.raises(FieldError, match=r"'recipient\.address_lines\[1\]'"):
        letters.render(samples["basic"], context)


@pytest.mark.parametrize(
    ("remove", "named"),
    [(("signatory",), "'signatory'"), (("student", "form"), "'student.form'")],
)
def test_undefined_value_raises_letter_error(samples: dict[str, Path], remove: tuple[str, ...],
                                             named: str) -> None:
    context = basic_context()
    holder = context
    for key in remove[:-1]:
        holder = holder[key]
    del holder[remove[-1]]
    with pytest.raises(LetterError) as info:
        letters.render(samples["basic"], context)
    message = str(info.value)
    assert message.startswith(str(samples["basic"]))
    assert f"no value for {named}" in message


def test_unsupported_value_type(samples: dict[str, Path]) -> None:
    with pytest.raises(LetterError, match="'signatory.name' is a object"):
        letters.render(samples["basic"], basic_context(signatory={"name": object()}))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=60))
def test_any_text_is_printed_exactly_or_refused(samples: dict[str, Path], value: str) -> None:
    try:
        data = letters.render(samples["basic"], basic_context(signatory={"name": value}))
    except FieldError:
        return
    cleaned = letters._clean(value, "x", [], "t")
    assert f"Yours sincerely, {cleaned}" in letters.docx_text(data)



@pytest.mark.parametrize("escape", ["{_{", "}_}", "{_%", "%_}"])
def test_docxtpl_brace_escapes_in_a_value_are_refused(samples: dict[str, Path],
                                                      escape: str) -> None:
    """docxtpl undoes "{_%" and the like in the whole rendered part, values included, so
    a value holding one would print differently from what was typed (found by Hypothesis)."""
    with pytest.raises(FieldError, match=f"'signatory.name': '{re.escape(escape)}' at "
                                         "position 3 is not allowed"):
        letters.render(samples["basic"], basic_context(signatory={"name": f"Mr{escape}"}))

# --- the cache ------------------------------------------------------------------------


def test_cache_follows_the_file(tmp_path: Path) -> None:
    path = tmp_path / "letter.docx"
    first = docx.Document()
    first.add_paragraph("First {{ reference }}")
    first.save(path)
    assert "First R1" in letters.docx_text(letters.render(path, {"reference": "R1"}))
    second = docx.Document()
    second.add_paragraph("Other {{ reference }}")  # same length: only mtime tells them apart
    second.save(path)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
    assert "Other R1" in letters.docx_text(letters.render(path, {"reference": "R1"}))
    assert letters.template_fields(path) == {"reference"}


def test_cache_sees_a_file_replaced_with_the_same_size_and_time(tmp_path: Path) -> None:
    """Saved elsewhere and moved into place (as Word and sync tools do), with the old
    modification time: another inode, so the template is read again."""
    path = one_paragraph(tmp_path, "First {{ reference }}", "letter.docx")
    assert "First R1" in letters.docx_text(letters.render(path, {"reference": "R1"}))
    other = one_paragraph(tmp_path, "Other {{ reference }}", "other.docx")
    stat = path.stat()
    os.utime(other, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    other.replace(path)
    assert "Other R1" in letters.docx_text(letters.render(path, {"reference": "R1"}))


def test_one_cache_entry_serves_a_relative_and_an_absolute_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = one_paragraph(tmp_path, "Dear {{ name }}")
    monkeypatch.chdir(tmp_path)
    assert letters._load(Path("t.docx")) is letters._load(path)


def test_template_lists_and_printed_fields(samples: dict[str, Path]) -> None:
    """What batch letters check up front: the fields read as lists, and those always
    printed (a blank one would leave a gap)."""
    assert letters.template_lists(samples["basic"]) == {"recipient.address_lines",
                                                         "fields.attendees"}
    printed = letters.printed_fields(samples["basic"])
    assert {"recipient.name", "reference", "signatory.name"} <= printed
    assert "recipient.address_lines" not in printed  # read in a loop


def test_missing_template(tmp_path: Path) -> None:
    with pytest.raises(LetterError, match="cannot read the letter template"):
        letters.render(tmp_path / "nope.docx", {})


def test_not_a_docx(tmp_path: Path) -> None:
    path = tmp_path / "bad.docx"
    path.write_bytes(b"not a zip")
    with pytest.raises(LetterError, match="not a readable .docx"):
        letters.render(path, {})


def test_malformed_member_is_refused(tmp_path: Path) -> None:
    path = one_paragraph(tmp_path, "Dear {{ name }}")
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members["word/settings.xml"] = members["word/settings.xml"].replace(b"</w:settings>", b"")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises(LetterError, match="not a readable .docx file"):
        letters.render(path, {"name": "x"})


# --- unsafe templates -----------------------------------------------------------------


def one_paragraph(tmp_path: Path, text: str, name: str = "t.docx") -> Path:
    d = docx.Document()
    d.add_paragraph(text)
    d.save(tmp_path / name)
    return tmp_path / name


ESCAPE = "{{ cycler.__init__.__globals__.os.system('touch MARKER') }}"


def test_sandbox_escape_is_refused_and_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    path = one_paragraph(tmp_path, ESCAPE.replace("MARKER", str(marker)))
    problems = letters.check_template(path)
    assert any("'__init__' is private" in p for p in problems)
    assert all(p.startswith(f"{path}: body: ") for p in problems)
    with pytest.raises(LetterError, match="'__init__' is private"):
        letters.render(path, {})
    assert not marker.exists()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{{ cycler.__init__.__globals__.os.popen('id').read() }}", "'__init__' is private"),
        ("{{ ''.__class__.__mro__ }}", "'__class__' is private"),
        ("{{ student['__class__'] }}", "'__class__' is private"),
        ("{{ student|attr('__class__') }}", "'attr' filter"),
        ("{{ fields.x|map(attribute='__class__')|list }}", "'__class__' is private"),
        ("{{ student.name|safe }}", "'safe' filter"),
        ("{% autoescape false %}{{ student.name }}{% endautoescape %}", "autoescape"),
        ("{{ 'a' * 10**9 }}", "'**' is not allowed"),
        ("{{ 'a' * 1000000000 }}", "could exhaust memory"),
        ("{{ 'ab' * 9999 * 9999 }}", "repeating something 99980001 times"),
        ("{% for i in range(1000000000) %}x{% endfor %}", "too large"),
        ("{{ '%999999999d' % 1 }}", "format width"),
        ("{{ '{:>999999999}'.format('a') }}", "format width"),
        ("{{ cycler }}", "unknown name 'cycler'"),
        ("{% include 'x.docx' %}", "may not include"),
        ("Dear {{ recipient.name }", "syntax error"),
        ("{{ student.name|no_such_filter }}", "No filter named 'no_such_filter'"),
    ],
)
def test_check_template_finds(tmp_path: Path, text: str, problem: str) -> None:
    path = one_paragraph(tmp_path, text)
    problems = letters.check_template(path, ["student", "fields", "recipient"])
    assert len(problems) >= 1
    assert any(problem in p for p in problems), problems
    assert all(p.startswith(f"{path}: body: ") for p in problems)
    if "unknown name" not in problem:
        with pytest.raises(LetterError):
            letters.render(path, {"student": {"name": "x"}, "fields": {"x": []},
                                  "recipient": {"name": "y"}})


def test_problem_names_the_paragraph(tmp_path: Path) -> None:
    path = one_paragraph(tmp_path, "Dear {{ recipient.name }")
    (problem,) = letters.check_template(path)
    assert problem.startswith(f"{path}: body: syntax error: ")
    assert problem.endswith('(in "Dear {{ recipient.name }")')


def test_header_problem_names_the_header(tmp_path: Path) -> None:
    d = docx.Document()
    d.sections[0].header.paragraphs[0].text = "{{ nobody.name }}"
    d.save(tmp_path / "h.docx")
    assert letters.check_template(tmp_path / "h.docx", ["school"]) == [
        f"{tmp_path / 'h.docx'}: header1: unknown name 'nobody' (known names: school)"
        ' (in "{{ nobody.name }}")'
    ]


def test_repetition_built_from_variables_is_stopped(tmp_path: Path) -> None:
    path = one_paragraph(tmp_path, "{% set x = '-' * 9999 %}{{ x * 9999 }}")
    assert letters.check_template(path) == []  # each constant is small ...
    with pytest.raises(LetterError, match="longer than 100000"):
        letters.render(path, {})  # ... but the sandbox refuses the 100 MB string


def test_drawings_are_numbered_as_docxtpl_numbers_them(samples: dict[str, Path]) -> None:
    context = synthesise(samples["sections"])
    ids = []
    for data in (letters.render(samples["sections"], context),
                 plain_docxtpl(samples["sections"], context)):
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            ids.append(re.findall(rb'<wp:docPr id="(\d+)"', zf.read("word/document.xml")))
    assert ids[0] == ids[1] == [b"1001"]


def test_safe_constants_pass(tmp_path: Path) -> None:
    path = one_paragraph(tmp_path, "{{ '-' * 40 }} {% for i in range(3) %}{{ i }}{% endfor %} "
                                   "{{ fields.method|replace('_', ' ') }}")
    assert letters.check_template(path) == []
    text = letters.docx_text(letters.render(path, {"fields": {"method": "home_visit"}}))
    assert "-" * 40 + " 012 home visit" in text


def test_run_tag_with_plain_text_is_caught(tmp_path: Path) -> None:
    # {{r }} is for RichText: docxtpl drops a plain string outside any text run.
    path = one_paragraph(tmp_path, "Dear {{r recipient.name }}")
    with pytest.raises(LetterError, match="'recipient.name' is not in the rendered letter"):
        letters.render(path, {"recipient": {"name": "Ms Ng"}})


# --- fallbacks to plain docxtpl --------------------------------------------------------


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def test_rich_text_falls_back_to_docxtpl(tmp_path: Path) -> None:
    path = one_paragraph(tmp_path, "Yours sincerely, {{r name }} & {{ role }}")
    context = {"name": RichText("Dr J Smith & Co", bold=True), "role": "Head"}
    data = letters.render(path, context)
    assert "Yours sincerely, Dr J Smith & Co & Head" in letters.docx_text(data)
    assert text_by_part(data) == text_by_part(plain_docxtpl(path, context))


def test_rich_text_is_checked_for_control_characters(tmp_path: Path) -> None:
    path = one_paragraph(tmp_path, "{{r name }}")
    with pytest.raises(FieldError, match="letter value 'name': character U\\+0001"):
        letters.render(path, {"name": RichText("Dr\x01")})


def test_inline_image_falls_back_to_docxtpl(tmp_path: Path) -> None:
    path = one_paragraph(tmp_path, "Signed: {{ signature }} {{ name }}")
    (tmp_path / "sig.png").write_bytes(_png())
    # The DocxTemplate an InlineImage is made with does not matter: render binds it anew.
    image = InlineImage(None, str(tmp_path / "sig.png"), width=Mm(20))
    data = letters.render(path, {"signature": image, "name": "Dr Smith"})
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert any(n.startswith("word/media/") for n in zf.namelist())
        assert b"<pic:pic" in zf.read("word/document.xml")
    assert "Signed:  Dr Smith" in letters.docx_text(data)


def test_table_column_tags_fall_back(tmp_path: Path) -> None:
    d = docx.Document()
    table = d.add_table(rows=2, cols=3)
    table.cell(0, 0).text = "Name"
    table.cell(0, 1).text = "{%tc for day in days %}"
    table.cell(0, 2).text = "{{ day }}{%tc endfor %}"
    table.cell(1, 0).text = "{{ name }}"
    d.save(tmp_path / "tc.docx")
    tpl = letters._load(tmp_path / "tc.docx")
    assert tpl.package.fallback == "it uses table column tags ({%tc %}, colspan or hm)"
    context = {"days": ["Mon", "Tue", "Wed"], "name": "Ava"}
    data = letters.render(tmp_path / "tc.docx", context)
    assert text_by_part(data) == text_by_part(plain_docxtpl(tmp_path / "tc.docx", context))


def test_irregular_table_grid_falls_back(tmp_path: Path) -> None:
    d = docx.Document()
    table = d.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "{{ name }}"
    extra = OxmlElement("w:gridCol")
    extra.set(qn("w:w"), "1000")
    table._tbl.tblGrid.append(extra)  # three columns declared, two used
    d.save(tmp_path / "grid.docx")
    assert letters._load(tmp_path / "grid.docx").package.fallback == (
        "a table's column grid does not match its rows")
    assert "Ava" in letters.docx_text(letters.render(tmp_path / "grid.docx", {"name": "Ava"}))


def _add_footnotes(path: Path, text: str) -> None:
    footnotes = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:footnotes xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f'<w:footnote w:id="1"><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:footnote>'
        "</w:footnotes>"
    )
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members["word/footnotes.xml"] = footnotes.encode()
    members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(
        b"</Types>", b'<Override PartName="/word/footnotes.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"/></Types>')
    rels = "word/_rels/document.xml.rels"
    members[rels] = members[rels].replace(
        b"</Relationships>", b'<Relationship Id="rIdFoot" Type="http://schemas.openxmlformats.'
        b'org/officeDocument/2006/relationships/footnotes" Target="footnotes.xml"/>'
        b"</Relationships>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def test_templated_footnotes_fall_back(tmp_path: Path) -> None:
    path = one_paragraph(tmp_path, "See note: {{ name }}")
    _add_footnotes(path, "Source: {{ source }}")
    assert letters._load(path).package.fallback == "its footnotes hold template tags"
    assert letters.template_fields(path) == {"name", "source"}
    data = letters.render(path, {"name": "Ava", "source": "Zoë & Co"})
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert "Source: Zoë &amp; Co" in zf.read("word/footnotes.xml").decode()


def test_footnotes_are_checked(tmp_path: Path) -> None:
    path = one_paragraph(tmp_path, "See note")
    _add_footnotes(path, "{{ cycler.__init__ }}")
    (problem,) = letters.check_template(path, ["cycler"])
    assert problem.startswith(f"{path}: footnotes: '__init__' is private")


def test_plain_footnotes_keep_the_fast_path(tmp_path: Path) -> None:
    path = one_paragraph(tmp_path, "See note: {{ name }}")
    _add_footnotes(path, "No tags here")
    assert letters._load(path).package.fallback is None
    data = letters.render(path, {"name": "Ava"})
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert "No tags here" in zf.read("word/footnotes.xml").decode()


# --- PDF ------------------------------------------------------------------------------


def test_to_pdf_without_libreoffice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolMissing, match="apt-get install libreoffice-writer-nogui"):
        pdf.to_pdf([tmp_path / "a.docx"], tmp_path)
    with pytest.raises(ToolMissing, match="https://www.libreoffice.org/download/"):
        pdf.pdf_tool()


@pytest.mark.skipif(not (shutil.which("soffice") or shutil.which("libreoffice")),
                    reason="LibreOffice is not installed")
def test_to_pdf_next_to_each_letter_from_one_run(tmp_path: Path,
                                                  samples: dict[str, Path]) -> None:
    paths = []
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        paths.append(tmp_path / folder / f"{folder}-letter.docx")
        paths[-1].write_bytes(letters.render(samples["basic"], basic_context()))
    pdfs = pdf.to_pdf(paths)
    assert pdfs == [tmp_path / "a" / "a-letter.pdf", tmp_path / "b" / "b-letter.pdf"]
    assert all(p.read_bytes().startswith(b"%PDF-") for p in pdfs)
    assert pdf.to_pdf([]) == []


def test_to_pdf_refuses_two_letters_of_one_name(tmp_path: Path) -> None:
    if not (shutil.which("soffice") or shutil.which("libreoffice")):
        pytest.skip("LibreOffice is not installed")
    with pytest.raises(LetterError, match="two letters of the batch have the same name"):
        pdf.to_pdf([tmp_path / "a" / "x.docx", tmp_path / "b" / "x.docx"], tmp_path)


@pytest.mark.skipif(not (shutil.which("soffice") or shutil.which("libreoffice")),
                    reason="LibreOffice is not installed")
def test_to_pdf(tmp_path: Path, samples: dict[str, Path]) -> None:
    paths = []
    for name in ("one", "two"):
        paths.append(tmp_path / f"{name}.docx")
        paths[-1].write_bytes(letters.render(samples["basic"], basic_context()))
    pdfs = pdf.to_pdf(paths, tmp_path / "pdf")
    assert [p.name for p in pdfs] == ["one.pdf", "two.pdf"]
    assert all(p.read_bytes().startswith(b"%PDF") for p in pdfs)
