"""What serving a graph needs, checked before anything starts.

starlette, uvicorn and websockets are dependencies of daggr, so ``pip install daggr`` has
them; an environment that skipped dependencies (``--no-deps``, a vendored copy) may not.
Without a websocket library uvicorn still serves the page, which then never connects: so
``launch()`` checks first and fails at once with the command that fixes it.

Example:
    >>> check_installed()  # everything is here: nothing happens
    >>> missing(["a_module_nobody_has"])
    ['a_module_nobody_has']
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib.util import find_spec

from daggr.errors import DaggrError

# module -> what to pip install; a tuple of modules means any one of them will do.
SERVING: dict[tuple[str, ...], str] = {
    ("starlette",): "starlette>=0.37",
    ("uvicorn",): "uvicorn>=0.30",
    ("websockets", "wsproto"): "websockets>=12",
}
MCP: dict[tuple[str, ...], str] = {("mcp",): "mcp>=1.8"}


class MissingDependency(DaggrError, ImportError):
    """A package that serving needs is not installed; the message has the pip command."""


def missing(modules: Iterable[str]) -> list[str]:
    """The modules of ``modules`` that cannot be imported (without importing any)."""
    out = []
    for name in modules:
        try:
            found = find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            out.append(name)
    return out


def check_installed(*, mcp: bool = False) -> None:
    """Raise :class:`MissingDependency` naming every missing package and the pip command."""
    wanted = {**SERVING, **(MCP if mcp else {})}
    lacking = [req for names, req in wanted.items() if len(missing(names)) == len(names)]
    if not lacking:
        return
    packages = " ".join(f'"{req}"' for req in lacking)
    names = ", ".join(req.split(">")[0] for req in lacking)
    hint = (
        ' (or pip install "daggr[mcp]")'
        if mcp and any(r.startswith("mcp") for r in lacking)
        else " (they are dependencies of daggr: an install with --no-deps leaves them out)"
    )
    raise MissingDependency(
        f"Serving this graph needs {names}, which {'is' if len(lacking) == 1 else 'are'} not "
        f"installed. Install with: pip install {packages}{hint}"
    )
