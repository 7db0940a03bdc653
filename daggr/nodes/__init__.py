"""Node definitions."""

from daggr.nodes.base import Node
from daggr.nodes.choice import ChoiceNode
from daggr.nodes.fn import FnNode
from daggr.nodes.input import InputNode
from daggr.nodes.remote import GradioNode, InferenceNode

__all__ = ["Node", "FnNode", "InputNode", "ChoiceNode", "GradioNode", "InferenceNode"]
