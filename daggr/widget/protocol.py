"""Messages between the canvas and the kernel (mirrored by ``js/src/protocol.ts``).

Front end -> kernel (requests; each is validated and answered with an ``error`` message
when malformed, leaving every state untouched). This module checks a request's shape;
input keys and values are checked by the session (:mod:`daggr.inputs`), as for
``graph.run()`` and the REST API::

    {"type": "run", "node": id, "mode": "to_here" | "step", "inputs"?: {key: value}}
    {"type": "stop", "node": id}
    {"type": "set_input", "key": "node__port", "value": ...}
    {"type": "move", "node": id, "x": float, "y": float}
    {"type": "viewport", "x": float, "y": float, "zoom": float}
    {"type": "select", "node": id, "index": int}          # browse a node's history
    {"type": "variant", "node": id, "index": int}         # pick a ChoiceNode variant
    {"type": "sheet", "action": "new" | "switch" | "rename" | "delete",
     "name": str, "new_name": str}
    {"type": "fetch", "id": str, "result": rid, "port": str, "item": int?}
                                    # rid "~<stream>.<version>": a running node's value
                                    # so far, as a "partial" message named it
    {"type": "fetch", "id": str, "key": "node__port", "item": int?}   # a file input
    {"type": "upload", "key": "node__port", "name": str} + one binary buffer
    {"type": "edit_items", "node": id, "port": str, "index": int, "field": str,
     "value": ..., "more": bool?}   # edit one field of one item of an ItemList output;
                                    # "more": further edits of the same burst follow
    {"type": "layout", "positions"?: {id: [x, y]}, "sizes"?: {id: [w, h] | null},
     "collapsed"?: {id: bool}, "groups"?: [group], "minimap"?: bool | null}
                                    # hand-made layout of the sheet (sheet_layout.py)
    {"type": "run_all"}             # run every stale node (fresh ones are reused)
    {"type": "stop_all"}            # stop every run started from this canvas
    {"type": "traceback", "id": str, "node": id, "result": rid | null}
                                    # a failure's traceback, answered as "fetched" text
    {"type": "hello"}               # a view is showing the canvas; answered by "hello"
                                    # (a view that hears nothing is a kernel-less copy)

Kernel -> front end (deltas; their size does not depend on the graph's)::

    {"type": "node_state", "states": {id: patch}}   # fields of a node's state that changed
                                                    # ("progress": {"text", "share"} while
                                                    # a node reports queue or progress;
                                                    # "notice": advice on how a scattered
                                                    # node ran, e.g. CPU-bound items on
                                                    # threads)
    {"type": "partial", "nodes": {id: {port: op}}}  # a running node's values so far:
        op = [at: int, text: str]                   # text appended at character `at`
           | {"set": preview, "rid": str}           # a value replaced (fetch it by rid)
    {"type": "inputs", "values": {key: value}}      # input values changed from code
    {"type": "error", "message": str, "request": type}
    {"type": "fetched", "id": str, "mime": str, "name": str} + one binary buffer
    {"type": "fetched", "id": str, "error": str}
    {"type": "hello"}                               # the kernel is there

Frames of a served app's websocket (``daggr.app``) wrap these as
``{"type": "comm", "data": {"method": "custom", "content": request}, "buffers": n}``; the
page may also send ``{"method": "update", "state": {"viewport": ...}}`` (the only trait a
page may write): :func:`check_frame` checks both before anything reaches a canvas.

Example:
    >>> parse_request({"type": "run", "node": "b", "mode": "step"}, {"b": "b"})
    {'type': 'run', 'node': 'b', 'mode': 'step', 'inputs': {}}
    >>> check_frame({"type": "comm", "data": {"method": "update", "state": {"zoom": 2}}}, {})
    Traceback (most recent call last):
    ...
    daggr.widget.protocol.MessageError: The page cannot set 'zoom': only viewport is written by the page; the kernel owns the other traits.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from daggr.errors import DaggrError, did_you_mean, listing
from daggr.inputs import BadInputValue, check_value
from daggr.widget.sheet_layout import LayoutError, parse_layout

RUN_MODES = ("to_here", "step")
REQUEST_FIELDS: dict[str, tuple[str, ...]] = {
    "run": ("node", "mode"),
    "stop": ("node",),
    "set_input": ("key", "value"),
    "move": ("node", "x", "y"),
    "viewport": ("x", "y", "zoom"),
    "select": ("node", "index"),
    "variant": ("node", "index"),
    "sheet": ("action",),
    "fetch": ("id",),
    "upload": ("key", "name"),
    "edit_items": ("node", "port", "index", "field", "value"),
    "layout": (),
    "run_all": (),
    "stop_all": (),
    "traceback": ("id", "node"),
    "hello": (),
}
# Kernel -> front end message types (what a frame validator may let through).
UPDATE_TYPES = ("node_state", "inputs", "error", "fetched", "partial")
SHEET_ACTIONS = ("new", "switch", "rename", "delete")
MAX_ID = 64
MAX_NAME = 200
EDITABLE = (
    "textbox",
    "textarea",
    "number",
    "slider",
    "checkbox",
    "dropdown",
    "radio",
    "checkboxgroup",
    "colorpicker",
    "json",
    "code",
    "dataframe",
)
MAX_COORD = 1e7
ZOOM_RANGE = (0.05, 10.0)
MAX_BUFFERS = 16  # binary frames after one header (an upload carries one)
PAGE_TRAITS = ("viewport",)  # traits a page may write; the kernel owns every other


class MessageError(DaggrError, ValueError):
    """A message from the canvas that the kernel cannot accept."""


def _input_key(key: Any) -> str:
    # Which keys exist, and what their values may be, is the session's to say.
    if not isinstance(key, str) or not 0 < len(key) <= MAX_NAME:
        raise MessageError(f"An input key is a name like 'node__port', got {_kind(key)}.")
    return key


def parse_request(
    content: Any,
    nodes: Mapping[str, str],
    media: Mapping[str, dict[str, Any]] | None = None,
    item_lists: Mapping[tuple[str, str], Mapping[str, dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """Check a front-end request's shape and return it normalised.

    Args:
        content: the message as received.
        nodes: node id -> node name, for the graph on display.
        media: input key -> component description of the file inputs the canvas may
            fetch back.
        item_lists: (node id, port) -> {field: component description} of the ItemList
            outputs whose items the canvas may edit.

    Raises:
        MessageError: naming what is wrong and what would be valid.
    """
    if not isinstance(content, dict):
        raise MessageError(f"A canvas message is a JSON object, got {type(content).__name__}.")
    kind = content.get("type")
    if kind not in REQUEST_FIELDS:
        raise MessageError(
            f"Unknown message type {kind!r}.{did_you_mean(str(kind), REQUEST_FIELDS)} "
            f"Valid types: {listing(REQUEST_FIELDS)}"
        )
    missing = [f for f in REQUEST_FIELDS[kind] if f not in content]
    if missing:
        raise MessageError(f"'{kind}' message is missing {listing(missing)}.")
    out: dict[str, Any] = {"type": kind}
    if "node" in REQUEST_FIELDS[kind]:
        node = content["node"]
        if not isinstance(node, str) or node not in nodes:
            raise MessageError(
                f"No node {node!r} on this canvas.{did_you_mean(str(node), nodes)} "
                f"Nodes: {listing(nodes)}"
            )
        out["node"] = node
    if kind == "fetch":
        out.update(_fetch(content, media or {}))
    elif kind == "edit_items":
        out.update(_edit_items(content, out["node"], item_lists or {}))
    elif kind == "layout":
        out["layout"] = _layout(content, nodes)
    elif kind in _SHAPES:
        out.update(_SHAPES[kind](content))
    return out


def _layout(content: dict[str, Any], nodes: Mapping[str, str]) -> dict[str, Any]:
    try:
        return parse_layout(content, nodes)
    except LayoutError as exc:
        raise MessageError(str(exc)) from None


def _traceback(content: dict[str, Any]) -> dict[str, Any]:
    rid, result = content["id"], content.get("result")
    if not isinstance(rid, str) or not 0 < len(rid) <= MAX_ID:
        raise MessageError(f"A traceback request id is a short string, got {_kind(rid)}.")
    if result is not None and (not isinstance(result, str) or len(result) > MAX_ID):
        raise MessageError(f"A traceback names a result id or null, got {_kind(result)}.")
    return {"id": rid, "result": result}


def _run(content: dict[str, Any]) -> dict[str, Any]:
    mode = content["mode"]
    if mode not in RUN_MODES:
        raise MessageError(f"Run mode must be one of {listing(RUN_MODES)}, got {mode!r}.")
    carried = content.get("inputs", {})
    if not isinstance(carried, dict):
        raise MessageError(
            f"A run's inputs are a JSON object of input key -> value, got {type(carried).__name__}."
        )
    return {"mode": mode, "inputs": {_input_key(key): value for key, value in carried.items()}}


def _set_input(content: dict[str, Any]) -> dict[str, Any]:
    return {"key": _input_key(content["key"]), "value": content["value"]}


def _move(content: dict[str, Any]) -> dict[str, Any]:
    return {axis: _coordinate(content[axis], axis) for axis in ("x", "y")}


def _viewport(content: dict[str, Any]) -> dict[str, Any]:
    zoom = content["zoom"]
    if not _finite(zoom) or not ZOOM_RANGE[0] <= zoom <= ZOOM_RANGE[1]:
        raise MessageError(
            f"zoom must be a number from {ZOOM_RANGE[0]} to {ZOOM_RANGE[1]}, got {zoom!r}."
        )
    return {**_move(content), "zoom": float(zoom)}


def _index(content: dict[str, Any]) -> dict[str, Any]:
    return {"index": _int(content["index"], "index")}


def _sheet(content: dict[str, Any]) -> dict[str, Any]:
    action = content["action"]
    if action not in SHEET_ACTIONS:
        raise MessageError(f"Sheet action must be one of {listing(SHEET_ACTIONS)}, got {action!r}.")
    out: dict[str, Any] = {"action": action}
    for f in ("name", "new_name"):
        v = content.get(f)
        if v is not None and (not isinstance(v, str) or not 0 < len(v.strip()) <= MAX_NAME):
            raise MessageError(f"A sheet {f} is 1 to {MAX_NAME} characters of text, got {v!r}.")
        out[f] = v.strip() if isinstance(v, str) else None
    if action in ("switch", "rename", "delete") and not out["name"]:
        raise MessageError(f"'sheet' {action} needs the sheet's name.")
    if action == "rename" and not out["new_name"]:
        raise MessageError("'sheet' rename needs new_name.")
    return out


def _upload(content: dict[str, Any]) -> dict[str, Any]:
    name = content["name"]
    if not isinstance(name, str) or len(name) > MAX_NAME:
        raise MessageError(f"An upload's name is a file name, got {_kind(name)}.")
    return {"key": _input_key(content["key"]), "name": name}


_SHAPES = {
    "run": _run,
    "set_input": _set_input,
    "move": _move,
    "viewport": _viewport,
    "select": _index,
    "variant": _index,
    "sheet": _sheet,
    "upload": _upload,
    "traceback": _traceback,
}


def _edit_items(
    content: dict[str, Any],
    node: str,
    item_lists: Mapping[tuple[str, str], Mapping[str, dict[str, Any]]],
) -> dict[str, Any]:
    port = content["port"]
    ports = [p for n, p in item_lists if n == node]
    if not isinstance(port, str) or (node, port) not in item_lists:
        raise MessageError(
            f"Node {node!r} has no ItemList output {port!r}.{did_you_mean(str(port), ports)} "
            f"ItemList outputs: {listing(ports)}"
        )
    schema = item_lists[(node, port)]
    field = content["field"]
    if not isinstance(field, str) or field not in schema:
        raise MessageError(
            f"Items of '{port}' have no field {field!r}.{did_you_mean(str(field), schema)} "
            f"Fields: {listing(schema)}"
        )
    index = _int(content["index"], "index")
    if index < 0:
        raise MessageError(f"index must be 0 or more, got {index}.")
    more = content.get("more", False)
    if not isinstance(more, bool):
        raise MessageError(f"more must be true or false, got {_kind(more)}.")
    component = schema[field]
    label = f"{port}[{index}].{field}"
    if component.get("kind") not in EDITABLE:
        raise MessageError(
            f"'{label}' is a {component.get('component')} field, which the canvas cannot edit."
        )
    try:
        value = check_value(component, content["value"], label, wire=True)
    except BadInputValue as exc:
        raise MessageError(str(exc)) from None
    return {"port": port, "index": index, "field": field, "value": value, "more": more}


def _fetch(content: dict[str, Any], media: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    rid = content["id"]
    if not isinstance(rid, str) or not 0 < len(rid) <= MAX_ID:
        raise MessageError(f"A fetch id is a short string, got {_kind(rid)}.")
    out: dict[str, Any] = {"id": rid, "item": None}
    item = content.get("item")
    if item is not None:
        out["item"] = _int(item, "item")
    if "key" in content:
        key = content["key"]
        if not isinstance(key, str) or key not in media:
            raise MessageError(f"No file input {key!r} to fetch. File inputs: {listing(media)}")
        out["key"] = key
        return out
    result, port = content.get("result"), content.get("port")
    # Values are named by result id and port, never by path: the kernel resolves the file.
    if not isinstance(result, str) or not 0 < len(result) <= MAX_ID:
        raise MessageError(
            "A fetch names a result id and an output port (or a file input key), "
            f"got result={_kind(result)}."
        )
    if not isinstance(port, str) or not 0 < len(port) <= MAX_NAME:
        raise MessageError(f"A fetch needs an output port name, got {_kind(port)}.")
    out.update(result=result, port=port)
    return out


def _int(v: Any, what: str) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or abs(v) > 10**9:
        raise MessageError(f"{what} must be an integer, got {_kind(v)}.")
    return v


def _finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _coordinate(v: Any, axis: str) -> float:
    if not _finite(v) or abs(v) > MAX_COORD:
        raise MessageError(f"{axis} must be a finite number within ±{MAX_COORD:g}, got {v!r}.")
    return float(v)


def _kind(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:39] + '…'}"


def check_frame(frame: Any, nodes: Mapping[str, str]) -> tuple[dict[str, Any], int]:
    """A served page's websocket frame as ``(comm data, binary buffers that follow)``.

    ``custom`` requests are checked for their type here and in full by the canvas
    (:func:`parse_request`, which knows the graph); an ``update`` may only set
    :data:`PAGE_TRAITS`, each checked against its schema. ``nodes``: node id -> name.
    """
    if not isinstance(frame, dict) or frame.get("type") != "comm":
        raise MessageError('A frame is {"type": "comm", "data": {...}, "buffers": n}.')
    extra = sorted(set(frame) - {"type", "data", "buffers"})
    if extra:
        raise MessageError(f"Unknown frame field(s) {listing(extra)}.")
    count = frame.get("buffers", 0)
    if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= MAX_BUFFERS:
        raise MessageError(f"buffers is a count from 0 to {MAX_BUFFERS}, got {_kind(count)}.")
    data = frame.get("data")
    method = data.get("method") if isinstance(data, dict) else None
    if method == "custom":
        content = data.get("content")
        if not isinstance(content, dict) or content.get("type") not in REQUEST_FIELDS:
            kind = content.get("type") if isinstance(content, dict) else content
            raise MessageError(
                f"Unknown message type {kind!r}.{did_you_mean(str(kind), REQUEST_FIELDS)} "
                f"Valid types: {listing(REQUEST_FIELDS)}"
            )
        return {"method": "custom", "content": content}, count
    if method == "update":
        state = data.get("state")
        if not isinstance(state, dict) or count:
            raise MessageError("An update frame carries a state object and no buffers.")
        return {
            "method": "update",
            "state": parse_trait_update(state, nodes),
            "buffer_paths": [],
        }, 0
    raise MessageError(f"A frame's data.method is 'custom' or 'update', got {_kind(method)}.")


def parse_trait_update(state: dict[str, Any], nodes: Mapping[str, str]) -> dict[str, Any]:
    """Trait values a page sent, checked: only :data:`PAGE_TRAITS`, each in its schema."""
    for trait in state:
        if trait not in PAGE_TRAITS:
            raise MessageError(
                f"The page cannot set {trait!r}: only {listing(PAGE_TRAITS)} is written by "
                "the page; the kernel owns the other traits."
            )
    return {"viewport": _viewport_trait(state["viewport"], nodes)} if "viewport" in state else {}


def _viewport_trait(value: Any, nodes: Mapping[str, str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MessageError(f"viewport is an object, got {_kind(value)}.")
    extra = sorted(set(value) - {"x", "y", "zoom", "positions"})
    if extra:
        raise MessageError(
            f"viewport has no field {listing(extra)}; fields: x, y, zoom, positions."
        )
    out: dict[str, Any] = {a: _coordinate(value[a], a) for a in ("x", "y") if a in value}
    if "zoom" in value:
        out["zoom"] = _viewport({"x": 0, "y": 0, "zoom": value["zoom"]})["zoom"]
    positions = value.get("positions", {})
    if not isinstance(positions, dict):
        raise MessageError(f"viewport.positions is an object, got {_kind(positions)}.")
    if "positions" in value:
        out["positions"] = {}
    for nid, point in positions.items():
        if nid not in nodes:
            raise MessageError(f"viewport.positions names no node of this canvas: {nid!r}.")
        if not isinstance(point, list) or len(point) != 2:
            raise MessageError(f"A position is [x, y], got {_kind(point)}.")
        out["positions"][nid] = [_coordinate(point[0], "x"), _coordinate(point[1], "y")]
    return out


def node_state_message(states: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {"type": "node_state", "states": states}


def partial_message(nodes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {"type": "partial", "nodes": nodes}


def inputs_message(values: dict[str, Any]) -> dict[str, Any]:
    return {"type": "inputs", "values": values}


def fetched_message(request_id: str, mime: str, name: str) -> dict[str, Any]:
    return {"type": "fetched", "id": request_id, "mime": mime, "name": name}


def fetch_error_message(request_id: str, message: str) -> dict[str, Any]:
    return {"type": "fetched", "id": request_id, "error": message}


def error_message(message: str, request: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "error", "message": message}
    if request:
        out["request"] = request
    return out
