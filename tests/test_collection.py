"""Any subset of test folders collects, and the fast loop keeps most of the suite.

Test helpers live in ordinary modules imported as ``tests.<folder>.<module>`` (every
folder is a package), never ``from conftest import ...``: which ``conftest`` module a
bare name finds depends on which folders pytest collected first.
"""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
FOLDERS = sorted(p.name for p in TESTS.iterdir() if p.is_dir() and any(p.glob("test_*.py")))
FAST_LOOP = "not slow and not e2e"
# A helper imported by its bare module name works only when its folder is on sys.path.
BARE_HELPER_IMPORT = re.compile(
    r"^\s*(?:from|import)\s+(conftest|test_\w+|\w+_helpers|graphs|loopback|fake_hub|"
    r"jupyter_harness)\b",
    re.M,
)


def _collect(*args: str) -> tuple[int, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return proc.returncode, proc.stdout + proc.stderr


def test_every_test_folder_is_a_package_and_imports_helpers_by_package() -> None:
    missing = [f"tests/{name}" for name in FOLDERS if not (TESTS / name / "__init__.py").exists()]
    if not (TESTS / "__init__.py").exists():
        missing.append("tests")
    assert not missing, (
        f"test folders without __init__.py: {missing}; add an empty one so that their "
        f"modules import as tests.<folder>.<module>"
    )
    bare = [
        f"{path.relative_to(REPO)}: {m.group(0).strip()}"
        for path in sorted(TESTS.rglob("*.py"))
        for m in BARE_HELPER_IMPORT.finditer(path.read_text())
    ]
    assert not bare, (
        "import test helpers through their package (from tests.store.store_helpers import "
        "rec), not by bare name:\n" + "\n".join(bare)
    )


@pytest.mark.slow  # fifteen pytest processes
@pytest.mark.parametrize("pair", list(itertools.combinations(FOLDERS, 2)), ids="+".join)
def test_every_pair_of_test_folders_collects_together(pair: tuple[str, str]) -> None:
    code, out = _collect(*(f"tests/{name}" for name in pair))
    assert code == 0, (
        f"pytest --collect-only tests/{pair[0]} tests/{pair[1]} failed:\n{out[-3000:]}"
    )
    assert re.search(r"\b\d+ tests? collected", out), out[-2000:]


@pytest.mark.slow  # collects the whole suite in a pytest process
def test_the_fast_loop_keeps_most_tests_and_every_folder() -> None:
    code, out = _collect("-m", FAST_LOOP)
    assert code == 0, out[-3000:]
    counts = re.search(r"(\d+)/(\d+) tests collected", out)
    assert counts, out[-2000:]
    selected, total = int(counts.group(1)), int(counts.group(2))
    assert selected >= total // 2, f"the fast loop runs only {selected} of {total} tests"
    chosen = {line.split("::")[0] for line in out.splitlines() if "::" in line}
    folders_hit = {Path(path).parent.name for path in chosen}
    # e2e is browser-only by definition; every other folder keeps its core tests
    missing = [name for name in FOLDERS if name != "e2e" and name not in folders_hit]
    assert not missing, f"the fast loop ({FAST_LOOP!r}) runs nothing from tests/{missing}"
    assert any(Path(path).parent == Path("tests") for path in chosen)
