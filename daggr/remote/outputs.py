"""Mapping what a remote node produced onto its output ports.

>>> class Node: _output_ports = ["image", "seed"]; postprocess = None
>>> map_remote_outputs(Node(), ("a.png", 42, "extra"))
{'image': 'a.png', 'seed': 42}
>>> Node._output_ports = ["words"]
>>> map_remote_outputs(Node(), ["w0", "w1"])
{'words': ['w0', 'w1']}
"""

from __future__ import annotations

from typing import Any


def apply_postprocess(node: Any, raw: Any) -> Any:
    """``postprocess(*raw)`` for a multi-output result (a tuple), else ``postprocess(raw)``.

    A list is one value (a single list-valued output), never splatted.
    """
    post = node.postprocess
    if post is None:
        return raw
    return post(*raw) if isinstance(raw, tuple) else post(raw)


def map_remote_outputs(node: Any, value: Any) -> dict[str, Any]:
    """A tuple (several endpoint outputs) maps onto the ports in order: values beyond the
    declared ports are dropped (an endpoint often returns more than you need), missing ones
    are None. A dict keyed by port names (several ports) maps by name. Anything else,
    lists included, is the first port's value."""
    ports = list(node._output_ports)
    if isinstance(value, tuple):
        values = list(value[: len(ports)]) + [None] * max(0, len(ports) - len(value))
        return dict(zip(ports, values, strict=True))
    if len(ports) > 1 and isinstance(value, dict) and value and set(value) <= set(ports):
        return {p: value.get(p) for p in ports}
    return {ports[0]: value, **dict.fromkeys(ports[1:])}
