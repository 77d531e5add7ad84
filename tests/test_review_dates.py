"""Review dates (CLA-4): every workflow carries the policy it encodes and when it must be
reviewed, and `liaison check` warns once that date has passed."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Run

from engine.service.sources import parse_workflow as parse

WORKFLOWS = sorted((Path(__file__).resolve().parent.parent / "workflows").glob("*.yaml"))


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.stem)
def test_cla_4_every_workflow_names_its_policy_and_review_date(path: Path) -> None:
    workflow = parse(path)
    assert workflow.policy
    assert workflow.review_by is not None


def test_cla_4_check_warns_when_a_review_date_has_passed(school: Path,
                                                         cli: Callable[..., Run]) -> None:
    path = school / "workflows" / "external_contact.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"(?m)^review_by: .*$", "review_by: 2023-03-31", text),
                    encoding="utf-8")
    run = cli("check", "--school", school)
    assert run.code == 0
    warnings = [line for line in run.out.splitlines() if line.startswith("warning:")
                and "cli_identity" not in line]  # the tests' CLI believes --as (conftest)
    assert warnings == [f"warning: {path}: review_by 2023-03-31 has passed: review this "
                        "policy (CLA-4)"]
