"""Everything the canvas asks of the graph's session, in one module.

The session API grows (history, selection, sheets, staleness from the store); the canvas
only talks to it here, so those features plug in by changing the functions below:
:func:`node_state` says what a card shows for a node, :func:`finished_patch` what
changes when a node finishes, :func:`start_run` / :func:`set_input` what the canvas's
buttons and fields do.

Example:
    >>> from daggr import FnNode, Graph
    >>> g = Graph("demo", nodes=[FnNode(lambda: 1, name="one")], persist_key=False)
    >>> topology(g)["nodes"][0]["kind"], node_state(g.session, "one")["status"]
    ('FN', 'idle')
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from daggr.nodes.choice import ChoiceNode
from daggr.widget.preview import previews
from daggr.widget.protocol import EDITABLE

if TYPE_CHECKING:
    from daggr.graph import Graph
    from daggr.nodes.base import Node
    from daggr.runtime.result import NodeOutcome, RunHandle
    from daggr.session import Session

Listener = Callable[[str, Any], None]

MAX_COMPONENT_VALUE = 10_000  # characters of a component's JSON default kept in topology
MAX_INPUT_VALUE = 20_000  # characters of an input value mirrored to the canvas

# A node's last status stays visible until the next run, except these, which say nothing
# about its result and so keep the previous preview on the card.
_KEEP_PREVIEW = ("skipped", "cancelled")


# -- topology (changes when the graph does) ------------------------------------------------
def topology(graph: Graph) -> dict[str, Any]:
    """Nodes, ports, editable fields and edges, keyed by node id, in execution order."""
    plan = graph.session.plan()
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
    return out


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
def node_state(session: Session, name: str) -> dict[str, Any]:
    """What a node's card shows when the canvas opens: its selected result, if any."""
    state: dict[str, Any] = {"status": "idle"}
    record = session.selected(name)
    node = session.graph.nodes[name]
    if isinstance(node, ChoiceNode):
        state["variant"] = session.variant(name)
    if record is None:
        return state
    state.update(
        status="ok" if record.ok else "error",
        duration=round(record.duration, 4),
        error=record.error,
        preview=previews(record.outputs) if record.ok else None,
    )
    state.update(_history(session, name))
    return state


def node_states(session: Session) -> dict[str, dict[str, Any]]:
    graph = session.graph
    return {graph.id_of(n): node_state(session, n) for n in graph.get_execution_order()}


def started_patch(session: Session, name: str) -> dict[str, Any]:
    return {"status": "running", "started": round(time.time(), 3), "error": None}


def pending_patch() -> dict[str, Any]:
    return {"status": "pending", "error": None}


def finished_patch(session: Session, outcome: NodeOutcome) -> dict[str, Any]:
    patch: dict[str, Any] = {
        "status": outcome.status,
        "started": None,
        "duration": round(outcome.duration, 4),
        "error": None if outcome.ok else (outcome.message or outcome.status),
    }
    if outcome.ok:
        patch["preview"] = previews(outcome.outputs)
    elif outcome.status not in _KEEP_PREVIEW:
        patch["preview"] = None
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


def merge_states(
    states: dict[str, dict[str, Any]], patches: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """States with patches applied, exactly as ``applyStatePatches`` in js/src/protocol.ts."""
    out = dict(states)
    for nid, patch in patches.items():
        out[nid] = {**states.get(nid, {"status": "idle"}), **patch}
    return out


# -- inputs ---------------------------------------------------------------------------------
def input_values(session: Session, fields: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Current value of every editable input (set from code, the canvas, or the default)."""
    from daggr.runtime.plan import UNSET, component_default

    plan = session.plan()
    values: dict[str, Any] = {}
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
            values[key] = value
    return values


def _mirrorable(value: Any) -> bool:
    try:
        return len(json.dumps(value)) <= MAX_INPUT_VALUE
    except (TypeError, ValueError):
        return False


def set_input(session: Session, key: str, value: Any) -> None:
    """Set an input as ``graph.run(key=value)`` would, without running anything."""
    slots, _ = session.parse_inputs({key: value})
    # dict.update with str keys is atomic under the GIL: a run starting on another thread
    # snapshots either the old or the new value, never a half-written dict.
    session.inputs.update(slots)


# -- runs -------------------------------------------------------------------------------------
def start_run(session: Session, name: str, mode: str) -> RunHandle:
    """Start a run in the background (returns at once): "to_here" runs the node with the
    ancestors it needs; "step" runs it alone on its upstream nodes' current results."""
    return session.start(name, only=(mode == "step"), progress=False)


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
