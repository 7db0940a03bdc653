"""The REST API's logic, independent of the web framework: ``/api/schema`` and
``/api/call`` answers.

Inputs are checked by the session, as for ``graph.run()`` and the canvas (keys, values
and files: :mod:`daggr.inputs`); this module checks only a request's shape (a JSON object
with an ``inputs`` object, a subgraph id) and maps mistakes to HTTP statuses: an unknown
or missing input is a 400, a bad value a 422, an upload over the limit a 413. Only a node
that fails while running gives a 5xx, naming the node. Outputs become JSON through the
value registry (:mod:`daggr.values`): media are file URLs.

Example:
    >>> from daggr import FnNode, Graph, components as gr
    >>> n = FnNode(lambda x: x * 2, name="double", inputs={"x": gr.Number(value=1)})
    >>> g = Graph("api demo", nodes=[n], persist_key=False)
    >>> schema(g)["subgraphs"][0]["inputs"]
    [{'node': 'double', 'port': 'x', 'id': 'double__x', 'type': 'number', 'required': False, 'default': 1}]
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from daggr import values
from daggr.errors import did_you_mean, listing
from daggr.inputs import VARIANT_PORT, BadInputValue, Source, UnknownInput, UploadTooLarge
from daggr.inputs import input_table as _input_table
from daggr.nodes.choice import ChoiceNode
from daggr.nodes.fn import FnNode
from daggr.records import FileValue, Status

if TYPE_CHECKING:
    from daggr.graph import Graph
    from daggr.nodes.base import Node
    from daggr.session import Session


class ApiError(Exception):
    """An answer other than 200: ``status`` and the JSON ``payload`` (with ``error``)."""

    def __init__(self, status: int, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.status = status
        self.payload = {"error": error, **{k: v for k, v in extra.items() if v is not None}}


# -- schema ------------------------------------------------------------------------------
@dataclass
class Field:
    id: str
    node: str
    port: str
    slot: str
    component: Any
    required: bool
    subgraph: str


def _subgraph_ids(graph: Graph) -> list[tuple[str, set[str]]]:
    groups = graph.get_subgraphs()
    if len(groups) == 1:
        return [("main", groups[0])]
    return [(f"subgraph_{i}", g) for i, g in enumerate(groups)]


def _required(node: Any, port: str, component: Any) -> bool:
    """A function parameter without a default that nothing fills: no component, or a
    component without a value of its own (an empty Textbox(), File(), ...)."""
    from daggr.runtime.plan import component_default

    if component is not None and component_default(component) is not None:
        return False
    # Remote nodes declare their defaults remotely: only functions can tell.
    if not isinstance(node, FnNode):
        return False
    try:
        param = inspect.signature(node.fn).parameters.get(port)
    except (TypeError, ValueError):
        return False
    return (
        param is not None
        and param.default is inspect.Parameter.empty
        and param.kind not in (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)
    )


def fields(graph: Graph) -> list[Field]:
    """Every user input of the graph, in execution order."""
    from daggr.session import compiled_plan

    plan = compiled_plan(graph)
    sub_of = {n: sid for sid, names in _subgraph_ids(graph) for n in names}
    out = [
        Field(
            e.key,
            e.node,
            e.port,
            e.slot,
            e.component,
            _required(e.owner, e.port, e.component),
            sub_of[e.node],
        )
        for e in _input_table(graph, plan).entries.values()
    ]
    order = {n: i for i, n in enumerate(plan.order)}
    out.sort(key=lambda f: order[f.node])
    return out


def _type(component: Any) -> str:
    return getattr(component, "kind", None) or "any"


def schema(graph: Graph) -> dict[str, Any]:
    """``{"subgraphs": [{"id", "inputs", "outputs"}]}`` as ``GET /api/schema`` answers."""
    all_fields = fields(graph)
    subgraphs = []
    for sid, names in _subgraph_ids(graph):
        inputs: list[dict[str, Any]] = []
        for f in all_fields:
            if f.subgraph != sid:
                continue
            entry: dict[str, Any] = {
                "node": f.node,
                "port": f.port,
                "id": f.id,
                "type": _type(f.component),
                "required": f.required,
            }
            if f.component is not None:
                desc = f.component.to_dict()
                if _jsonable_default(desc.get("value")):
                    entry["default"] = desc.get("value")
                choices = (desc.get("props") or {}).get("choices")
                if choices:
                    entry["choices"] = [c[1] for c in choices]
            inputs.append(entry)
        for name in graph.get_execution_order():
            node = graph.nodes[name]
            if name in names and isinstance(node, ChoiceNode):
                inputs.append(
                    {
                        "node": name,
                        "port": VARIANT_PORT,
                        "id": f"{graph.id_of(name)}__{VARIANT_PORT}",
                        "type": "choice",
                        "required": False,
                        "choices": [v.name for v in node.variants],
                        "default": node.variants[0].name,
                    }
                )
        outputs = [
            {"node": n, "port": p, "type": _type(graph.nodes[n]._output_components.get(p))}
            for n in graph.get_output_nodes()
            if n in names
            for p in graph.nodes[n]._output_ports
        ]
        subgraphs.append({"id": sid, "inputs": inputs, "outputs": outputs})
    return {"name": graph.name, "subgraphs": subgraphs}


def _jsonable_default(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool, list, dict))


# -- call --------------------------------------------------------------------------------
def pick_subgraph(graph: Graph, subgraph: str | None) -> tuple[str, set[str]]:
    ids = _subgraph_ids(graph)
    available = [sid for sid, _ in ids]
    if subgraph is None:
        if len(ids) > 1:
            raise ApiError(
                400,
                "Multiple subgraphs detected. Please specify a subgraph_id: "
                f"POST /api/call/<id> with one of {listing(available)}.",
                available_subgraphs=available,
            )
        return ids[0]
    for sid, names in ids:
        if sid == subgraph:
            return sid, names
    raise ApiError(
        404,
        f"Subgraph '{subgraph}' not found.{did_you_mean(subgraph, available)} "
        f"Available: {listing(available)}",
        valid=available,
    )


@dataclass
class Call:
    """A checked ``/api/call``: the subgraph's nodes, the nodes to run, and the inputs."""

    nodes: set[str]
    targets: list[str]
    slots: dict[str, Any]
    variants: dict[str, int]


def prepare_call(
    session: Session,
    subgraph: str | None,
    body: Any,
    resolve_file: Callable[[str], FileValue | None],
) -> Call:
    """Check a call's body with the session's own input checks. Raises
    :class:`ApiError` for any bad input; changes nothing."""
    graph = session.graph
    sid, names = pick_subgraph(graph, subgraph)
    given = _given_inputs(body)
    source = Source(wire=True, resolve_file=resolve_file, fetch_url=values.urls.fetch)
    try:
        slots, variants = session.parse_inputs(given, within=names, source=source)
    except UnknownInput as exc:
        raise ApiError(400, str(exc), input=exc.key, valid=exc.valid) from None
    except UploadTooLarge as exc:
        raise ApiError(413, str(exc), node=exc.node, input=exc.key) from None
    except BadInputValue as exc:
        raise ApiError(422, str(exc), node=exc.node, input=exc.key, valid=exc.valid) from None
    mine = [f for f in fields(graph) if f.subgraph == sid]
    missing = [f for f in mine if f.required and slots.get(f.slot) is None]
    if missing:
        raise ApiError(
            400,
            f"Missing required input(s) {listing(f.id for f in missing)}.",
            missing=[f.id for f in missing],
            node=missing[0].node,
            valid=session.input_table().valid(names),
        )
    targets = [n for n in graph.get_output_nodes() if n in names]
    return Call(names, targets, slots, variants)


def apply_call(session: Session, call: Call) -> None:
    """Make the call's inputs the session's. Inputs it leaves out take their components'
    own values, not what an earlier call sent: an API call means the same thing whatever
    this visitor did before."""
    session.reset_inputs(call.nodes)
    if call.slots:
        session.set_inputs(call.slots)
    if call.variants:
        session.set_variants(call.variants)


def _given_inputs(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(
            400, 'The request body must be a JSON object like {"inputs": {"node__port": value}}.'
        )
    unknown_keys = [k for k in body if k != "inputs"]
    if unknown_keys:
        raise ApiError(
            400,
            f"Unknown field(s) {listing(unknown_keys)} in the request body; "
            'send {"inputs": {...}}.',
            valid=["inputs"],
        )
    given = body.get("inputs", {})
    if not isinstance(given, dict):
        raise ApiError(
            400, f'"inputs" must be an object of input id -> value, got {type(given).__name__}.'
        )
    return given


def node_failure(result: Any) -> ApiError | None:
    for name, outcome in result.outcomes.items():
        if outcome.status == Status.ERROR:
            msg = outcome.message or (str(outcome.error) if outcome.error else "failed")
            return ApiError(500, f"Execution error in node '{name}': {msg}", node=name)
    if result.cancelled:
        return ApiError(503, "The run was cancelled.")
    return None


# -- outputs -----------------------------------------------------------------------------
def outputs_json(node: Node, outputs: dict[str, Any], sink: values.FileSink) -> dict[str, Any]:
    """A node's outputs as JSON, as its components show them (media as file URLs)."""
    components = node._output_components
    return {str(p): values.to_rest(v, components.get(p), sink) for p, v in outputs.items()}
