"""Letters warm from the first (issue 14): a template's compiled form is kept on disk,
owner-only, keyed by the template's SHA-256 and the engine's; a fresh process (here: the
renderer's in-process cache emptied) loads it instead of compiling, and renders the same
bytes; an edited template is compiled again; an entry that is corrupt, or that others
could write, is ignored and made again."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest
from conftest import OPENING

from engine.letters import renderer as letters
from engine.service import compiled
from engine.service.liaison import Liaison

MEETING = {"meeting_at": ["2026-11-26T15:30"], "with_staff": ["HY09"]}
TEMPLATE = "conduct_meeting_request.docx"


def _fresh_process() -> None:
    letters._CACHE.clear()


def _letter(engine: Liaison) -> tuple[Path, bytes, dict]:  # type: ignore[type-arg]
    """A meeting request written by a real advance: its template, bytes and context."""
    case = engine.open("conduct_escalation", "S1004", "HY09", OPENING).case
    made = engine.advance(case, "request_meeting", "OF01", MEETING).documents[0]
    row = engine.store.documents(case_id=case)[-1]
    return (engine.school.letters_dir / TEMPLATE, (engine.school.root / made.path).read_bytes(),
            json.loads(row["context"])["context"])


def _entry(template: Path) -> Path:
    return compiled.folder() / f"{letters.compiled_key(template)}.bin"


def test_a_fresh_process_loads_the_kept_form_and_renders_the_same_letter(
        liaison: Liaison) -> None:
    _fresh_process()
    template, sent, context = _letter(liaison)  # compiled, and kept
    entry = _entry(template)
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert stat.S_IMODE(entry.parent.stat().st_mode) == 0o700
    assert compiled.warm(template) == "held"
    _fresh_process()
    assert compiled.warm(template) == "loaded"
    assert letters.render(template, context) == sent


def test_an_edited_template_is_compiled_again(liaison: Liaison, tmp_path: Path) -> None:
    template = tmp_path / "letters" / TEMPLATE
    template.parent.mkdir()
    shutil.copyfile(liaison.school.letters_dir / TEMPLATE, template)
    _fresh_process()
    assert compiled.warm(template) == "compiled"
    old_key = letters.compiled_key(template)
    shutil.copyfile(liaison.school.letters_dir / "conduct_resolution.docx", template)
    assert letters.compiled_key(template) != old_key
    _fresh_process()
    assert compiled.warm(template) == "compiled"  # the kept form was of other bytes
    assert letters.template_fields(template) == letters.template_fields(
        liaison.school.letters_dir / "conduct_resolution.docx")
    assert not letters.import_compiled(template, (compiled.folder() /
                                                  f"{old_key}.bin").read_bytes())


@pytest.mark.parametrize("damage", [b"", b"not a pickle", "truncated"])
def test_a_corrupt_entry_is_ignored_and_made_again(liaison: Liaison, damage: object) -> None:
    template = liaison.school.letters_dir / TEMPLATE
    _fresh_process()
    compiled.warm(template)
    entry = _entry(template)
    kept = entry.read_bytes()
    entry.write_bytes(kept[: len(kept) // 2] if damage == "truncated" else damage)  # type: ignore[arg-type]
    _fresh_process()
    assert compiled.warm(template) == "compiled"
    assert entry.read_bytes() == kept
    _fresh_process()
    assert compiled.warm(template) == "loaded"


def test_an_entry_others_could_write_or_read_is_not_used(liaison: Liaison) -> None:
    template = liaison.school.letters_dir / TEMPLATE
    _fresh_process()
    compiled.warm(template)
    entry = _entry(template)
    entry.chmod(0o644)
    _fresh_process()
    assert compiled.warm(template) == "compiled"  # and written again, owner-only
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    entry.parent.chmod(0o777)
    try:
        _fresh_process()
        assert compiled.warm(template) == "compiled"
    finally:
        entry.parent.chmod(0o700)


def test_a_cache_that_cannot_be_kept_costs_nothing_but_speed(
        liaison: Liaison, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file, not a folder")
    monkeypatch.setenv("LIAISON_CACHE", str(blocked / "letters"))
    _fresh_process()
    template, sent, _ = _letter(liaison)
    assert sent and not (blocked / "letters").exists()
    assert os.environ["LIAISON_CACHE"].endswith("letters")
