"""docs/workflows.md documents every key the workflow loader accepts (issue 16): a key, a
rule or a calculation added to the loader without a word in the document fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.core import definitions, derive, rules

DOC = (Path(__file__).resolve().parent.parent / "docs" / "workflows.md").read_text("utf-8")
KEYS = sorted({*definitions.TOP_KEYS, *definitions.EVENT_KEYS, *definitions.STATE_KEYS,
               *definitions.DEADLINE_KEYS, "each", "up", *rules.GUARDS, *derive.CALCS})


@pytest.mark.parametrize("key", KEYS)
def test_every_key_the_loader_accepts_is_in_docs_workflows_md(key: str) -> None:
    assert re.search(rf"`{key}[:`]|\b{key}:", DOC), f"docs/workflows.md never shows {key}:"


def test_the_field_types_are_all_named() -> None:
    for kind in definitions.FIELD_TYPES:
        assert f"`{kind}`" in DOC, kind
