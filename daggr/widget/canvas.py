"""The Canvas widget: a live view of a graph's session in a notebook cell.

The session is the single source of truth; the canvas mirrors it in traits split by how
often they change (``topology`` when the graph changes, ``node_state`` on every run event,
``inputs`` when a value is edited, ``viewport`` on pan, zoom and drag, ``sheets`` when
sheets change) and turns the front end's requests into session calls that return at once.
After runs, edits, selections and sheet switches the canvas recomputes every node's
state from the session (staleness included) and sends only the fields that changed.
Media are fetched on request as binary buffers; only small thumbnails, for the read-only
copy a saved notebook shows without a kernel, are kept in a trait (``saved_copy.py``). A
running node's progress is a field of its state; its values so far go out as ``partial``
deltas (:mod:`daggr.widget.partials`), in the same per-frame messages as state changes.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anywidget
import traitlets

from daggr.errors import DaggrError
from daggr.records import Status
from daggr.runtime.live import PARTIAL, PROGRESS
from daggr.values import DisplayError, encode
from daggr.widget import bridge
from daggr.widget.canvas_actions import CanvasActions
from daggr.widget.deltas import Deltas
from daggr.widget.partials import PartialStreams
from daggr.widget.protocol import (
    MessageError,
    error_message,
    fetch_error_message,
    fetched_message,
    parse_request,
)
from daggr.widget.saved_copy import SavedCopy
from daggr.widget.static_copy import drawing, drawing_svg

if TYPE_CHECKING:
    from daggr.graph import Graph
    from daggr.runtime.result import RunHandle
    from daggr.session import Session

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


class Canvas(CanvasActions, SavedCopy, Deltas, anywidget.AnyWidget):
    """An interactive canvas for a graph: cards with inputs, run buttons and results.

    Runs started from the canvas happen on daggr's own loop thread (cells keep working);
    runs started from code (``graph.run()``) update every open canvas live.

    Args:
        source: the session to show (one web visitor's, say), or a graph: its own
            session (``graph.session``) is shown.
        height: the canvas height in pixels.
        static_copy: keep the notebook's saved copy current (thumbnails in the widget
            state, the drawing of its displays); off for canvases no notebook saves.

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
    sheets = traitlets.Dict().tag(sync=True)
    height = traitlets.Int(520).tag(sync=True)
    # result id -> port -> a small PNG/JPEG (static_copy.py): what a saved notebook shows
    # in place of the media a kernel-less copy cannot fetch. Bounded in size.
    thumbnails = traitlets.Dict().tag(sync=True)

    def __init__(
        self,
        source: Graph | Session,
        *,
        height: int = 520,
        static_copy: bool = True,
        **kwargs: Any,
    ) -> None:
        from daggr.graph import Graph

        self.session = source.session if isinstance(source, Graph) else source
        self.graph = self.session.graph
        self._lock = threading.RLock()
        self._quiet = threading.local()
        self._handling = threading.local()  # set while a front-end request is handled
        self._item_progress: dict[str, tuple[int, int]] = {}  # node -> (done, failed) this run
        self._handles: list[RunHandle] = []
        self._seen_inputs: dict[str, Any] | None = None
        self._partials = PartialStreams()
        self._burst: list[dict[str, Any]] = []  # edit_items marked "more", not yet applied
        topo = bridge.topology(self.session)
        self._adopt(topo)
        super().__init__(
            topology=topo,
            node_state=bridge.node_states(self.session),
            inputs=bridge.input_values(self.session, {**self._fields, **self._media}),
            viewport=bridge.saved_viewport(self.session),
            sheets=bridge.sheets_info(self.session),
            height=height,
            **kwargs,
        )
        self.on_msg(self._on_message)
        self._unsubscribe = bridge.subscribe(self.session, self._on_event)
        self._init_saved_copy(static_copy)

    def __repr__(self) -> str:
        return f"Canvas({self.graph.name!r}: {len(self.graph.nodes)} nodes)"

    def close(self) -> None:
        """Stop following the session and close the widget (runs keep going)."""
        self._unsubscribe()
        self._stop_saved_copy()
        self._flush_states()
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
        """What a notebook shows where widgets do not run: the static drawing of the
        graph as it is now (results and thumbnails), marked as a static copy. Displays
        of the canvas are brought up to date at the end of every cell (:meth:`checkpoint`)."""
        return self._drawn_with(drawing)

    def static_svg(self) -> str:
        """The static drawing alone, as one ``<svg>`` element."""
        return self._drawn_with(drawing_svg)

    def _drawn_with(self, draw: Any) -> str:
        with self._lock:
            thumbnails = self._current_thumbnails()
            return draw(self.topology, self.node_state, self.inputs, self.viewport, thumbnails)

    def _pictures_shown(self) -> list[tuple[str, str, str]]:
        return bridge.pictures_shown(self.node_state)

    def _picture(self, nid: str, result_id: str, port: str) -> bytes | None:
        return bridge.picture(self.session, result_id, port, self._kinds.get((nid, port)))

    # -- graph changes ----------------------------------------------------------------------
    def _adopt(self, topo: dict[str, Any]) -> None:
        self._version = topo["version"]
        self._names = bridge.node_names(self.graph)
        self._ids = {name: nid for nid, name in self._names.items()}
        self._fields = bridge.editable_fields(topo)
        self._media = bridge.media_fields(topo)
        self._lists = bridge.item_list_fields(topo)
        self._kinds = {
            (n["id"], o["name"]): (o.get("component") or {}).get("kind")
            for n in topo["nodes"]
            for o in n["outputs"]
        }
        self._components = {
            self._ids[name]: node._output_components for name, node in self.graph.nodes.items()
        }

    def _refresh_topology(self) -> None:
        """Re-send the topology if nodes were added since (a rare, whole-value update)."""
        if bridge.graph_version(self.graph) == self._version:
            return
        with self._lock:
            topo = bridge.topology(self.session)
            self._adopt(topo)
            with self.hold_sync():
                self.topology = topo
                self.node_state = bridge.node_states(self.session)
                self.inputs = bridge.input_values(self.session, {**self._fields, **self._media})

    # -- session events (worker threads) ---------------------------------------------------------
    def _on_event(self, kind: str, payload: Any) -> None:
        self._track(kind)
        if kind == "node_started":
            counted = self._item_progress.pop(payload, None)
            self._refresh_topology()
            self._sync_inputs()
            nid = self._ids.get(payload)
            if nid is not None:
                patch = bridge.started_patch(self.session, payload)
                if counted is not None:  # clear the last run's item count from the card
                    patch["items_total"] = None
                with self._lock:
                    if self._partials.has(nid):  # the last run's values so far go
                        self._partials.forget(nid)
                        patch["stream"] = None
                self._push_states({nid: patch})
        elif kind == PARTIAL:
            nid = self._ids.get(payload.node)
            if nid is not None and payload.item is None:  # items show as rows, not values
                with self._lock:
                    new = not self._partials.has(nid)
                    ops = self._partials.ops(nid, payload, self._components.get(nid, {}))
                if new:  # the card follows this stream's deltas (and fetches by its id)
                    self._push_states({nid: {"stream": self._partials.stream_id(nid)}})
                self._push_partial(nid, ops)
        elif kind == PROGRESS:
            nid = self._ids.get(payload.node)
            if nid is not None and payload.item is None:
                self._push_states({nid: bridge.progress_patch(payload)})
        elif kind == "item_finished":
            name, _index, status, total = payload
            nid = self._ids.get(name)
            if nid is not None:
                with self._lock:
                    done, failed = self._item_progress.get(name, (0, 0))
                    done, failed = done + 1, failed + (status != Status.OK)
                    self._item_progress[name] = (done, failed)
                self._push_states({nid: bridge.items_patch(done, failed, total)})
        elif kind == "node_finished":
            nid = self._ids.get(payload.node)
            if nid is not None:
                patch = bridge.finished_patch(self.session, payload)
                patch.update(self._failure_patch(nid, payload))
                if self.node_state.get(nid, {}).get("progress"):
                    patch["progress"] = None
                with self._lock:
                    if self._partials.has(nid):
                        # Its last values so far go out before the outcome that ends them;
                        # a failed node keeps showing them, next to its error.
                        self._send_pending()
                        if payload.status != "error":
                            self._partials.forget(nid)
                            patch["stream"] = None
                self._push_states({nid: patch})
        elif kind == "run_finished":
            with self._lock:
                self._handles = [h for h in self._handles if not h.done()]
            if self._needs_reconcile(payload):
                self._reconcile()
            self._flush_states()  # the run's last deltas need not wait for the interval
            self._note_change(settle=True)
        elif kind == "state_changed" and not getattr(self._handling, "active", False):
            # Changed from a cell (graph.select(), graph.sheet = ..., inputs): show it now.
            # Changes the canvas makes itself are refreshed by its own handlers.
            if payload == "sheet":
                self._reload()
            else:
                self._sync_inputs()
                self._reconcile()
            self._note_change(settle=True)

    def _reconcile(self, reload: bool = False) -> None:
        """Bring every card in line with the session (selections, history, staleness),
        sending only the fields that changed."""
        with self._lock:
            shown = {} if reload else {nid: st.get("rid") for nid, st in self.node_state.items()}
            desired = bridge.node_states(self.session, shown)
            patches = bridge.diff_states(self.node_state, desired, reload)
            if patches:
                self._push_states(patches)

    def _sync_inputs(self, force: tuple[str, ...] = ()) -> None:
        """Mirror inputs changed elsewhere (``graph.run(node__port=...)``, a selection, a
        sheet switch, an upload)."""
        seen = dict(self.session.inputs)
        if not force and seen == self._seen_inputs:
            return  # nothing changed since the last look (every node start asks)
        self._seen_inputs = seen
        current = bridge.input_values(self.session, {**self._fields, **self._media})
        changed = {
            k: v for k, v in current.items() if k in force or self.inputs.get(k, object()) != v
        }
        if changed:
            self._push_inputs(changed)

    # -- front-end requests (the kernel's main thread; never blocks) -----------------------
    def _on_message(self, _widget: Any, content: Any, buffers: Any) -> None:
        self._refresh_topology()
        try:
            req = parse_request(content, self._names, self._media, self._lists)
            req["buffers"] = list(buffers or [])
        except MessageError as exc:
            kind = content.get("type") if isinstance(content, dict) else None
            if kind == "edit_items":
                self._burst = []  # a burst with a bad edit is dropped whole
            self.send(error_message(str(exc), kind if isinstance(kind, str) else None))
            return
        handler = getattr(self, f"_on_{req['type']}")
        self._handling.active = True
        try:
            handler(req)
            if self._changed or req["type"] in ("move", "layout"):  # the drawing changes
                self._note_change(settle=True)
        except DaggrError as exc:
            self.send(error_message(str(exc), req["type"]))
            if req["type"] in ("select", "variant", "sheet"):
                self._reload()
            elif req["type"] == "edit_items":
                # Put the card's controls back on the kernel's items.
                lists = self.node_state.get(req["node"], {}).get("lists")
                self._push_states({req["node"]: {"lists": lists}})
                self._flush_states()
        finally:
            self._handling.active = False

    def _on_run(self, req: dict[str, Any]) -> None:
        name = self._names[req["node"]]
        # Edits the card had not sent yet come with the run (see onRunClick in view.ts).
        if req["inputs"]:
            self._apply_inputs(req["inputs"])
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
        self._apply_inputs({req["key"]: req["value"]})

    def _apply_inputs(self, values: dict[str, Any]) -> None:
        shown = {k: self._fields[k] for k in values if k in self._fields}
        try:
            bridge.set_inputs(self.session, values)
        except DaggrError:
            # Put the front end back on the kernel's values before reporting the error.
            current = bridge.input_values(self.session, shown)
            if current:
                self._push_inputs(current)
            raise
        # The front end shows what it sent already; other fields sharing an input follow.
        with self._lock, self._quietly("inputs"):
            self.inputs = {**self.inputs, **{k: values[k] for k in shown}}
        self._sync_inputs()
        self._reconcile()

    # A burst of item edits becomes ONE history row: the front end debounces edits per
    # ItemList output (every field of every item edited within the window is coalesced,
    # js/src/items.ts) and sends them back to back, all but the last marked "more"; they
    # are applied together here. Replacing the last edited row instead is not possible:
    # history rows are append-only (the store has no delete), and rewriting a row that a
    # cell may already hold (node.history) would change a result under its reader.
    MAX_BURST = 10_000

    def _on_edit_items(self, req: dict[str, Any]) -> None:
        key = (req["node"], req["port"])
        if self._burst and (self._burst[0]["node"], self._burst[0]["port"]) != key:
            self._burst = []  # an unfinished burst for another output: dropped
        self._burst.append(req)
        if req["more"]:
            if len(self._burst) > self.MAX_BURST:
                self._burst = []
                raise MessageError(f"More than {self.MAX_BURST} item edits in one burst.")
            return
        burst, self._burst = self._burst, []
        edits = [(r["index"], r["field"], r["value"]) for r in burst]
        bridge.edit_items(self.session, self._names[req["node"]], req["port"], edits)
        self._reconcile()

    def _on_move(self, req: dict[str, Any]) -> None:
        with self._lock, self._quietly("viewport"):
            positions = {**self.viewport.get("positions", {}), req["node"]: [req["x"], req["y"]]}
            self.viewport = {**self.viewport, "positions": positions}
        # The front end debounces moves and pans, so each one is worth saving.
        bridge.save_viewport(self.session, self.viewport)

    def _on_viewport(self, req: dict[str, Any]) -> None:
        with self._lock, self._quietly("viewport"):
            self.viewport = {**self.viewport, "x": req["x"], "y": req["y"], "zoom": req["zoom"]}
        bridge.save_viewport(self.session, self.viewport)

    def _on_select(self, req: dict[str, Any]) -> None:
        bridge.select(self.session, self._names[req["node"]], req["index"])
        self._sync_inputs()
        self._reconcile()

    def _on_variant(self, req: dict[str, Any]) -> None:
        bridge.set_variant(self.session, self._names[req["node"]], req["index"])
        self._reconcile()

    def _on_sheet(self, req: dict[str, Any]) -> None:
        with self._lock:
            busy = [h for h in self._handles if not h.done()]
        if busy and req["action"] in ("switch", "new", "delete"):
            raise DaggrError("A run is in progress; stop it or wait before changing sheets.")
        bridge.sheet_action(self.session, req["action"], req["name"], req["new_name"])
        self._reload()

    def _reload(self) -> None:
        """Show the session's current sheet: its inputs, results, viewport and sheet list."""
        with self._lock:
            with self.hold_sync():
                self.sheets = bridge.sheets_info(self.session)
                viewport = bridge.saved_viewport(self.session)
                if viewport != self.viewport:
                    self.viewport = viewport
            self._sync_inputs()
            self._reconcile(reload=True)

    def _on_fetch(self, req: dict[str, Any]) -> None:
        rid = req["id"]
        try:
            if "result" in req and self._partials.names(req["result"]):
                node = self._partials.node_of(req["result"])
                value = self._partials.value(req["result"], req["port"])
                data, mime, name = encode(value, self._kinds.get((node, req["port"])), req["item"])
            elif "key" in req:
                kind = self._media[req["key"]].get("kind")
                data, mime, name = bridge.fetch_input(self.session, req["key"], req["item"], kind)
            else:
                node = self._kinds_node(req["result"])
                kind = self._kinds.get((node, req["port"])) if node else None
                data, mime, name = bridge.fetch_result(
                    self.session, req["result"], req["port"], req["item"], kind
                )
        except DisplayError as exc:
            self.send(fetch_error_message(rid, str(exc)))
            return
        self.send(fetched_message(rid, mime, name), buffers=[data])

    def _kinds_node(self, result_id: str) -> str | None:
        record = self.session.results.by_id(result_id)
        return self._ids.get(record.node) if record is not None else None

    def _on_upload(self, req: dict[str, Any]) -> None:
        buffers = req["buffers"]
        if len(buffers) != 1:
            raise MessageError(f"An upload carries one binary buffer, got {len(buffers)}.")
        bridge.upload(self.session, req["key"], bytes(buffers[0]), req["name"])
        self._sync_inputs(force=(req["key"],))
        self._reconcile()
