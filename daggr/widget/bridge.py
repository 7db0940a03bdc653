"""Everything the canvas asks of its session, in one module.

The canvas is a view of a :class:`~daggr.session.Session` (a notebook's, or one web
visitor's) and only talks to it here: :func:`node_state` says what a card shows for a
node, :func:`finished_patch` what changes when a node finishes, :func:`start_run` /
:func:`set_inputs` what the canvas's buttons and fields do. Values are shown through the
value registry (:mod:`daggr.values`), as everywhere else.

Example:
    >>> from daggr import FnNode, Graph
    >>> g = Graph("demo", nodes=[FnNode(lambda: 1, name="one")], persist_key=False)
    >>> topology(g.session)["nodes"][0]["kind"], node_state(g.session, "one")["status"]
    ('FN', 'idle')
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from daggr import values
from daggr.errors import DaggrError
from daggr.inputs import WIRE, Upload
from daggr.nodes.choice import ChoiceNode
from daggr.records import Status
from daggr.widget.protocol import EDITABLE

if TYPE_CHECKING:
    from daggr.graph import Edge, Graph
    from daggr.nodes.base import Node
    from daggr.provenance import Staleness
    from daggr.records import ResultRecord
    from daggr.runtime.live import NodeProgress
    from daggr.runtime.result import NodeOutcome, RunHandle
    from daggr.session import Session

Listener = Callable[[str, Any], None]

MAX_COMPONENT_VALUE = 10_000  # characters of a component's JSON default kept in topology
MAX_INPUT_VALUE = 20_000  # characters of an input value mirrored to the canvas
MAX_ITEMS_SHOWN = 50  # per-item rows of a scattered node on its card
ITEM_TEXT = 40
MAX_LIST_ITEMS = 200  # items of an ItemList output mirrored (and editable) on its card
MAX_LIST_TEXT = 2_000  # characters of one item field mirrored; a longer one is read-only

# A node's last status stays visible until the next run, except these, which say nothing
# about its result and so keep the previous preview on the card.
_KEEP_PREVIEW = (Status.SKIPPED, Status.CANCELLED)


# -- topology (changes when the graph does) ------------------------------------------------
def topology(session: Session) -> dict[str, Any]:
    """Nodes, ports, editable fields and edges, keyed by node id, in execution order."""
    graph = session.graph
    plan = session.plan()
    nodes = []
    for name in graph.get_execution_order():
        node = graph.nodes[name]
        nid = graph.id_of(name)
        wired = {e.target_port for e in graph.in_edges(name)}
        entry: dict[str, Any] = {
            "id": nid,
            "name": name,
            "kind": node.kind,
            "url": _url(node),
            "inputs": [
                {"name": p, "wired": p in wired}
                for p in node._input_ports
                if p not in node._fixed_inputs
            ],
            "outputs": [_output(node, p) for p in node._output_ports],
            "fields": [],
        }
        if isinstance(node, ChoiceNode):
            entry["variants"] = [v.name for v in node.variants]
            for i, (variant, key) in enumerate(
                zip(node.variants, plan.variant_keys[name], strict=True)
            ):
                entry["fields"] += _fields(variant, key, i)
        else:
            entry["fields"] = _fields(node, nid, None)
        nodes.append(entry)
    edges = [
        {
            "source": graph.id_of(e.source_node),
            "source_port": e.source_port,
            "target": graph.id_of(e.target_node),
            "target_port": e.target_port,
            "scatter": e.is_scattered,
            "gather": e.is_gathered,
            "item_key": e.item_key,
        }
        for e in graph.edges
    ]
    return {"name": graph.name, "version": graph._version, "nodes": nodes, "edges": edges}


def graph_version(graph: Graph) -> int:
    return graph._version


def node_names(graph: Graph) -> dict[str, str]:
    """Node id -> node name."""
    return {graph.id_of(n): n for n in graph.nodes}


def media_fields(topo: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Input key -> component, for file inputs the canvas may upload into."""
    return {
        f["key"]: f["component"]
        for n in topo["nodes"]
        for f in n["fields"]
        if f["component"].get("kind") in values.FILE_KINDS
    }


def editable_fields(topo: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Input key -> component description, for the inputs the canvas may set."""
    return {
        f["key"]: f["component"]
        for n in topo["nodes"]
        for f in n["fields"]
        if f["component"].get("kind") in EDITABLE
    }


def _url(node: Node) -> str | None:
    # Not getattr(node, "url"): a node answers every unknown attribute with a Port.
    if isinstance(getattr(type(node), "url", None), property):
        return node.url  # type: ignore[attr-defined]
    return None


def _output(node: Node, port: str) -> dict[str, Any]:
    component = node._output_components.get(port)
    # An InputNode port shows as its field, so only other nodes have hidden outputs.
    hidden = component is None and port not in node._input_components
    out: dict[str, Any] = {"name": port, "hidden": hidden}
    if component is not None:
        out["component"] = _describe(component)
    schema = node._item_list_schemas.get(port)
    if schema is not None:
        # An ItemList output: the card edits its items field by field (edit_items).
        out["hidden"] = False
        out["item_list"] = [
            {"field": f, "component": _describe(c)} for f, c in schema.fields.items()
        ]
    return out


def item_list_fields(topo: dict[str, Any]) -> dict[tuple[str, str], dict[str, dict[str, Any]]]:
    """(node id, port) -> {field: component description}, for every ItemList output."""
    return {
        (n["id"], o["name"]): {f["field"]: f["component"] for f in o["item_list"]}
        for n in topo["nodes"]
        for o in n["outputs"]
        if "item_list" in o
    }


def _fields(node: Node, key: str, variant: int | None) -> list[dict[str, Any]]:
    fields = []
    for port, component in node._input_components.items():
        field: dict[str, Any] = {
            "key": f"{key}__{port}",
            "port": port,
            "component": _describe(component),
        }
        if variant is not None:
            field["variant"] = variant
        fields.append(field)
    return fields


def _describe(component: Any) -> dict[str, Any]:
    desc = component.to_dict()
    # Topology is saved into notebooks: unset properties (None) are left out.
    props = desc.get("props")
    if isinstance(props, dict):
        desc = {**desc, "props": {k: v for k, v in props.items() if v is not None}}
    try:
        size = len(json.dumps(desc["value"]))
    except (TypeError, ValueError):
        size = MAX_COMPONENT_VALUE + 1
    if size > MAX_COMPONENT_VALUE:
        # Topology is saved into notebooks: a big default (a table, a long document)
        # stays in Python and the canvas shows the field without it.
        desc = {**desc, "value": None, "value_omitted": True}
    return desc


# -- node state (changes on every run event) -----------------------------------------------
# Fields that describe the displayed result: replaced together when the selection changes.
RECORD_KEYS = ("status", "duration", "error", "preview", "rid", "items", "lists")
# Fields recomputed from the session after runs, edits and selections; sent when changed.
DERIVED_KEYS = ("count", "index", "fresh", "edges", "variant")
_BUSY = ("pending", "running")


def edge_key(graph: Graph, edge: Edge) -> str:
    """How the canvas names an edge in its target's state: ``"source.port>target_port"``."""
    return f"{graph.id_of(edge.source_node)}.{edge.source_port}>{edge.target_port}"


def record_state(
    record: ResultRecord | None, shown: bool = False, node: Node | None = None
) -> dict[str, Any]:
    """The card fields that show one result (or none); ``shown``: the card already shows
    this result, so only its id is needed (previews cost time on large graphs); ``node``
    (the record's node) lets ItemList outputs show their items."""
    if record is None:
        return {"status": "idle"}
    if shown:
        return {"rid": record.id}
    return {
        "status": "ok" if record.ok else "error",
        "duration": round(record.duration, 4),
        "error": record.error,
        "preview": _previews(record.outputs, node) if record.ok or record.items else None,
        "rid": record.id,
        "items": _items(record.items, record.outputs),
        "lists": _lists(record, node),
    }


def _items(items: list[dict[str, Any]] | None, outputs: dict[str, Any]) -> dict[str, Any] | None:
    if not items:
        return None
    column = next(iter(outputs.values()), None)  # one value per item
    rows = []
    for i, meta in enumerate(items[:MAX_ITEMS_SHOWN]):
        status = meta.get("status", "ok")
        if status == "ok" and isinstance(column, list) and i < len(column):
            p = values.preview(column[i])
            text = p.get("text") or p.get("name") or p.get("type", "")
        else:
            text = meta.get("error") or status
        text = str(text).replace("\n", " ")
        rows.append(
            {"s": status, "t": text if len(text) <= ITEM_TEXT else text[: ITEM_TEXT - 1] + "…"}
        )
    failed = sum(1 for m in items if m.get("status") != "ok")
    return {"n": len(items), "failed": failed, "list": rows}


def _lists(record: ResultRecord, node: Node | None) -> dict[str, Any] | None:
    """The items of the record's ItemList outputs, bounded for the card:
    ``{port: {"n": int, "rows": [{field: value}], "clipped": [[i, field]], "note": str?}}``.
    Node state is synced on every event, so at most MAX_LIST_ITEMS items go out and a
    string longer than MAX_LIST_TEXT is cut (and listed in "clipped": shown, not editable).
    """
    if node is None or not node._item_list_schemas or not record.ok:
        return None
    out: dict[str, Any] = {}
    for port, schema in node._item_list_schemas.items():
        value = record.outputs.get(port)
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            out[port] = {"n": 0, "rows": [], "clipped": [], "note": "not a list of dicts"}
            continue
        rows, clipped = [], []
        for i, item in enumerate(value[:MAX_LIST_ITEMS]):
            row = {}
            for f in schema.fields:
                v = item.get(f)
                if isinstance(v, str) and len(v) > MAX_LIST_TEXT:
                    v = v[: MAX_LIST_TEXT - 1] + "…"
                    clipped.append([i, f])
                elif not _mirrorable_small(v):
                    v = str(values.preview(v).get("text") or type(v).__name__)[:ITEM_TEXT]
                    clipped.append([i, f])
                row[f] = v
            rows.append(row)
        entry: dict[str, Any] = {"n": len(value), "rows": rows, "clipped": clipped}
        if len(value) > MAX_LIST_ITEMS:
            entry["note"] = (
                f"first {MAX_LIST_ITEMS} of {len(value)} items shown; edit the rest from code"
            )
        out[port] = entry
    return out


def _mirrorable_small(value: Any) -> bool:
    if value is None or isinstance(value, (str, bool, int, float)):
        return True
    if isinstance(value, list):
        return all(isinstance(v, (str, int, float, bool)) for v in value) and _mirrorable(value)
    return False


def node_state(
    session: Session, name: str, stale: Staleness | None = None, shown: str | None = None
) -> dict[str, Any]:
    """What a node's card shows: its selected result, history position and freshness.
    ``shown`` is the id of the result the card shows now, if any."""
    record = session.selected(name)
    node = session.graph.nodes[name]
    state = record_state(
        record, shown is not None and record is not None and record.id == shown, node
    )
    if isinstance(node, ChoiceNode):
        state["variant"] = session.variant(name)
    state.update(_history(session, name))
    if stale is None:
        stale = session.staleness()
    state.update(_freshness(session.graph, stale, name))
    return state


def node_states(
    session: Session, shown: dict[str, str | None] | None = None
) -> dict[str, dict[str, Any]]:
    """Every node's state; ``shown`` (node id -> result id on its card) lets a refresh
    skip the previews of results already on display."""
    graph = session.graph
    stale = session.staleness()
    shown = shown or {}
    return {
        graph.id_of(n): node_state(session, n, stale, shown.get(graph.id_of(n)))
        for n in graph.get_execution_order()
    }


def _freshness(graph: Graph, stale: Staleness, name: str) -> dict[str, Any]:
    edges = {edge_key(graph, e): stale.edges.get(e.as_tuple(), False) for e in graph.in_edges(name)}
    return {"fresh": stale.nodes.get(name, "never run"), "edges": edges}


def diff_states(
    current: dict[str, dict[str, Any]],
    desired: dict[str, dict[str, Any]],
    reload: bool = False,
) -> dict[str, dict[str, Any]]:
    """Per node, only the fields that differ. A node that is running keeps its live
    status; a node showing the same result keeps its status ("cached" stays cached)
    unless ``reload`` (another sheet: the last run's statuses do not belong to it)."""
    patches: dict[str, dict[str, Any]] = {}
    for nid, want in desired.items():
        have = current.get(nid, {})
        patch: dict[str, Any] = {}
        moved = have.get("rid") != want.get("rid")
        if reload and have.get("status") not in (want.get("status"), "cached"):
            moved = True
        if have.get("status") not in _BUSY and moved:
            patch.update({k: want.get(k) for k in RECORD_KEYS})
            patch["started"] = None
            if have.get("stream"):  # a failed run's values so far give way to the result
                patch["stream"] = None
        for k in DERIVED_KEYS:
            if k in want and have.get(k) != want[k]:
                patch[k] = want[k]
        if patch:
            patches[nid] = patch
    return patches


def started_patch(session: Session, name: str) -> dict[str, Any]:
    return {"status": "running", "started": round(time.time(), 3), "error": None}


def progress_patch(report: NodeProgress) -> dict[str, Any]:
    """Where a running node stands ("queue 3/7 · ~12 s", "40% · denoising"), for its
    card: the words and how much is done (0..1, None when unknown); None when it has
    nothing more to say than that it runs."""
    text = report.text
    share = report.share
    return {"progress": {"text": text, "share": share} if text or share is not None else None}


def items_patch(done: int, failed: int, total: int) -> dict[str, Any]:
    """Live progress of a scattered node: items finished (and failed) out of the total."""
    return {"items_done": done, "items_failed": failed, "items_total": total}


def pending_patch() -> dict[str, Any]:
    return {"status": "pending", "error": None}


def finished_patch(session: Session, outcome: NodeOutcome) -> dict[str, Any]:
    patch: dict[str, Any] = {
        "status": outcome.status,
        "started": None,
        "duration": round(outcome.duration, 4),
        "error": None if outcome.ok else (outcome.message or outcome.status),
    }
    record = outcome.record
    node = session.graph.nodes.get(outcome.node)
    if outcome.ok:
        patch["preview"] = _previews(outcome.outputs, node)
    elif record is not None and record.items:
        patch["preview"] = _previews(record.outputs, node)
    elif outcome.status not in _KEEP_PREVIEW:
        patch["preview"] = None
    if record is not None:
        patch["rid"] = record.id
        patch["items"] = _items(record.items, record.outputs)
        patch["lists"] = _lists(record, node)
        if record.items is not None:  # only items get a notice (daggr.runtime.gil)
            patch["notice"] = outcome.notice
    if outcome.ok:
        # It just ran on its upstream's selected results with the current inputs: fresh.
        # The run's end reconciles every node with graph.staleness() (bridge.node_states).
        graph = session.graph
        patch["fresh"] = "fresh"
        patch["edges"] = {edge_key(graph, e): True for e in graph.in_edges(outcome.node)}
    elif outcome.status == "error":
        patch["fresh"] = "stale"
    patch.update(_history(session, outcome.node))
    return patch


def _history(session: Session, name: str) -> dict[str, Any]:
    results = session.results
    count = results.count(name)
    selected = session.selected(name)
    if selected is None:
        return {"count": count, "index": None}
    latest = results.latest(name)
    if latest is not None and latest.id == selected.id:
        return {"count": count, "index": count - 1}
    ids = [r.id for r in results.history(name)]
    return {"count": count, "index": ids.index(selected.id) if selected.id in ids else None}


def merge_states_into(
    states: dict[str, dict[str, Any]], patches: dict[str, dict[str, Any]]
) -> None:
    """States with patches applied in place, exactly as ``applyStatePatches`` in
    js/src/protocol.ts (each node's entry is replaced, never mutated, so whoever holds an
    old entry keeps seeing it unchanged)."""
    for nid, patch in patches.items():
        states[nid] = {**states.get(nid, {"status": "idle"}), **patch}


# -- inputs ---------------------------------------------------------------------------------
def input_values(session: Session, fields: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Current value of every editable input (set from code, the canvas, or the default)."""
    from daggr.runtime.plan import UNSET, component_default

    plan = session.plan()
    current: dict[str, Any] = {}
    for key in fields:
        slot = plan.aliases.get(key)
        if slot is None:
            continue
        if slot in session.inputs:
            value = session.inputs[slot]
        else:
            value = component_default(plan.slots[slot].component)
            if value is UNSET:
                continue
        if _mirrorable(value):
            current[key] = value
    return current


def _mirrorable(value: Any) -> bool:
    try:
        return len(json.dumps(value)) <= MAX_INPUT_VALUE
    except (TypeError, ValueError):
        return False


def set_inputs(session: Session, given: dict[str, Any]) -> None:
    """Set inputs as ``graph.run(**given)`` would, without running anything: all of them
    or, when one is invalid, none (the session checks keys and values)."""
    # Saved with the sheet, so a reload or a sheet switch finds the value again.
    session.apply_inputs(given, source=WIRE)


# -- ItemList edits ---------------------------------------------------------------------------
def edit_items(
    session: Session, name: str, port: str, edits: list[tuple[int, str, Any]]
) -> ResultRecord:
    """Apply ``(index, field, value)`` edits to the selected result's ItemList ``port``
    as one new history row (session.override_outputs): downstream nodes go stale and
    consume the edited list on their next run."""
    record = session.selected(name)
    if record is None or not record.ok:
        raise DaggrError(f"Node '{name}' has no result to edit; run it first.")
    value = record.outputs.get(port)
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise DaggrError(f"Output '{port}' of node '{name}' is not a list of items to edit.")
    items = list(value)
    for index, field, new in edits:
        if not 0 <= index < min(len(items), MAX_LIST_ITEMS):
            raise DaggrError(
                f"Output '{port}' of node '{name}' has {len(items)} item(s); the canvas "
                f"edits items 0 to {min(len(items), MAX_LIST_ITEMS) - 1}, got index {index}."
            )
        old = items[index].get(field)
        if isinstance(old, str) and len(old) > MAX_LIST_TEXT:
            raise DaggrError(
                f"Item {index} field '{field}' is longer than the canvas shows "
                f"({len(old):,} characters); edit it from code."
            )
        items[index] = {**items[index], field: new}
    return session.override_outputs(name, {port: items})


# -- history, variants ---------------------------------------------------------------------------
def select(session: Session, name: str, index: int) -> None:
    """Show result ``index`` of a node: restores its inputs and cascades (session.select)."""
    count = session.results.count(name)
    if not -count <= index < count:
        raise DaggrError(f"Node '{name}' has {count} result(s); index {index} is out of range.")
    session.select(name, index)


def set_variant(session: Session, name: str, index: int) -> None:
    node = session.graph.nodes[name]
    if not isinstance(node, ChoiceNode):
        raise DaggrError(f"Node '{name}' is not a ChoiceNode; it has no variants to pick.")
    if not 0 <= index < len(node.variants):
        raise DaggrError(
            f"'{name}' has {len(node.variants)} variants (0..{len(node.variants) - 1}); got {index}."
        )
    session.set_variants({name: index})


# -- sheets and viewport -------------------------------------------------------------------------
def sheets_info(session: Session) -> dict[str, Any]:
    """The title bar's sheet menu: current sheet name and all names (most recent first)."""
    return {"current": session.sheet, "names": list(session.sheets)}


def sheet_action(session: Session, action: str, name: str | None, new_name: str | None) -> None:
    """new / switch / rename / delete a sheet, as ``graph.sheets`` does."""
    sheets = session.sheets
    try:
        if action == "new":
            sheets.new(name or None)
        elif action == "switch":
            sheets.switch(str(name))
        elif action == "rename":
            sheets.rename(str(name), str(new_name))
        elif action == "delete":
            if len(sheets) <= 1:
                raise DaggrError("The only sheet cannot be deleted; create another one first.")
            sheets.delete(str(name))
    except (ValueError, KeyError) as exc:
        raise DaggrError(str(exc)) from exc


def saved_viewport(session: Session) -> dict[str, Any]:
    """The current sheet's saved viewport (positions, pan and zoom), or {}."""
    vp = session.results.get_viewport()
    return dict(vp) if isinstance(vp, dict) else {}


def save_viewport(session: Session, viewport: dict[str, Any]) -> None:
    session.results.set_viewport(viewport)


# -- media: fetch what the graph holds, upload into inputs ------------------------------------
def fetch_result(
    session: Session, result_id: str, port: str, item: int | None, kind: str | None
) -> tuple[bytes, str, str]:
    """Bytes, MIME type and a display name for one output value of a result on the current
    sheet. Only values of this graph's results can be fetched: never a path from the
    browser, never a result of another sheet or graph."""
    record = session.results.by_id(result_id)
    if record is None or record.node not in session.graph.nodes:
        raise values.DisplayError(f"No result {result_id!r} on this sheet.")
    if port not in record.outputs:
        raise values.DisplayError(
            f"Result of '{record.node}' has no output {port!r}; outputs: {sorted(record.outputs)}."
        )
    return values.encode(record.outputs[port], kind, item)


def fetch_input(
    session: Session, key: str, item: int | None, kind: str | None
) -> tuple[bytes, str, str]:
    """Bytes of the current value of a file input: what was uploaded or set from code,
    else the component's own value (``gr.Image(value=...)``), as runs use it."""
    from daggr.runtime.plan import UNSET, component_default

    plan = session.plan()
    slot = plan.aliases.get(key)
    value = None
    if slot in session.inputs:
        value = session.inputs[slot]
    elif slot is not None:
        value = component_default(plan.slots[slot].component)
    if value is None or value is UNSET:
        raise values.DisplayError(f"Input {key!r} has no value to show.")
    return values.encode(value, kind, item)


def upload(session: Session, key: str, data: bytes, filename: str) -> None:
    """Save uploaded bytes as a file and make it the input's value (a FileValue path, or a
    list of one for a gallery or a multiple-file input)."""
    session.apply_inputs({key: Upload(data, filename)}, source=WIRE)


def pictures_shown(states: dict[str, dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(node id, result id, port) of every output whose card shows a picture (an image,
    or a file that may be one), in card order."""
    out = []
    for nid, state in states.items():
        rid = state.get("rid")
        if not rid or state.get("status") == Status.ERROR:
            continue
        for port, p in (state.get("preview") or {}).items():
            if isinstance(p, dict) and p.get("type") in ("image", "file", "gallery", "plot"):
                out.append((nid, rid, port))
    return out


def picture(session: Session, result_id: str, port: str, kind: Any) -> bytes | None:
    """A small PNG of one output of a result if it is a picture (the value registry's
    thumbnail), else None. ``kind``: the output's component kind."""
    record = session.results.by_id(result_id)
    if record is None or port not in record.outputs:
        return None
    return values.thumbnail(record.outputs[port], kind)


def _previews(outputs: dict[str, Any], node: Node | None) -> dict[str, Any]:
    return values.previews(outputs, node._output_components if node is not None else None)


# -- runs -------------------------------------------------------------------------------------
def start_run(session: Session, name: str, mode: str) -> RunHandle:
    """Start a run in the background (returns at once): "to_here" runs the node with the
    ancestors it needs; "step" runs it alone on its upstream nodes' current results."""
    return session.start(name, only=(mode == "step"), progress=False)


def start_all(session: Session) -> RunHandle:
    """Start a run of the whole graph ("Run all"): stale nodes execute, fresh ones are
    reused from history."""
    return session.start(progress=False)


def run_members(handle: RunHandle) -> list[str]:
    """Names of the nodes a run covers."""
    return list(handle.status)


def subscribe(session: Session, listener: Listener) -> Callable[[], None]:
    """Call ``listener(kind, payload)`` on run events; returns the unsubscribe function."""
    session.listeners.append(listener)

    def unsubscribe() -> None:
        try:
            session.listeners.remove(listener)
        except ValueError:
            pass

    return unsubscribe
