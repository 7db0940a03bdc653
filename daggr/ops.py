"""Ready-made human steps: pick one of several results, approve a value, type a text,
give an image.

Each is an :class:`~daggr.InteractionNode`: its card on the canvas has the field a
person fills in, and from code the same field is an input
(``graph.run(approve_1__approved=True)``, ``node.test(...)``).

Example:
    >>> from daggr import FnNode, Graph
    >>> from daggr.ops import Approve, ChooseOne
    >>> drafts = FnNode(lambda: ["short", "long"], name="drafts")
    >>> pick = ChooseOne(name="pick")
    >>> ok = Approve(name="ok")
    >>> g = Graph("ops demo", nodes=[pick, ok], persist_key=False)
    >>> _ = g.edge(drafts.output, pick.options).edge(pick.selected, ok.input)
    >>> g.run(pick__index=1, ok__approved=True)["ok"]
    {'output': 'long'}
"""

from __future__ import annotations

from typing import Any

from daggr import components as gr
from daggr.errors import DaggrError
from daggr.interaction import InteractionNode

__all__ = ["Approve", "ChooseOne", "ImageInput", "NotApproved", "TextInput"]


class NotApproved(DaggrError, RuntimeError):
    """An :class:`Approve` step ran before anyone approved it."""


def _choose(options: Any = None, index: Any = 0) -> Any:
    if options is None:
        raise ValueError("ChooseOne has nothing to choose from: wire a list into `options`.")
    if not isinstance(options, (list, tuple)):
        raise TypeError(
            f"ChooseOne chooses from a list; `options` is a {type(options).__name__}. "
            "Wire a port whose value is a list (or a gathered port, other.port.all())."
        )
    try:
        i = int(index if index is not None else 0)
    except (TypeError, ValueError):
        raise TypeError(f"ChooseOne `index` must be a whole number, got {index!r}.") from None
    if not 0 <= i < len(options):
        raise IndexError(
            f"ChooseOne `index` {i} is out of range: there are {len(options)} options "
            f"(0..{len(options) - 1})."
        )
    return options[i]


def _approve(input: Any = None, approved: Any = False) -> Any:
    if not approved:
        raise NotApproved(
            "Waiting for approval: tick 'approved' on this card and run again "
            "(from code: graph.run(<this node's name>__approved=True))."
        )
    return input


def _give_text(text: Any = None) -> Any:
    return text


def _give_image(image: Any = None) -> Any:
    return image


class ChooseOne(InteractionNode):
    """Pick one item of a list: ``options`` (wired) → ``selected``; the card's ``index``
    field says which (0 is the first).

    Example:
        >>> from daggr.ops import ChooseOne
        >>> ChooseOne(name="pick").test(options=["a", "b", "c"], index=2)
        {'selected': 'c'}
    """

    kind = "SELECT"

    def __init__(self, name: str | None = None):
        self._setup(
            name,
            "choose_one",
            {"options": None, "index": gr.Number(label="Pick item # (0 = first)", value=0)},
            {"selected": None},
            _choose,
        )
        # `options` is wired by the user; until then it is an input port with no value.
        self._fixed_inputs.pop("options", None)

    def _default_prefix(self) -> str:
        return "choose_one"


class Approve(InteractionNode):
    """Let a value through only once a person approved it: ``input`` → ``output``.

    Until the card's ``approved`` box is ticked the step fails with
    :class:`NotApproved` and nothing downstream runs.

    Example:
        >>> from daggr.ops import Approve
        >>> Approve(name="ok").test(input="ship it", approved=True)
        {'output': 'ship it'}
    """

    kind = "APPROVE"

    def __init__(self, name: str | None = None):
        self._setup(
            name,
            "approve",
            {"input": None, "approved": gr.Checkbox(label="Approved", value=False)},
            {"output": None},
            _approve,
        )
        self._fixed_inputs.pop("input", None)

    def _default_prefix(self) -> str:
        return "approve"


class TextInput(InteractionNode):
    """Ask for a text: a textbox on the card, the output port ``text``.

    Example:
        >>> from daggr.ops import TextInput
        >>> TextInput(name="topic", label="Topic").test(text="otters")
        {'text': 'otters'}
    """

    kind = "INPUT"

    def __init__(self, name: str | None = None, label: str = "Input"):
        self._label = label
        self._setup(
            name, "text_input", {"text": gr.Textbox(label=label)}, {"text": None}, _give_text
        )

    def _default_prefix(self) -> str:
        return "text_input"


class ImageInput(InteractionNode):
    """Ask for an image: an image field on the card, the output port ``image`` (a file
    path, like every file in daggr).

    Example:
        >>> from daggr.ops import ImageInput
        >>> ImageInput(name="photo").test(image="/tmp/cat.png")
        {'image': '/tmp/cat.png'}
    """

    kind = "INPUT"

    def __init__(self, name: str | None = None, label: str = "Image"):
        self._label = label
        self._setup(
            name, "image_input", {"image": gr.Image(label=label)}, {"image": None}, _give_image
        )

    def _default_prefix(self) -> str:
        return "image_input"
