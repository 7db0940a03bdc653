"""Messages between the canvas and the kernel (mirrored by ``js/src/protocol.ts``).

Front end -> kernel (requests; each is validated and answered with an ``error`` message
when malformed, leaving every state untouched)::

    {"type": "run", "node": id, "mode": "to_here" | "step"}
    {"type": "stop", "node": id}
    {"type": "set_input", "key": "node__port", "value": ...}
    {"type": "move", "node": id, "x": float, "y": float}
    {"type": "viewport", "x": float, "y": float, "zoom": float}

Kernel -> front end (deltas; their size does not depend on the graph's)::

    {"type": "node_state", "states": {id: patch}}   # fields of a node's state that changed
    {"type": "inputs", "values": {key: value}}      # input values changed from code
    {"type": "error", "message": str, "request": type}

Example:
    >>> parse_request({"type": "run", "node": "b", "mode": "step"}, {"b": "b"}, {})
    {'type': 'run', 'node': 'b', 'mode': 'step'}
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from daggr.errors import DaggrError, did_you_mean, listing

RUN_MODES = ("to_here", "step")
REQUEST_FIELDS: dict[str, tuple[str, ...]] = {
    "run": ("node", "mode"),
    "stop": ("node",),
    "set_input": ("key", "value"),
    "move": ("node", "x", "y"),
    "viewport": ("x", "y", "zoom"),
}
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
)
MAX_TEXT = 1_000_000  # characters in one text input
MAX_COORD = 1e7
ZOOM_RANGE = (0.05, 10.0)


class MessageError(DaggrError, ValueError):
    """A message from the canvas that the kernel cannot accept."""


def parse_request(
    content: Any, nodes: Mapping[str, str], fields: Mapping[str, dict[str, Any]]
) -> dict[str, Any]:
    """Validate a front-end request and return it normalised.

    Args:
        content: the message as received.
        nodes: node id -> node name, for the graph on display.
        fields: input key -> component description (``component.to_dict()``) of the
            inputs the canvas may edit.

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
    elif kind == "set_input":
        key = content["key"]
        if not isinstance(key, str) or key not in fields:
            raise MessageError(
                f"No editable input {key!r} on this canvas.{did_you_mean(str(key), fields)} "
                f"Inputs: {listing(fields)}"
            )
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
    return out


def check_value(component: dict[str, Any], value: Any, key: str) -> Any:
    """The value if it suits the component, else :class:`MessageError`."""
    kind = component.get("kind")
    props = component.get("props") or {}
    name = component.get("component", kind)
    if kind not in EDITABLE:
        raise MessageError(f"'{key}' is a {name} input, which the canvas cannot edit yet.")
    if kind in ("textbox", "textarea", "colorpicker"):
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


def error_message(message: str, request: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "error", "message": message}
    if request:
        out["request"] = request
    return out
