"""InputNode: one card of user inputs whose values feed other nodes."""

from __future__ import annotations

from typing import Any

from daggr.components import as_component
from daggr.nodes.base import Node


class InputNode(Node):
    """A group of user inputs; each port is an output that other nodes connect to.

    Example:
        >>> from daggr import InputNode, components as gr
        >>> form = InputNode("form", ports={"topic": gr.Textbox(value="cats")})
        >>> form.topic
        Port(form.topic)
    """

    kind = "INPUT"
    _runner = "input"

    def __init__(self, name: str | None = None, ports: dict[str, Any] | None = None):
        super().__init__(name)
        if not name:
            self._name = "Inputs"
        if not isinstance(ports, dict):
            raise TypeError(
                "InputNode `ports` must be a dictionary mapping port names to Gradio "
                "components. Example: InputNode(ports={'prompt': gr.Textbox()})"
            )
        invalid = []
        for port, value in ports.items():
            component = as_component(value)
            if component is None:
                invalid.append(f"{port} ({type(value).__name__})")
                continue
            self._output_ports.append(port)
            self._input_components[port] = component
            self._output_components[port] = None
        if invalid:
            raise ValueError(
                "InputNode `ports` values must be Gradio components. Invalid entries: "
                + ", ".join(invalid)
            )
        self._expose_output_ports()
