"""What coding assistants read about daggr stays true: every code block of the agent skill
(`.agents/skills/daggr/SKILL.md`) and of `llms.txt` runs, and every `# -> value`
comment is the value the line gives.

Python blocks of one file run in order in one namespace (offline, in a fresh
$DAGGR_HOME); a block starting with `# name.py` is also written to that file. Each
`daggr ...` line of a bash block runs the real command (one that serves is stopped once
it answers)."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / ".agents" / "skills" / "daggr" / "SKILL.md", ROOT / "llms.txt"]
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)
EXPECT = re.compile(r"#\s*->\s*(.+?)\s*$")


def blocks(path: Path) -> list[tuple[str, str, int]]:
    """(language, code, line number) of each fenced block."""
    text = path.read_text()
    return [
        (m.group(1), m.group(2), text.count("\n", 0, m.start()) + 2) for m in FENCE.finditer(text)
    ]


def run_python(code: str, namespace: dict, where: str) -> int:
    """Run a block statement by statement; check `# -> value` comments. Returns how many
    values were checked."""
    tree = ast.parse(code, where)
    lines = code.splitlines()
    checked = 0
    for stmt in tree.body:
        expect = EXPECT.search(lines[stmt.end_lineno - 1])
        if expect is None or not isinstance(stmt, ast.Expr):
            assert expect is None, f"{where}:{stmt.lineno}: `# ->` on a statement"
            exec(compile(ast.Module([stmt], []), where, "exec"), namespace)
            continue
        value = eval(compile(ast.Expression(stmt.value), where, "eval"), namespace)
        wanted = expect.group(1)
        try:
            ok = value == ast.literal_eval(wanted)
        except (ValueError, SyntaxError):
            ok = repr(value) == wanted
        assert ok, f"{where}:{stmt.lineno}: the docs say {wanted}, the code gives {value!r}"
        checked += 1
    return checked


def run_daggr(line: str, cwd: Path, env: dict[str, str], where: str) -> None:
    args = line.split()[1:]
    serves = args[0].endswith(".py") and "--delete-sheets" not in args
    command = [sys.executable, "-m", "daggr", *args]
    if not serves:
        done = subprocess.run(
            command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, f"{where}: `{line}` failed:\n{done.stdout}\n{done.stderr}"
        return
    proc = subprocess.Popen(
        [*command, "--port", "0", "--no-browser"],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        seen = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            out = proc.stdout.readline()
            if not out:
                break
            seen.append(out)
            url = re.search(r"running at (http://\S+)", out)
            if url:
                assert httpx.get(url.group(1) + "api/schema").status_code == 200
                return
        raise AssertionError(f"{where}: `{line}` did not serve:\n" + "".join(seen))
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_code_block_runs_and_says_true_values(doc, tmp_path, monkeypatch, daggr_home):
    monkeypatch.chdir(tmp_path)
    env = {**os.environ, "DAGGR_HOME": str(daggr_home), "PYTHONUNBUFFERED": "1"}
    namespace: dict = {"__name__": "daggr_docs"}
    found = blocks(doc)
    assert found, f"no code blocks in {doc}"
    checked = 0
    for lang, code, line in found:
        where = f"{doc.name}:{line}"
        first = code.splitlines()[0]
        if lang == "python":
            script = re.fullmatch(r"#\s*([\w-]+\.py)\s*", first)
            if script:
                (tmp_path / script.group(1)).write_text(code)
            checked += run_python(code, namespace, where)
        elif lang == "bash":
            for command in filter(None, (c.split("#")[0].strip() for c in code.splitlines())):
                assert command.startswith("daggr "), f"{where}: only daggr commands: {command}"
                run_daggr(command, tmp_path, env, where)
        else:
            pytest.fail(f"{where}: a ```{lang} block cannot be checked; use python or bash")
    assert checked >= 3, f"{doc.name} should show values with `# -> value`"


def test_the_skill_is_an_agentskills_file():
    text = DOCS[0].read_text()
    front = re.match(r"---\n(.*?)\n---\n", text, re.S)
    assert front, "SKILL.md starts with YAML front matter"
    assert re.search(r"^name: daggr$", front.group(1), re.M)
    assert re.search(r"^description: ", front.group(1), re.M)
    # what the skill must teach
    for topic in ("node.test()", "## Errors", "notebook", "graph.run(", "daggr app.py"):
        assert topic in text, topic
