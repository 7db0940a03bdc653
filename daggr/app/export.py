"""Export a graph as a Hugging Face Space folder: ``app.py``, ``requirements.txt``,
``README.md`` (Space front matter) and the local modules the graph imports.

Graphs from a script: the script is copied (its ``__main__`` block replaced by
``graph.launch()``). Graphs from notebook cells: the cells' imports, definitions and
assignments are kept, runs and displays dropped, and the result is checked by importing
it; what cannot be exported (a lambda closing over an open connection, a function whose
source is gone) raises :class:`ExportError` naming the node and the fix.

Example:
    >>> import pathlib, tempfile
    >>> cells = ["from daggr import FnNode, Graph",
    ...          "def double(x: int) -> int:\\n    return 2 * x",
    ...          "g = Graph('double it', nodes=[FnNode(double, name='d')], persist_key=False)",
    ...          "g.run(d__x=2)"]
    >>> out = export_cells(cells, pathlib.Path(tempfile.mkdtemp()) / "space")
    >>> print((out / "app.py").read_text().splitlines()[-2:])
    ['if __name__ == "__main__":', '    g.launch()']
"""

from __future__ import annotations

import ast
import inspect
import json
import os
import re
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from daggr.errors import DaggrError

if TYPE_CHECKING:
    from daggr.graph import Graph

# Calls that do work rather than define the graph: dropped from notebook cells.
_ACTIONS = {
    "run", "run_async", "start", "launch", "show", "test", "export_space", "deploy",
    "history", "select", "staleness", "history_sql", "display", "print",
}  # fmt: skip
_SIMPLE = (str, int, float, bool, type(None), bytes)


class ExportError(DaggrError, ValueError):
    """The graph cannot be exported as is; the message says which node and what to change."""


# -- entry points ---------------------------------------------------------------------------
def export_space(
    graph: Graph,
    directory: str | os.PathLike[str],
    *,
    title: str | None = None,
    requirements: str | os.PathLike[str] | None = None,
    source: str | os.PathLike[str] | None = None,
    oauth: bool = False,
) -> Path:
    """Write a Space for ``graph`` into ``directory`` and return its path.

    The graph's definition is found where it was written: ``source`` if given, else the
    running script, else the notebook's cells (when called in a kernel). ``oauth=True``
    turns on "Sign in with Hugging Face" on the Space (``hf_oauth`` in its README):
    signed-in visitors get their own sheets and their calls use their own token.
    """
    from daggr.app.serve import in_notebook

    if source is not None:
        return export_source(source, directory, title=title, requirements=requirements, oauth=oauth)
    if in_notebook():
        from IPython import get_ipython

        cells = list(get_ipython().user_ns.get("In", []))[1:]
        return export_cells(
            cells, directory, title=title, requirements=requirements, expect=graph, oauth=oauth
        )
    main = sys.modules.get("__main__")
    script = getattr(main, "__file__", None)
    if script and Path(script).suffix == ".py":
        return export_source(script, directory, title=title, requirements=requirements, oauth=oauth)
    raise ExportError(
        "Cannot tell where this graph was defined. Pass source='app.py' (or a notebook path)."
    )


def export_source(
    source: str | os.PathLike[str],
    directory: str | os.PathLike[str],
    *,
    title: str | None = None,
    requirements: str | os.PathLike[str] | None = None,
    oauth: bool = False,
) -> Path:
    """Export the graph defined in a ``.py`` script or an ``.ipynb`` notebook."""
    path = Path(source)
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells = [
            "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in nb.get("cells", [])
            if c.get("cell_type") == "code"
        ]
        return export_cells(
            cells, directory, title=title, requirements=requirements, base=path.parent, oauth=oauth
        )
    if path.suffix != ".py":
        raise ExportError(f"{path}: export takes a .py script or an .ipynb notebook.")
    code = _script_app(path.read_text(encoding="utf-8"), path)
    return _write(code, path.parent, directory, title=title, requirements=requirements, oauth=oauth)


def export_cells(
    cells: Iterable[str],
    directory: str | os.PathLike[str],
    *,
    title: str | None = None,
    requirements: str | os.PathLike[str] | None = None,
    base: Path | None = None,
    expect: Graph | None = None,
    oauth: bool = False,
) -> Path:
    """Export the graph that notebook ``cells`` (their source texts) define."""
    if expect is not None:
        _check_nodes(expect)
    kept: list[str] = []
    for i, cell in enumerate(cells):
        kept += _definitions(cell, i)
    code = "\n\n".join(kept).strip() + "\n"
    graph, var = _probe(code, base or Path.cwd(), "the notebook's cells")
    if expect is not None and sorted(expect.nodes) != sorted(graph.nodes):
        raise ExportError(
            f"The notebook's cells rebuild graph '{graph.name}' with nodes "
            f"{sorted(graph.nodes)}, but the graph being exported has {sorted(expect.nodes)}. "
            "Re-run the notebook top to bottom (or define every node in a cell) and export again."
        )
    code += f'\n\nif __name__ == "__main__":\n    {var}.launch()\n'
    return _write(
        code, base or Path.cwd(), directory, title=title, requirements=requirements, oauth=oauth
    )


# -- building app.py ---------------------------------------------------------------------------
def _definitions(cell: str, index: int) -> list[str]:
    lines = [ln for ln in cell.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    text = "\n".join(lines)
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        raise ExportError(f"Cell {index + 1} is not valid Python: {exc}") from None
    keep = []
    for stmt in tree.body:
        if isinstance(stmt, (ast.Expr, ast.If, ast.For, ast.While, ast.With, ast.Try, ast.Assert)):
            continue
        if _does_work(stmt):
            continue
        keep.append(ast.get_source_segment(text, stmt, padded=False) or "")
    return [k for k in keep if k]


def _does_work(stmt: ast.AST) -> bool:
    for node in ast.walk(stmt):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            return False  # a definition: its body runs later, if at all
        if isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
            if name in _ACTIONS:
                return True
    return False


def _script_app(code: str, path: Path) -> str:
    """The script without its ``__main__`` block, launching its graph at the end."""
    tree = ast.parse(code)
    lines = code.splitlines()
    drop: set[int] = set()
    top_launch = False
    for stmt in tree.body:
        if _is_main_guard(stmt):
            drop.update(range(stmt.lineno - 1, stmt.end_lineno or stmt.lineno))
        elif any(
            isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute)
            and n.func.attr == "launch"
            for n in ast.walk(stmt)
        ):
            top_launch = True
    body = "\n".join(ln for i, ln in enumerate(lines) if i not in drop).rstrip() + "\n"
    if top_launch:
        return body
    _, var = _probe(body, path.parent, str(path))
    return body + f'\n\nif __name__ == "__main__":\n    {var}.launch()\n'


def _is_main_guard(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.If)
        and isinstance(stmt.test, ast.Compare)
        and isinstance(stmt.test.left, ast.Name)
        and stmt.test.left.id == "__name__"
    )


def _probe(code: str, base: Path, where: str) -> tuple[Graph, str]:
    """Import ``code`` (as the Space will) and return its graph and variable name."""
    import tempfile

    from daggr.app.hot_reload import load_script
    from daggr.graph import Graph

    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / "daggr_export_probe.py"
        probe.write_text(code, encoding="utf-8")
        sys.path.insert(0, str(base))
        try:
            graph, _ = load_script(probe)
        except LookupError:
            raise ExportError(f"No Graph is defined in {where}.") from None
        except Exception as exc:
            raise ExportError(
                f"The exported code from {where} fails when run on its own: "
                f"{type(exc).__name__}: {exc}. Define everything the graph uses in the "
                "script or in a cell (cells that only run or display are left out)."
            ) from exc
        finally:
            sys.path.remove(str(base))
    tree = ast.parse(code)
    names = [
        t.id
        for stmt in tree.body
        if isinstance(stmt, ast.Assign)
        for t in stmt.targets
        if isinstance(t, ast.Name)
    ]
    for name in reversed(names):
        if _defines_graph(tree, name):
            return graph, name
    if isinstance(graph, Graph):
        raise ExportError(f"Graph '{graph.name}' in {where} is not assigned to a variable.")
    raise ExportError(f"No Graph is defined in {where}.")


def _defines_graph(tree: ast.Module, name: str) -> bool:
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in stmt.targets
        ):
            call = stmt.value
            if isinstance(call, ast.Call):
                f = call.func
                if (isinstance(f, ast.Name) and f.id == "Graph") or (
                    isinstance(f, ast.Attribute) and f.attr == "Graph"
                ):
                    return True
    return False


def _check_nodes(graph: Graph) -> None:
    """Refuse nodes whose functions cannot be rebuilt from source."""
    from daggr.nodes.choice import ChoiceNode
    from daggr.nodes.fn import FnNode

    for name, node in graph.nodes.items():
        for variant in node.variants if isinstance(node, ChoiceNode) else [node]:
            if not isinstance(variant, FnNode):
                continue
            for role in ("fn", "preprocess", "postprocess"):
                fn = getattr(variant, role, None)
                if fn is not None:
                    _check_callable(name, role, fn)


def _check_callable(node: str, role: str, fn: Any) -> None:
    module = getattr(fn, "__module__", None)
    if module not in (None, "__main__") and not module.startswith("__daggr"):
        return  # importable from its module: the import line comes along
    try:
        inspect.getsource(fn)
    except (OSError, TypeError):
        raise ExportError(
            f"Node '{node}': the source of its {role} {getattr(fn, '__name__', fn)!r} is not "
            "available (was it created with exec or in a deleted cell?). Define it with def "
            "in a cell or a .py module and rebuild the node."
        ) from None
    for var, cell in zip(
        getattr(getattr(fn, "__code__", None), "co_freevars", ()),
        fn.__closure__ or (),
        strict=False,
    ):
        try:
            value = cell.cell_contents
        except ValueError:
            continue
        if not _simple(value):
            raise ExportError(
                f"Node '{node}': its {role} closes over '{var}' ({type(value).__name__}), which "
                "cannot be written into app.py. Create it at module level in the exported code "
                "(a cell that assigns it) or pass it in as an input."
            )


def _simple(value: Any, depth: int = 0) -> bool:
    if isinstance(value, _SIMPLE) or inspect.ismodule(value) or inspect.isfunction(value):
        return True
    if depth < 4 and isinstance(value, (list, tuple, set, frozenset)):
        return all(_simple(v, depth + 1) for v in value)
    if depth < 4 and isinstance(value, dict):
        return all(_simple(k, depth + 1) and _simple(v, depth + 1) for k, v in value.items())
    return False


# -- the folder ------------------------------------------------------------------------------
def _write(
    code: str,
    base: Path,
    directory: str | os.PathLike[str],
    *,
    title: str | None,
    requirements: str | os.PathLike[str] | None,
    oauth: bool = False,
) -> Path:
    from daggr.app.hot_reload import local_modules

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    (out / "app.py").write_text(code, encoding="utf-8")
    copied = []
    for mod in local_modules(out / "app.py", base):
        dest = out / mod.name
        if mod.is_dir():
            shutil.copytree(
                mod, dest, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy2(mod, dest)
        copied.append(mod.name)
    reqs = _requirements(code, base, requirements, out)
    (out / "requirements.txt").write_text("\n".join(reqs) + "\n", encoding="utf-8")
    graph_title = title or _graph_name(code) or "daggr app"
    (out / "README.md").write_text(readme(graph_title, oauth=oauth), encoding="utf-8")
    return out


def _graph_name(code: str) -> str | None:
    m = re.search(r"Graph\(\s*(?:name\s*=\s*)?(['\"])(.+?)\1", code)
    return m.group(2) if m else None


def daggr_requirements(out: Path) -> list[str]:
    """What makes this daggr run on the Space: a copy of it in ``out/daggr`` and its
    dependencies (see :mod:`daggr.app.vendor`), or ``$DAGGR_REQUIREMENT`` alone."""
    override = os.environ.get("DAGGR_REQUIREMENT")
    if override:
        return [override]
    from daggr.app.vendor import VendorError, vendor_daggr

    try:
        return vendor_daggr(out)
    except VendorError as exc:
        raise ExportError(str(exc)) from None


def _requirements(
    code: str, base: Path, given: str | os.PathLike[str] | None, out: Path
) -> list[str]:
    if given is not None:
        lines = [ln.strip() for ln in Path(given).read_text().splitlines() if ln.strip()]
    elif (base / "requirements.txt").is_file():
        lines = [ln.strip() for ln in (base / "requirements.txt").read_text().splitlines()]
        lines = [ln for ln in lines if ln]
    else:
        lines = third_party(code, base)
    # A "daggr" line would install the package index's daggr, another project.
    lines = [ln for ln in lines if not re.match(r"daggr\b", ln)]
    own = daggr_requirements(out)
    names = {_dist_name(ln) for ln in own}
    return own + [ln for ln in lines if _dist_name(ln) not in names]


def _dist_name(line: str) -> str:
    name = re.split(r"[\s\[<>=!~;@]", line.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def third_party(code: str, base: Path) -> list[str]:
    """Distributions that ``code``'s imports need (not stdlib, not local, not daggr)."""
    from importlib.metadata import packages_distributions

    tree = ast.parse(code)
    tops: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            tops.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            tops.add(node.module.split(".")[0])
    if re.search(r"\b(GradioNode|InferenceNode)\b", code):
        tops.update({"gradio_client", "huggingface_hub"})
    dists = packages_distributions()
    out = []
    for top in sorted(tops):
        if top in sys.stdlib_module_names or top == "daggr" or top.startswith("_"):
            continue
        if (base / f"{top}.py").exists() or (base / top).is_dir():
            continue
        for dist in dists.get(top, [top]):
            if dist not in out:
                out.append(dist)
    return out


def readme(title: str, sdk_version: str | None = None, oauth: bool = False) -> str:
    """The Space's README.md, whose front matter configures the Space: the gradio SDK runs
    ``python app.py`` on port 7860; ``oauth`` adds "Sign in with Hugging Face", whose
    tokens may call models and Spaces for the visitor (``inference-api``)."""
    if sdk_version is None:
        try:
            from importlib.metadata import version

            sdk_version = version("gradio")
        except Exception:
            sdk_version = "5.0.0"
    py = f"{sys.version_info.major}.{sys.version_info.minor}"
    safe = title.replace('"', "'")
    return (
        "---\n"
        f'title: "{safe}"\n'
        "emoji: 🔀\n"
        "colorFrom: blue\n"
        "colorTo: purple\n"
        "sdk: gradio\n"
        f'sdk_version: "{sdk_version}"\n'
        "app_file: app.py\n"
        f'python_version: "{py}"\n'
        + ("hf_oauth: true\nhf_oauth_scopes:\n  - inference-api\n" if oauth else "")
        + "pinned: false\n"
        "tags:\n"
        "  - daggr\n"
        "---\n\n"
        f"# {title}\n\n"
        "A [daggr](https://github.com/gradio-app/daggr) workflow. Open the Space to use the "
        "canvas, or call it over HTTP: `GET /api/schema`, `POST /api/call`.\n\n"
        "Note: Gradio-SDK Spaces run on compute; on the free cpu-basic hardware they may "
        "need a PRO subscription.\n"
    )
