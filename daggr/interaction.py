"""Human steps in a graph: ``InteractionNode`` and the ready-made ones in ``daggr.ops``.

An interaction node is a function node whose value comes from a person: what they type,
pick or approve on the node's card (or pass as an input from code). It runs like any
other node, so it works the same on the canvas, in ``graph.run()``, in ``node.test()``
and over the REST API.

Example:
    >>> from daggr import FnNode, Graph, InteractionNode
    >>> draft = FnNode(lambda: "first draft", name="draft")
    >>> review = InteractionNode(name="review", inputs={"input": draft.output})
    >>> Graph("review demo", nodes=[review], persist_key=False).run()["review"]
    {'output': 'first draft'}
"""

from __future__ import annotations

import itertools
from typing import Any

from daggr.nodes.fn import FnNode

_counters: dict[str, itertools.count] = {}  # default names: approve_1, approve_2, ...


def _pass_through(**inputs: Any) -> Any:
    """The value of the ``input`` port, else of the first input."""
    if "input" in inputs:
        return inputs["input"]
    return next(iter(inputs.values()), None)


class InteractionNode(FnNode):
    """A step where a person looks at a value and passes it on (the generic human step).

    Without ``inputs`` it has one input port ``input`` and one output port ``output``,
    and passes the input through; give ``inputs``/``outputs`` like an ``FnNode``'s
    (components become fields on the card). Subclasses in :mod:`daggr.ops` pick, approve
    or ask for a value.

    Args:
        name: node name (default ``interaction_N``).
        interaction_type: a label for the kind of interaction (``"generic"``,
            ``"approve"``, ``"choose_one"``, ...), kept as ``node.interaction_type``.
        inputs: ``{port: source}`` like ``FnNode``'s.
        outputs: ``{port: component | None}`` like ``FnNode``'s.

    Example:
        >>> from daggr import InteractionNode
        >>> step = InteractionNode(name="check")
        >>> step._input_ports, step._output_ports, step.test(input="ok")
        (['input'], ['output'], {'output': 'ok'})
    """

    kind = "ACTION"

    def __init__(
        self,
        name: str | None = None,
        interaction_type: str = "generic",
        inputs: dict[str, Any] | None = None,
        outputs: dict[str, Any] | None = None,
    ):
        self._setup(name, interaction_type, inputs, outputs, _pass_through)

    def _setup(
        self,
        name: str | None,
        interaction_type: str,
        inputs: dict[str, Any] | None,
        outputs: dict[str, Any] | None,
        fn: Any,
    ) -> None:
        FnNode.__init__(self, fn, name=name, inputs=inputs or None, outputs=outputs or None)
        if not inputs:
            self._input_ports = ["input"]
        if not name:
            prefix = self._default_prefix()
            number = next(_counters.setdefault(prefix, itertools.count(1)))
            self._name = f"{prefix}_{number}"
        self.interaction_type = interaction_type

    def _default_prefix(self) -> str:
        return "interaction"

    @property
    def _interaction_type(self) -> str:
        return self.interaction_type  # the original daggr's attribute name
