"""Calling one node's code and mapping what it returns onto its output ports."""

from __future__ import annotations

import asyncio
from typing import Any

from daggr.errors import DaggrError
from daggr.nodes.base import Node
from daggr.nodes.fn import FnNode
from daggr.nodes.input import InputNode
from daggr.nodes.remote import GradioNode, InferenceNode


class OutputMappingError(DaggrError, ValueError):
    """A node returned values that do not fit its output ports."""


def call_kwargs(node: Node, inputs: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments the node's code receives: its input ports (any name for a
    function taking ``**kwargs``), after ``preprocess``."""
    if getattr(node, "_accepts_any", False):
        kwargs = dict(inputs)
    else:
        ports = node._input_ports
        kwargs = {p: inputs[p] for p in ports if p in inputs}
    pre = getattr(node, "preprocess", None)
    if pre is not None:
        kwargs = pre(kwargs)
        if not isinstance(kwargs, dict):
            raise OutputMappingError(
                f"preprocess of node '{node.name}' must return a dict of inputs, "
                f"got {type(kwargs).__name__}."
            )
    return kwargs


def call_sync(node: Node, kwargs: dict[str, Any]) -> Any:
    if isinstance(node, FnNode):
        return node.fn(**kwargs)
    if isinstance(node, (GradioNode, InferenceNode)):
        # Remote calls are async; from a plain thread, run one on a private loop.
        return asyncio.run(call_async(node, kwargs))
    raise NotRunnable(node)


async def call_async(node: Node, kwargs: dict[str, Any]) -> Any:
    """Run a node's code. For remote nodes the result is already postprocessed (postprocess
    sees the raw client values, before files are downloaded); :func:`map_outputs` knows."""
    if isinstance(node, FnNode):
        if node.is_async:
            return await node.fn(**kwargs)
        return node.fn(**kwargs)
    if isinstance(node, GradioNode):
        from daggr.remote import gradio

        return await gradio.call(node, kwargs)
    if isinstance(node, InferenceNode):
        from daggr.remote import inference

        return await inference.call(node, kwargs)
    raise NotRunnable(node)


class NotRunnable(DaggrError, NotImplementedError):
    def __init__(self, node: Node):
        super().__init__(
            f"{type(node).__name__} '{node.name}' cannot run yet: calling remote apps and "
            "models is not part of this daggr version."
        )


def map_outputs(node: Node, raw: Any) -> dict[str, Any]:
    """Tuple → ports in order; a dict keyed by exactly the port names (several ports) → by
    name; anything else → the first port. ``postprocess`` runs first. Where the original
    daggr mapped a value differently, a ``ReturnValueWarning`` says so once per node.

    Remote nodes map through :func:`daggr.remote.outputs.map_remote_outputs` (their
    postprocess already ran in :func:`call_async`)."""
    if isinstance(node, (GradioNode, InferenceNode)):
        from daggr.remote.outputs import map_remote_outputs

        return map_remote_outputs(node, raw)
    post = getattr(node, "postprocess", None)
    if post is not None:
        raw = post(*raw) if isinstance(raw, tuple) else post(raw)
    ports = node._output_ports
    if len(ports) == 1:
        if isinstance(raw, tuple):
            from daggr.return_rule import note_whole_tuple

            note_whole_tuple(node, raw)  # the original daggr kept raw[0]
        return {ports[0]: raw}
    if raw is None:
        return dict.fromkeys(ports)
    if isinstance(raw, tuple):
        if len(raw) > len(ports):
            raise OutputMappingError(
                f"Node '{node.name}' returned {len(raw)} values but has {len(ports)} output "
                f"ports ({', '.join(ports)}). Return one value per port, or declare more outputs."
            )
        values = list(raw) + [None] * (len(ports) - len(raw))
        return dict(zip(ports, values, strict=True))
    if isinstance(raw, dict) and raw and set(raw) <= set(ports):
        from daggr.return_rule import note_dict_by_ports

        note_dict_by_ports(node, raw)  # the original daggr put raw on ports[0]
        return {p: raw.get(p) for p in ports}
    return {ports[0]: raw, **dict.fromkeys(ports[1:])}


def input_node_outputs(node: InputNode, values: dict[str, Any]) -> dict[str, Any]:
    return {port: values.get(port) for port in node._output_ports}
