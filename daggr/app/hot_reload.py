"""Load a script's graph and re-load it when files change (``daggr app.py``).

The script is imported as a module with :func:`daggr.app.launch` turned into a capture,
so both ``graph.launch()`` at top level and the ``if __name__ == "__main__":`` guard work:
the guard's body does not run (the module is not ``__main__``), and the first module-level
``Graph`` is used instead.

Example:
    >>> import pathlib, tempfile
    >>> script = pathlib.Path(tempfile.mkdtemp()) / "app.py"
    >>> _ = script.write_text("from daggr import FnNode, Graph\\n"
    ...     "g = Graph('hello', nodes=[FnNode(lambda: 1, name='one')], persist_key=False)\\n"
    ...     "g.launch()\\n")
    >>> load_graph(script).name
    'hello'
"""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from daggr.graph import Graph

_capture = threading.local()
_counter = itertools.count()


def capturing() -> Callable[..., None] | None:
    """The active capture while a script is being loaded, else None."""
    return getattr(_capture, "fn", None)


@contextlib.contextmanager
def _capture_launch(found: list[tuple[Graph, dict[str, Any]]]) -> Iterator[None]:
    def capture(graph: Graph, *args: Any, **kwargs: Any) -> None:
        found.append((graph, kwargs))

    _capture.fn = capture
    try:
        yield
    finally:
        _capture.fn = None


def load_graph(script: str | os.PathLike[str]) -> Graph:
    """Import ``script`` and return its graph (the one it launches, else the first
    module-level Graph). Raises ``LookupError`` when there is none."""
    return load_script(script)[0]


def load_script(script: str | os.PathLike[str]) -> tuple[Graph, dict[str, Any]]:
    """Like :func:`load_graph`, also returning the keyword arguments the script passed to
    ``launch()`` (so ``api_server=False`` in the script is honoured by ``daggr app.py``)."""
    from daggr.graph import Graph

    path = Path(script).resolve()
    name = f"__daggr_user_script_{next(_counter)}__"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"Cannot import {path}: not a Python file.")
    module = importlib.util.module_from_spec(spec)
    found: list[tuple[Graph, dict[str, Any]]] = []
    # Kept on sys.path afterwards, as `python app.py` would: node functions may import
    # the script's neighbours when they run, long after loading.
    if str(path.parent) not in sys.path:
        sys.path.insert(0, str(path.parent))
    sys.modules[name] = module
    try:
        with _capture_launch(found):
            spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    if found:
        return found[0]
    for value in vars(module).values():
        if isinstance(value, Graph):
            return value, {}
    raise LookupError(
        f"No Graph found in {path}. Make sure your script defines a Graph at module level "
        "or calls graph.launch()."
    )


def local_modules(script: Path, base: Path | None = None) -> list[Path]:
    """Python files (or packages) in ``base`` (default: the script's folder) that the
    script imports (``import x`` / ``from x import``)."""
    import ast

    try:
        tree = ast.parse(script.read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return []
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    folder = base or script.parent
    out = []
    for n in sorted(names):
        for cand in (folder / f"{n}.py", folder / n):
            if cand.exists() and cand.resolve() != script.resolve():
                out.append(cand)
    return out


def _mtimes(paths: list[Path]) -> dict[Path, float]:
    out = {}
    for p in paths:
        files = p.rglob("*.py") if p.is_dir() else [p]
        for f in files:
            with contextlib.suppress(OSError):
                out[f] = f.stat().st_mtime_ns
    return out


class Watcher:
    """Polls the script and its local modules; on a change, re-imports the script and
    calls ``on_graph(graph)``. A script that fails to import keeps the old graph served
    and prints the error.

    ``package_dirs`` (daggr's own code, with ``--watch-daggr``) cannot be re-imported in
    place: a change there calls ``on_package_change()`` instead (the CLI restarts)."""

    def __init__(
        self,
        script: Path,
        on_graph: Callable[[Graph], None],
        interval: float = 0.3,
        package_dirs: list[Path] | None = None,
        on_package_change: Callable[[], None] | None = None,
    ) -> None:
        self.script = Path(script).resolve()
        self.on_graph = on_graph
        self.interval = interval
        self.package_dirs = list(package_dirs or [])
        self.on_package_change = on_package_change
        self._stop = threading.Event()
        self._seen = _mtimes([self.script, *local_modules(self.script)])
        self._package_seen = _mtimes(self.package_dirs)
        self.thread = threading.Thread(target=self._loop, name="daggr-reload", daemon=True)

    def start(self) -> Watcher:
        self.thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            if self.package_dirs and self.on_package_change is not None:
                package_now = _mtimes(self.package_dirs)
                if package_now != self._package_seen:
                    self._package_seen = package_now
                    self.on_package_change()
                    continue
            now = _mtimes([self.script, *local_modules(self.script)])
            if now == self._seen:
                continue
            self._seen = now
            for mod in [m for m in sys.modules if _is_local(sys.modules[m], self.script.parent)]:
                sys.modules.pop(mod, None)  # local helpers re-import fresh
            try:
                graph = load_graph(self.script)
            except Exception:
                print(f"daggr: reloading {self.script.name} failed; still serving the old graph.")
                traceback.print_exc()
                continue
            print(f"daggr: reloaded {self.script.name} at {time.strftime('%H:%M:%S')}")
            self.on_graph(graph)


def _is_local(module: Any, folder: Path) -> bool:
    f = getattr(module, "__file__", None)
    if not f:
        return False
    try:
        p = Path(f).resolve()
    except OSError:
        return False
    return p.parent == folder and "site-packages" not in p.parts
