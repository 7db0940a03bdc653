"""The Canvas widget: a live view of a graph's session in a notebook cell.

The session is the single source of truth; the canvas mirrors it in four traits split by
how often they change (``topology`` when the graph changes, ``node_state`` on every run
event, ``inputs`` when a value is edited, ``viewport`` on pan, zoom and drag) and turns
the front end's requests into session calls that return at once.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anywidget
import traitlets

from daggr.errors import DaggrError
from daggr.widget import bridge
from daggr.widget.protocol import (
    MessageError,
    error_message,
    inputs_message,
    node_state_message,
    parse_request,
)
from daggr.widget.svg import render_svg

if TYPE_CHECKING:
    from daggr.graph import Graph
    from daggr.runtime.result import RunHandle

STATIC = Path(__file__).resolve().parent.parent / "static"

# Shown instead of the canvas when the package was installed without its built front end
# (a source checkout installed with SKIP_JUPYTER_BUILDER=1, say).
_MISSING_BUNDLE = """
export default { render({ el }) {
  el.textContent = "daggr: the canvas bundle (daggr/static/widget.js) is missing. "
    + "Reinstall with Node.js available (pip install -e .) or run `npm ci && npm run build` in js/.";
} };
"""


def _asset(name: str, fallback: str) -> Path | str:
    path = STATIC / name
    return path if path.is_file() else fallback


class Canvas(anywidget.AnyWidget):
    """An interactive canvas for a graph: cards with inputs, run buttons and results.

    Runs started from the canvas happen on daggr's own loop thread (cells keep working);
    runs started from code (``graph.run()``) update every open canvas live.

    Args:
        graph: the graph to show; the canvas follows ``graph.session``.
        height: the canvas height in pixels.

    Example:
        >>> from daggr import FnNode, Graph
        >>> from daggr.widget import Canvas
        >>> g = Graph("demo", nodes=[FnNode(lambda: 1, name="one")], persist_key=False)
        >>> canvas = Canvas(g)           # the last line of a cell displays it
        >>> canvas.node_state["one"]["status"]
        'idle'
    """

    _esm = _asset("widget.js", _MISSING_BUNDLE)
    _css = _asset("widget.css", "")

    topology = traitlets.Dict().tag(sync=True)
    node_state = traitlets.Dict().tag(sync=True)
    inputs = traitlets.Dict().tag(sync=True)
    viewport = traitlets.Dict().tag(sync=True)
    height = traitlets.Int(520).tag(sync=True)

    def __init__(self, graph: Graph, *, height: int = 520, **kwargs: Any) -> None:
        self.graph = graph
        self.session = graph.session
        self._lock = threading.RLock()
        self._quiet = threading.local()
        self._handles: list[RunHandle] = []
        topo = bridge.topology(graph)
        self._adopt(topo)
        super().__init__(
            topology=topo,
            node_state=bridge.node_states(self.session),
            inputs=bridge.input_values(self.session, self._fields),
            viewport={},
            height=height,
            **kwargs,
        )
        self.on_msg(self._on_message)
        self._unsubscribe = bridge.subscribe(self.session, self._on_event)

    def __repr__(self) -> str:
        return f"Canvas({self.graph.name!r}: {len(self.graph.nodes)} nodes)"

    def close(self) -> None:
        """Stop following the session and close the widget (runs keep going)."""
        self._unsubscribe()
        super().close()

    # -- display ---------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict, dict] | None:
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        data, metadata = bundle
        data["text/plain"] = repr(self.graph)
        data["text/html"] = self.static_html()
        return data, metadata

    def static_html(self) -> str:
        """The graph as static SVG (what a notebook shows where widgets cannot render)."""
        return render_svg(
            self.topology, self.node_state, self.inputs, self.viewport.get("positions")
        )

    # -- quiet trait updates -----------------------------------------------------------------
    # The front end applies deltas to its own copy of these traits (js/src/index.ts), so the
    # kernel updates its copy without re-sending the whole value: what crosses the wire is
    # the delta alone, whatever the graph's size.
    def _should_send_property(self, key: str, value: Any) -> bool:
        if key in getattr(self._quiet, "keys", ()):
            return False
        return super()._should_send_property(key, value)

    @contextlib.contextmanager
    def _quietly(self, *keys: str) -> Iterator[None]:
        self._quiet.keys = keys
        try:
            yield
        finally:
            self._quiet.keys = ()

    def _push_states(self, patches: dict[str, dict[str, Any]]) -> None:
        with self._lock:
            merged = bridge.merge_states(self.node_state, patches)
            with self._quietly("node_state"):
                self.node_state = merged
            self.send(node_state_message(patches))

    def _push_inputs(self, values: dict[str, Any]) -> None:
        with self._lock:
            with self._quietly("inputs"):
                self.inputs = {**self.inputs, **values}
            self.send(inputs_message(values))

    # -- graph changes ----------------------------------------------------------------------
    def _adopt(self, topo: dict[str, Any]) -> None:
        self._version = topo["version"]
        self._names = bridge.node_names(self.graph)
        self._ids = {name: nid for nid, name in self._names.items()}
        self._fields = bridge.editable_fields(topo)

    def _refresh_topology(self) -> None:
        """Re-send the topology if nodes were added since (a rare, whole-value update)."""
        if bridge.graph_version(self.graph) == self._version:
            return
        with self._lock:
            topo = bridge.topology(self.graph)
            self._adopt(topo)
            with self.hold_sync():
                self.topology = topo
                self.node_state = bridge.node_states(self.session)
                self.inputs = bridge.input_values(self.session, self._fields)

    # -- session events (worker threads) ---------------------------------------------------------
    def _on_event(self, kind: str, payload: Any) -> None:
        if kind == "node_started":
            self._refresh_topology()
            self._sync_inputs()
            nid = self._ids.get(payload)
            if nid is not None:
                self._push_states({nid: bridge.started_patch(self.session, payload)})
        elif kind == "node_finished":
            nid = self._ids.get(payload.node)
            if nid is not None:
                self._push_states({nid: bridge.finished_patch(self.session, payload)})
        elif kind == "run_finished":
            with self._lock:
                self._handles = [h for h in self._handles if not h.done()]

    def _sync_inputs(self) -> None:
        """Mirror inputs a run from code changed (``graph.run(node__port=...)``)."""
        current = bridge.input_values(self.session, self._fields)
        changed = {k: v for k, v in current.items() if self.inputs.get(k, object()) != v}
        if changed:
            self._push_inputs(changed)

    # -- front-end requests (the kernel's main thread; never blocks) -----------------------
    def _on_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        self._refresh_topology()
        try:
            req = parse_request(content, self._names, self._fields)
        except MessageError as exc:
            kind = content.get("type") if isinstance(content, dict) else None
            self.send(error_message(str(exc), kind if isinstance(kind, str) else None))
            return
        handler = getattr(self, f"_on_{req['type']}")
        try:
            handler(req)
        except DaggrError as exc:
            self.send(error_message(str(exc), req["type"]))

    def _on_run(self, req: dict[str, Any]) -> None:
        name = self._names[req["node"]]
        # Held across start() so that the run's first events (pushed from worker threads,
        # which wait for this lock) arrive after the "pending" marks, never before.
        with self._lock:
            handle = bridge.start_run(self.session, name, req["mode"])
            self._handles.append(handle)
            members = [self._ids[n] for n in bridge.run_members(handle) if n in self._ids]
            if members:
                self._push_states({nid: bridge.pending_patch() for nid in members})

    def _on_stop(self, req: dict[str, Any]) -> None:
        name = self._names[req["node"]]
        with self._lock:
            handles = [h for h in self._handles if not h.done() and name in h.status]
        if not handles:
            raise DaggrError(
                f"Node '{name}' is not in a run started from this canvas. A run started "
                "from code stops with the notebook's interrupt (■) button."
            )
        for handle in handles:
            handle.cancel()

    def _on_set_input(self, req: dict[str, Any]) -> None:
        key = req["key"]
        try:
            bridge.set_input(self.session, key, req["value"])
        except DaggrError:
            # Put the front end back on the kernel's value before reporting the error.
            current = bridge.input_values(self.session, {key: self._fields[key]})
            if key in current:
                self._push_inputs({key: current[key]})
            raise
        with self._lock, self._quietly("inputs"):
            self.inputs = {**self.inputs, key: req["value"]}

    def _on_move(self, req: dict[str, Any]) -> None:
        with self._lock, self._quietly("viewport"):
            positions = {**self.viewport.get("positions", {}), req["node"]: [req["x"], req["y"]]}
            self.viewport = {**self.viewport, "positions": positions}

    def _on_viewport(self, req: dict[str, Any]) -> None:
        with self._lock, self._quietly("viewport"):
            self.viewport = {**self.viewport, "x": req["x"], "y": req["y"], "zoom": req["zoom"]}
