"""The REST API's logic, independent of the web framework: ``/api/schema`` and
``/api/call`` answers, input checking, and turning outputs into JSON.

Bad input is always a 4xx :class:`ApiError` naming the problem and what is valid; only a
node that fails while running gives a 5xx, naming the node.

Example:
    >>> from daggr import FnNode, Graph, components as gr
    >>> n = FnNode(lambda x: x * 2, name="double", inputs={"x": gr.Number(value=1)})
    >>> g = Graph("api demo", nodes=[n], persist_key=False)
    >>> schema(g)["subgraphs"][0]["inputs"]
    [{'node': 'double', 'port': 'x', 'id': 'double__x', 'type': 'number', 'required': False, 'default': 1}]
"""

from __future__ import annotations

import base64
import binascii
import inspect
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from daggr.errors import DaggrError, did_you_mean, listing
from daggr.nodes.choice import ChoiceNode
from daggr.nodes.fn import FnNode
from daggr.records import FileValue
from daggr.widget.protocol import EDITABLE, MessageError, check_value

if TYPE_CHECKING:
    from daggr.graph import Graph
    from daggr.runtime.plan import Plan
    from daggr.store.codec import FileStore

SELECTED = "___selected_variant"
CONTENT_ID = re.compile(r"([0-9a-f]{64})(\.[A-Za-z0-9_-]{1,15})?")
_DATA_URL = re.compile(r"data:[^,;]*(;[^,]*)?,", re.S)
_MIME_EXT = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "audio/mpeg": ".mp3",
    "video/mp4": ".mp4",
    "text/plain": ".txt",
    "application/pdf": ".pdf",
}


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


def _owners(graph: Graph, plan: Plan) -> dict[str, str]:
    """Input-key prefix (node id or variant key) -> node name."""
    owners = {graph.id_of(n): n for n in graph.nodes}
    for name, keys in plan.variant_keys.items():
        for key in keys:
            owners.setdefault(key, name)
    return owners


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


def plan_of(graph: Graph) -> Plan:
    """The graph's compiled plan, rebuilt only when the graph changes."""
    from daggr.runtime.plan import Plan

    cached = graph.__dict__.get("_daggr_app_plan")
    if cached is None or cached.version != graph._version:
        cached = graph.__dict__["_daggr_app_plan"] = Plan(graph)
    return cached


def fields(graph: Graph) -> list[Field]:
    """Every user input of the graph, in execution order."""
    plan = plan_of(graph)
    owners = _owners(graph, plan)
    sub_of = {n: sid for sid, names in _subgraph_ids(graph) for n in names}
    out = []
    for alias, slot_id in plan.aliases.items():
        prefix, _, port = alias.rpartition("__")
        name = owners.get(prefix)
        if name is None:
            continue
        node = graph.nodes[name]
        target = node
        if isinstance(node, ChoiceNode):
            idx = plan.variant_keys[name].index(prefix) if prefix in plan.variant_keys[name] else 0
            target = node.variants[idx]
        component = plan.slots[slot_id].component
        out.append(
            Field(
                alias,
                name,
                port,
                slot_id,
                component,
                _required(target, port, component),
                sub_of[name],
            )
        )
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
                        "port": "_selected_variant",
                        "id": f"{graph.id_of(name)}{SELECTED}",
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


def prepare_call(
    graph: Graph,
    subgraph: str | None,
    body: Any,
    resolve_file: Callable[[str], FileValue | None],
    files: FileStore,
) -> tuple[list[str], dict[str, Any], list[str]]:
    """Check a call's body; return (target nodes, inputs for ``session.run``, the
    optional inputs left unset). Raises :class:`ApiError` for any bad input."""
    sid, names = pick_subgraph(graph, subgraph)
    if not isinstance(body, dict):
        raise ApiError(
            400, 'The request body must be a JSON object like {"inputs": {"node__port": value}}.'
        )
    given = body.get("inputs", {})
    unknown_keys = [k for k in body if k != "inputs"]
    if unknown_keys:
        raise ApiError(
            400,
            f"Unknown field(s) {listing(unknown_keys)} in the request body; "
            'send {"inputs": {...}}.',
            valid=["inputs"],
        )
    if not isinstance(given, dict):
        raise ApiError(
            400, f'"inputs" must be an object of input id -> value, got {type(given).__name__}.'
        )
    mine = {f.id: f for f in fields(graph) if f.subgraph == sid}
    choices = {
        f"{graph.id_of(n)}{SELECTED}": n for n in names if isinstance(graph.nodes[n], ChoiceNode)
    }
    valid = [*mine, *choices]
    inputs: dict[str, Any] = {}
    for key, value in given.items():
        if key in choices:
            choice = graph.nodes[choices[key]]
            try:
                choice.variant_index(value)
            except DaggrError as exc:
                raise ApiError(
                    422,
                    str(exc),
                    node=choice.name,
                    input=key,
                    valid=[v.name for v in choice.variants],
                ) from None
            inputs[key] = value
            continue
        field = mine.get(key)
        if field is None:
            raise ApiError(
                400,
                f"Unknown input '{key}' for subgraph '{sid}'."
                f"{did_you_mean(key, valid)} Valid inputs: {listing(valid)}",
                input=key,
                valid=valid,
            )
        inputs[key] = _check(field, value, resolve_file, files)
    missing = [
        f.id for f in mine.values() if f.required and (f.id not in inputs or inputs[f.id] is None)
    ]
    if missing:
        raise ApiError(
            400,
            f"Missing required input(s) {listing(missing)}.",
            missing=missing,
            node=mine[missing[0]].node,
            valid=valid,
        )
    # Absent inputs use the components' own values, not what an earlier call sent: an
    # API call means the same thing whatever this visitor did before.
    for f in mine.values():
        if f.id not in inputs and f.component is not None:
            from daggr.runtime.plan import UNSET, component_default

            default = component_default(f.component)
            if default is not UNSET:
                inputs[f.id] = default
    for key in choices:
        inputs.setdefault(key, 0)  # like inputs: an unnamed choice is the first variant
    unset = [f.slot for f in mine.values() if f.id not in inputs and f.component is None]
    targets = [n for n in graph.get_output_nodes() if n in names]
    return targets, inputs, unset


def _check(
    field: Field, value: Any, resolve_file: Callable[[str], FileValue | None], files: FileStore
) -> Any:
    component = field.component
    if component is None:
        return value
    kind = component.kind
    if getattr(component, "is_file", False):
        return _file_input(field, value, resolve_file, files)
    if kind in EDITABLE:
        try:
            return check_value(component.to_dict(), value, field.id)
        except MessageError as exc:
            raise ApiError(422, str(exc), node=field.node, input=field.id) from None
    return value


def _file_input(
    field: Field, value: Any, resolve_file: Callable[[str], FileValue | None], files: FileStore
) -> Any:
    # A path sent by a remote caller would make the server read its own files, so file
    # inputs are uploads (data: URLs) or files the server itself produced (/file/<id>).
    hint = (
        "File inputs take a data: URL (data:image/png;base64,...) or a /file/<id> URL "
        "returned by an earlier call."
    )
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiError(
            422, f"'{field.id}' is a file input. {hint}", node=field.node, input=field.id
        )
    if value.startswith("data:"):
        m = _DATA_URL.match(value)
        if not m:
            raise ApiError(
                422, f"'{field.id}': malformed data: URL. {hint}", node=field.node, input=field.id
            )
        mime = value[5 : m.end() - 1].split(";")[0]
        payload = value[m.end() :]
        from daggr.widget.media import max_upload_bytes

        limit = max_upload_bytes()  # the canvas's limit, for uploads over REST too
        if len(payload) * 3 // 4 > limit:
            raise ApiError(
                413,
                f"'{field.id}': the upload is about {len(payload) * 3 / 4 / 2**20:.1f} MB; "
                f"uploads are limited to {limit / 2**20:g} MB (DAGGR_MAX_UPLOAD_MB).",
                node=field.node,
                input=field.id,
            )
        try:
            data = (
                base64.b64decode(payload, validate=True)
                if ";base64" in (m.group(1) or "")
                else payload.encode()
            )
        except (binascii.Error, ValueError):
            raise ApiError(
                422,
                f"'{field.id}': the data: URL is not valid base64.",
                node=field.node,
                input=field.id,
            ) from None
        sha, _ = files.put_bytes(data, _MIME_EXT.get(mime, ".bin"))
        return FileValue(str(files.path(sha, _MIME_EXT.get(mime, ".bin"))))
    ref = value.rsplit("/file/", 1)[-1] if "/file/" in value else None
    found = resolve_file(ref) if ref else None
    if found is None:
        raise ApiError(
            422,
            f"'{field.id}' got {value[:80]!r}, which is not a file this server produced. {hint}",
            node=field.node,
            input=field.id,
        )
    return found


def node_failure(result: Any) -> ApiError | None:
    for name, outcome in result.outcomes.items():
        if outcome.status == "error":
            msg = outcome.message or (str(outcome.error) if outcome.error else "failed")
            return ApiError(500, f"Execution error in node '{name}': {msg}", node=name)
    if result.cancelled:
        return ApiError(503, "The run was cancelled.")
    return None


# -- outputs -----------------------------------------------------------------------------
def mark_files(node: Any, outputs: dict[str, Any]) -> dict[str, Any]:
    """Outputs with path strings on file components (Image, File, Gallery...) as FileValues,
    so that they are served as downloads."""
    out = dict(outputs)
    for port, value in outputs.items():
        component = node._output_components.get(port)
        if getattr(component, "is_file", False):
            out[port] = _as_file(value)
    return out


def _as_file(value: Any) -> Any:
    if type(value) is str and os.path.isfile(value):
        return FileValue(value)
    if isinstance(value, (list, tuple)):
        return [_as_file(v) for v in value]
    return value


def to_json(value: Any, file_url: Callable[[str], str], files: FileStore) -> Any:
    """A JSON-safe copy of a node output: files become download URLs (by content id)."""
    t = type(value)
    if value is None or t in (str, int, bool):
        return value
    if t is FileValue:
        return file_url(str(value))
    if t is float:
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        return {str(k): to_json(v, file_url, files) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v, file_url, files) for v in value]
    if isinstance(value, bytes):
        sha, _ = files.put_bytes(value, ".bin")
        return file_url(str(files.path(sha, ".bin")))
    if hasattr(value, "save") and hasattr(value, "mode"):  # a PIL image
        import io

        buf = io.BytesIO()
        value.save(buf, format="PNG")
        sha, _ = files.put_bytes(buf.getvalue(), ".png")
        return file_url(str(files.path(sha, ".png")))
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return to_json(value.tolist(), file_url, files)
    for base in (bool, int, float, str):  # subclasses such as enums and numpy-free floats
        if isinstance(value, base):
            return to_json(base(value), file_url, files)
    return {"type": t.__name__, "repr": repr(value)[:1000]}
