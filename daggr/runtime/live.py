"""Live feedback while a node runs: partial values, queue position and progress.

These are engine events like ``"node_started"`` and ``"node_finished"``: a call reports
them through its :class:`~daggr.runtime.call.CallContext`, which sends them through the
run's ``emit`` to the session and every view. Two payloads:

- :class:`Partial` (``"node_partial"``): the node's values so far, per output port, and
  for text that grew, only what was appended (views send deltas, never the whole text
  again);
- :class:`NodeProgress` (``"node_progress"``): a remote app's queue position and ETA, or
  progress as a fraction or a count, with a description.

Only the value a call finally returns becomes a result; partial values are never stored.

Node code reports progress with :func:`progress` (and ``tqdm`` bars inside a node are
picked up, see :func:`watch_tqdm`). Both find the call they run in by looking up the
stack for the frame of daggr's call seam, so that a plain function's fast path carries
no per-call bookkeeping for them.

Example:
    >>> NodeProgress("render", queue_position=3, queue_size=7, eta=12.4).text
    'queue 3/7 · ~12 s'
    >>> NodeProgress("render", fraction=0.4, description="denoising").text
    '40% · denoising'
    >>> NodeProgress("render", done=12, total=50, unit="steps").text
    '12/50 steps'
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from types import CodeType
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from daggr.runtime.call import CallContext

PARTIAL, PROGRESS = "node_partial", "node_progress"


# Events are NamedTuples: as cheap to make as a tuple, and their classes cost nothing to
# define (a dataclass costs a millisecond at import, before any run needs one).
class Partial(NamedTuple):
    """The values so far of a running node (``item``: of one scattered item).

    ``outputs`` holds every port's value so far; ``appended`` the text each grown text
    port gained since the previous partial of this call (the first one grows from "");
    ``replaced`` the other ports whose value changed. Ports in neither did not change.
    """

    node: str
    item: int | None
    outputs: dict[str, Any]
    appended: dict[str, str]
    replaced: tuple[str, ...] = ()


class NodeProgress(NamedTuple):
    """Where a running node stands, as its code or its remote app reports it.

    A remote app's queue: ``queue_position`` (1 = next) of ``queue_size``, ``eta`` in
    seconds. Progress: a ``fraction`` from 0 to 1, or ``done`` of ``total`` ``unit``, and
    a ``description``. :attr:`text` says it in a few words, as cards and progress bars
    show it.
    """

    node: str
    item: int | None = None
    queue_position: int | None = None
    queue_size: int | None = None
    eta: float | None = None
    fraction: float | None = None
    done: float | None = None
    total: float | None = None
    unit: str | None = None
    description: str | None = None

    @property
    def queued(self) -> bool:
        return self.queue_position is not None

    @property
    def text(self) -> str:
        """``"queue 3/7 · ~12 s"``, ``"40% · denoising"``, ``"12/50 steps"``, ..."""
        parts: list[str] = []
        if self.queue_position is not None:
            size = f"/{self.queue_size}" if self.queue_size else ""
            parts.append(f"queue {self.queue_position}{size}")
            if self.eta is not None and self.eta >= 0:
                parts.append(f"~{_seconds(self.eta)}")
        elif self.done is not None:
            total = f"/{_count(self.total)}" if self.total else ""
            unit = f" {self.unit}" if self.unit and self.unit != "it" else ""
            parts.append(f"{_count(self.done)}{total}{unit}")
        elif self.fraction is not None:
            parts.append(f"{round(self.fraction * 100)}%")
        if self.description:
            parts.append(self.description)
        return " · ".join(parts)

    @property
    def share(self) -> float | None:
        """How much is done, from 0 to 1, when that is known."""
        if self.queue_position is not None:
            return None
        if self.fraction is not None:
            return min(max(self.fraction, 0.0), 1.0)
        if self.done is not None and self.total:
            return min(max(self.done / self.total, 0.0), 1.0)
        return None


def _seconds(value: float) -> str:
    if value < 60:
        return f"{round(value)} s"
    return f"{int(value // 60)} min {round(value % 60):02d} s"


def _count(value: float | None) -> str:
    if value is None:
        return "?"
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def text_deltas(
    last: dict[str, Any], outputs: dict[str, Any]
) -> tuple[dict[str, str], tuple[str, ...]]:
    """(text appended per grown port, ports replaced) between two partial values.

    Example:
        >>> text_deltas({"out": "Once upon"}, {"out": "Once upon a time", "n": 3})
        ({'out': ' a time'}, ('n',))
    """
    appended: dict[str, str] = {}
    replaced: list[str] = []
    for port, value in outputs.items():
        old = last.get(port, "" if type(value) is str else None)
        if value is old:
            continue
        if type(value) is str and type(old) is str:
            if len(value) >= len(old) and value.startswith(old):
                if len(value) > len(old):
                    appended[port] = value[len(old) :]
                continue
        elif _same(value, old):
            continue
        replaced.append(port)
    return appended, tuple(replaced)


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b) if type(a) is type(b) else False
    except Exception:  # arrays compare element-wise; anything odd counts as changed
        return False


# -- finding the call that node code runs in ------------------------------------------------
# Code objects of daggr's functions that run node code, each with how to read the
# CallContext from its frame. Looked up only when node code reports progress (a walk up
# a few frames), never on a plain call.
_FRAMES: dict[CodeType, Callable[[Any], CallContext | None]] = {}


def frame_reader(fn: Callable, read: Callable[[Any], CallContext | None]) -> None:
    """Declare that node code called by ``fn`` runs in the call that ``read(frame)`` gives
    (a frame of ``fn``)."""
    _FRAMES[fn.__code__] = read


def current_call() -> CallContext | None:
    """The call of node code running in this thread (or task), if any."""
    frame = sys._getframe(1)
    frames = _FRAMES
    while frame is not None:
        read = frames.get(frame.f_code)
        if read is not None:
            return read(frame)
        frame = frame.f_back
    return None


def progress(
    value: float | tuple[float, float] | None = None,
    desc: str | None = None,
    *,
    total: float | None = None,
    unit: str | None = None,
) -> None:
    """Report the progress of the node whose code calls it: its card, ``graph.stream()``,
    the REST stream and the progress bar of ``graph.run()`` show it. Call it from the
    thread (or task) that runs the node's code; outside a run (in ``node.test()``, in
    plain Python, in a thread the node started) it does nothing.

    Args:
        value: a fraction from 0 to 1, or ``(done, total)``, or a count of ``total``.
        desc: a few words on what is happening ("denoising").
        total: with a count, what it counts up to.
        unit: what is counted ("steps", "images").

    Example:
        >>> from daggr import FnNode, Graph, progress
        >>> def render(frames: int) -> str:
        ...     for i in range(frames):
        ...         progress((i + 1, frames), "rendering", unit="frames")
        ...     return "done"
        >>> Graph("p", nodes=[FnNode(render)], persist_key=False).run(render__frames=3)["render"]
        {'output': 'done'}
    """
    ctx = current_call()
    if ctx is None or ctx.emit is None:
        return
    if isinstance(value, tuple):
        done, total = value
        ctx.progress(done=done, total=total, unit=unit, description=desc)
    elif total is not None:
        ctx.progress(done=value, total=total, unit=unit, description=desc)
    else:
        ctx.progress(fraction=value, unit=unit, description=desc)


# -- tqdm inside node code ------------------------------------------------------------------
_tqdm_lock = threading.Lock()
_tqdm_state = {"patched": False, "waiting": False}
_muted = threading.local()


class muted:
    """Within it, tqdm bars of this thread are not reported (daggr's own run bar, drawn
    while a node reports progress)."""

    def __enter__(self) -> None:
        _muted.on = True

    def __exit__(self, *exc: Any) -> None:
        _muted.on = False


def watch_tqdm() -> None:
    """Report ``tqdm`` bars that node code draws as the node's progress. tqdm is patched
    once it is imported (now, or later by the node code itself); daggr never imports it
    for this."""
    if _tqdm_state["patched"] or _tqdm_state["waiting"]:
        return
    with _tqdm_lock:
        if _tqdm_state["patched"] or _tqdm_state["waiting"]:
            return
        module = sys.modules.get("tqdm.std")
        if module is not None:
            _patch_tqdm(module)
        else:
            _tqdm_state["waiting"] = True
            sys.meta_path.insert(0, _TqdmFinder())


def _patch_tqdm(module: Any) -> None:
    if _tqdm_state["patched"]:
        return
    _tqdm_state["patched"] = True
    bar_class = module.tqdm
    init, update, close = bar_class.__init__, bar_class.update, bar_class.close

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        _report_bar(self)

    def update_(self: Any, n: float = 1) -> Any:
        shown = update(self, n)
        _report_bar(self)
        return shown

    def close_(self: Any) -> None:
        if not getattr(self, "disable", False) and getattr(self, "total", None):
            _report_bar(self)
        close(self)

    bar_class.__init__ = __init__
    bar_class.update = update_
    bar_class.close = close_


def _report_bar(bar: Any) -> None:
    if getattr(_muted, "on", False):
        return
    ctx = current_call()
    if ctx is None or ctx.emit is None:
        return
    try:
        told = (bar.n, bar.total, bar.desc)
        if getattr(bar, "_daggr_told", None) == told:  # closing a bar says nothing new
            return
        bar._daggr_told = told
        ctx.progress(
            done=bar.n,
            total=bar.total,
            unit=bar.unit,
            description=(bar.desc or "").rstrip(": ") or None,
        )
    except AttributeError:  # a bar closed or never set up: nothing to say
        pass


class _TqdmFinder:
    """Patches tqdm right after ``tqdm.std`` is imported, then steps aside."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name != "tqdm.std":
            return None
        sys.meta_path.remove(self)
        from importlib.util import find_spec

        spec = find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def patched_exec(module: Any) -> None:
            exec_module(module)
            with _tqdm_lock:
                _tqdm_state["waiting"] = False
                _patch_tqdm(module)

        spec.loader.exec_module = patched_exec  # type: ignore[method-assign]
        return spec
