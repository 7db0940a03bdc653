"""Messages between the canvas and the kernel (mirrored by ``js/src/protocol.ts``).

Front end -> kernel (requests; each is validated and answered with an ``error`` message
when malformed, leaving every state untouched)::

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

Kernel -> front end (deltas; their size does not depend on the graph's)::

    {"type": "node_state", "states": {id: patch}}   # fields of a node's state that changed
    {"type": "inputs", "values": {key: value}}      # input values changed from code
    {"type": "error", "message": str, "request": type}
    {"type": "fetched", "id": str, "mime": str, "name": str} + one binary buffer
    {"type": "fetched", "id": str, "error": str}

Example:
    >>> parse_request({"type": "run", "node": "b", "mode": "step"}, {"b": "b"}, {})
    {'type': 'run', 'node': 'b', 'mode': 'step', 'inputs': {}}
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from daggr.errors import DaggrError, did_you_mean, listing
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
}
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
MAX_JSON = 1_000_000  # bytes of a JSON / table value sent from the canvas
MAX_TEXT = 1_000_000  # characters in one text input
MAX_COORD = 1e7
ZOOM_RANGE = (0.05, 10.0)


class MessageError(DaggrError, ValueError):
    """A message from the canvas that the kernel cannot accept."""


def _input_key(key: Any, fields: Mapping[str, dict[str, Any]]) -> str:
    if not isinstance(key, str) or key not in fields:
        raise MessageError(
            f"No editable input {key!r} on this canvas.{did_you_mean(str(key), fields)} "
            f"Inputs: {listing(fields)}"
        )
    return key


def parse_request(
    content: Any,
    nodes: Mapping[str, str],
    fields: Mapping[str, dict[str, Any]],
    media: Mapping[str, dict[str, Any]] | None = None,
    item_lists: Mapping[tuple[str, str], Mapping[str, dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """Validate a front-end request and return it normalised.

    Args:
        content: the message as received.
        nodes: node id -> node name, for the graph on display.
        fields: input key -> component description (``component.to_dict()``) of the
            inputs the canvas may edit.
        media: input key -> component description of the file inputs the canvas may
            upload into (and fetch back).
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
    if kind == "run":
        mode = content["mode"]
        if mode not in RUN_MODES:
            raise MessageError(f"Run mode must be one of {listing(RUN_MODES)}, got {mode!r}.")
        out["mode"] = mode
        carried = content.get("inputs", {})
        if not isinstance(carried, dict):
            raise MessageError(
                f"A run's inputs are a JSON object of input key -> value, got "
                f"{type(carried).__name__}."
            )
        out["inputs"] = {
            _input_key(key, fields): check_value(fields[key], value, key)
            for key, value in carried.items()
        }
    elif kind == "set_input":
        key = _input_key(content["key"], fields)
        out["key"] = key
        out["value"] = check_value(fields[key], content["value"], key)
    elif kind in ("move", "viewport"):
        for axis in ("x", "y"):
            out[axis] = _coordinate(content[axis], axis)
        if kind == "viewport":
            zoom = content["zoom"]
            if not _finite(zoom) or not ZOOM_RANGE[0] <= zoom <= ZOOM_RANGE[1]:
                raise MessageError(
                    f"zoom must be a number from {ZOOM_RANGE[0]} to {ZOOM_RANGE[1]}, got {zoom!r}."
                )
            out["zoom"] = float(zoom)
    elif kind in ("select", "variant"):
        out["index"] = _int(content["index"], "index")
    elif kind == "sheet":
        action = content["action"]
        if action not in SHEET_ACTIONS:
            raise MessageError(
                f"Sheet action must be one of {listing(SHEET_ACTIONS)}, got {action!r}."
            )
        out["action"] = action
        for f in ("name", "new_name"):
            v = content.get(f)
            if v is not None and (not isinstance(v, str) or not 0 < len(v.strip()) <= MAX_NAME):
                raise MessageError(f"A sheet {f} is 1 to {MAX_NAME} characters of text, got {v!r}.")
            out[f] = v.strip() if isinstance(v, str) else None
        if action in ("switch", "rename", "delete") and not out["name"]:
            raise MessageError(f"'sheet' {action} needs the sheet's name.")
        if action == "rename" and not out["new_name"]:
            raise MessageError("'sheet' rename needs new_name.")
    elif kind == "fetch":
        out.update(_fetch(content, media or {}))
    elif kind == "upload":
        key = content["key"]
        if not isinstance(key, str) or key not in (media or {}):
            raise MessageError(
                f"No file input {key!r} on this canvas.{did_you_mean(str(key), media or {})} "
                f"File inputs: {listing(media or {})}"
            )
        name = content["name"]
        if not isinstance(name, str) or len(name) > MAX_NAME:
            raise MessageError(f"An upload's name is a file name, got {_kind(name)}.")
        out.update(key=key, name=name)
    elif kind == "edit_items":
        out.update(_edit_items(content, out["node"], item_lists or {}))
    elif kind == "traceback":
        rid, result = content["id"], content.get("result")
        if not isinstance(rid, str) or not 0 < len(rid) <= MAX_ID:
            raise MessageError(f"A traceback request id is a short string, got {_kind(rid)}.")
        if result is not None and (not isinstance(result, str) or len(result) > MAX_ID):
            raise MessageError(f"A traceback names a result id or null, got {_kind(result)}.")
        out.update(id=rid, result=result)
    elif kind == "layout":
        try:
            out["layout"] = parse_layout(content, nodes)
        except LayoutError as exc:
            raise MessageError(str(exc)) from None
    return out


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
    value = check_value(schema[field], content["value"], f"{port}[{index}].{field}")
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


def check_value(component: dict[str, Any], value: Any, key: str) -> Any:
    """The value if it suits the component, else :class:`MessageError`."""
    kind = component.get("kind")
    props = component.get("props") or {}
    name = component.get("component", kind)
    if kind not in EDITABLE:
        raise MessageError(f"'{key}' is a {name} input, which the canvas cannot edit yet.")
    if kind in ("json", "dataframe"):
        try:
            n = len(json.dumps(value, allow_nan=False))
        except (TypeError, ValueError) as exc:
            raise MessageError(f"'{key}' ({name}) takes a JSON value: {exc}") from None
        if n > MAX_JSON:
            raise MessageError(
                f"'{key}' got {n:,} bytes of JSON; the canvas sends at most {MAX_JSON:,}. "
                f"Pass large values from code: graph.run({key}=...)."
            )
        if kind == "dataframe" and not (
            isinstance(value, list)
            or (isinstance(value, dict) and isinstance(value.get("data"), list))
        ):
            raise MessageError(
                f"'{key}' (Dataframe) takes rows (a list of lists) or {{'headers', 'data'}}, "
                f"got {_kind(value)}."
            )
        return value
    if kind in ("textbox", "textarea", "colorpicker", "code"):
        if not isinstance(value, str):
            raise MessageError(f"'{key}' ({name}) takes text, got {_kind(value)}.")
        if len(value) > MAX_TEXT:
            raise MessageError(
                f"'{key}' got {len(value):,} characters; the canvas sends at most "
                f"{MAX_TEXT:,}. Pass long values from code: graph.run({key}=...)."
            )
        return value
    if kind in ("number", "slider"):
        if not _finite(value):
            raise MessageError(f"'{key}' ({name}) takes a finite number, got {_kind(value)}.")
        lo, hi = props.get("minimum"), props.get("maximum")
        if (_finite(lo) and value < lo) or (_finite(hi) and value > hi):
            raise MessageError(f"'{key}' must be between {lo} and {hi}, got {value}.")
        return value
    if kind == "checkbox":
        if not isinstance(value, bool):
            raise MessageError(f"'{key}' (Checkbox) takes true or false, got {_kind(value)}.")
        return value
    choices = [c[1] for c in props.get("choices") or []]
    many = kind == "checkboxgroup" or (kind == "dropdown" and props.get("multiselect"))
    custom = kind == "dropdown" and props.get("allow_custom_value")
    picked = value if many else [value]
    if many and not isinstance(value, list):
        raise MessageError(f"'{key}' ({name}) takes a list of choices, got {_kind(value)}.")
    for v in picked:
        if v not in choices and not (custom and isinstance(v, str)) and v is not None:
            raise MessageError(
                f"{v!r} is not a choice of '{key}'.{did_you_mean(str(v), [str(c) for c in choices])}"
                f" Choices: {listing(choices)}"
            )
    return value


def _finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _coordinate(v: Any, axis: str) -> float:
    if not _finite(v) or abs(v) > MAX_COORD:
        raise MessageError(f"{axis} must be a finite number within ±{MAX_COORD:g}, got {v!r}.")
    return float(v)


def _kind(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:39] + '…'}"


def node_state_message(states: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {"type": "node_state", "states": states}


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
