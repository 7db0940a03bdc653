"""The original daggr's module name for nodes: ``from daggr.node import FnNode, ...``.

Example:
    >>> from daggr.node import FnNode, InteractionNode
    >>> InteractionNode().test(input=1)
    {'output': 1}
"""

from daggr.interaction import InteractionNode
from daggr.nodes import ChoiceNode, FnNode, GradioNode, InferenceNode, InputNode, Node

__all__ = [
    "ChoiceNode",
    "FnNode",
    "GradioNode",
    "InferenceNode",
    "InputNode",
    "InteractionNode",
    "Node",
]
