"""daggr: build AI workflows from Gradio apps, Hugging Face models and Python functions,
and work with them in notebooks.

Example:
    >>> from daggr import FnNode, Graph, components as gr
    >>> greet = FnNode(lambda name: f"Hello, {name}!", name="greet",
    ...                inputs={"name": gr.Textbox(value="world")})
    >>> Graph("hello", nodes=[greet], persist_key=False).run()["greet"]
    {'output': 'Hello, world!'}
"""

from typing import Any

from daggr import components
from daggr.errors import DaggrError, GraphError, InputError, NodeError, RunCancelled
from daggr.graph import Edge, Graph
from daggr.interaction import InteractionNode
from daggr.nodes import ChoiceNode, FnNode, GradioNode, InferenceNode, InputNode, Node
from daggr.ports import GatheredPort, ItemList, Port, ScatteredPort
from daggr.records import FileValue, Status
from daggr.runtime.gil import GILWarning
from daggr.runtime.result import NodeOutcome, RunHandle, RunResult

__version__ = "0.1.0"

__all__ = [
    "ChoiceNode",
    "DaggrError",
    "DaggrServer",
    "Edge",
    "FileValue",
    "FnNode",
    "GILWarning",
    "GatheredPort",
    "GradioNode",
    "Graph",
    "GraphError",
    "InferenceNode",
    "InputError",
    "InputNode",
    "InteractionNode",
    "ItemList",
    "Node",
    "NodeError",
    "NodeOutcome",
    "NodeProgress",
    "Port",
    "RunCancelled",
    "RunHandle",
    "RunResult",
    "RunStream",
    "ScatteredPort",
    "Status",
    "Update",
    "__version__",
    "components",
    "progress",
]


# Imported on first use: the server needs the app extra (starlette, uvicorn), and live
# feedback is not needed to build a graph, so `import daggr` stays light.
_LAZY = {
    "DaggrServer": "daggr.app.daggr_server",
    "NodeProgress": "daggr.runtime.live",
    "progress": "daggr.runtime.live",
    "RunStream": "daggr.streaming",
    "Update": "daggr.streaming",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'daggr' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
