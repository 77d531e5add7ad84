"""`pip install .` (not only -e) still finds the shipped defaults.

Builds the wheel from the committed files (`pip wheel --no-deps`, in pip's isolated build
environment, so it fetches setuptools: marked slow, a few seconds), checks it carries
engine/_school with school.yaml, every workflow, letter and sample, then runs the CLI from
the unpacked wheel alone: `init` makes a school and `check` passes on it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ("school.yaml", "workflows/*.yaml", "letters/*.docx", "samples/*.csv")


def _tracked(patterns: tuple[str, ...]) -> list[str]:
    out = subprocess.run(["git", "ls-files", *patterns], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.split()
    return sorted(out)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout to know the committed files")
    source = tmp_path_factory.mktemp("source")
    for name in _tracked(()):
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out),
                    str(source)], check=True, capture_output=True, text=True, timeout=600)
    (built,) = out.glob("liaison-*.whl")
    return built


@pytest.mark.slow
def test_the_wheel_carries_the_shipped_school(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"engine/_school/{name}" for name in _tracked(SHIPPED)}
    assert "engine/_school/school.yaml" in expected
    assert any(n.startswith("engine/_school/workflows/") for n in expected)
    assert any(n.startswith("engine/_school/letters/") for n in expected)
    assert expected <= names, sorted(expected - names)
    assert "engine/cli/main.py" in names
    assert not any(n.startswith(("tests/", "cases/", "engine/_school/cases")) for n in names)


@pytest.mark.slow
def test_the_installed_wheel_makes_a_school_that_checks(wheel: Path, tmp_path: Path) -> None:
    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    env = {**os.environ, "PYTHONPATH": str(unpacked)}
    env.pop("LIAISON_SCHOOL", None)
    script = ("import sys, engine\nfrom engine.service import shipped\n"
              "from engine.cli.main import main\n"
              "print(engine.__file__)\nprint(shipped.source())\n"
              "code = main(['init', 'fresh'])\ncode = code or main(['check', '--school', "
              "'fresh'])\nsys.exit(code)\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == str(unpacked / "engine" / "__init__.py")
    assert lines[1] == str(unpacked / "engine" / "_school")
    assert any(line.startswith("ok: ") for line in lines)
    assert (tmp_path / "fresh" / "workflows" / "conduct_escalation.yaml").is_file()
