"""Where a function's return value lands differently than in the original daggr, and the
one-time warning that says so.

Two cases differ (see the README's "Deliberate differences"): a dict keyed by output port
names, returned to a node with several ports, goes port by port here (the original put
the whole dict on the first port); a tuple returned to a node with one port is that
port's whole value here (the original kept its first element). An ``(rate, samples)``
tuple on an audio port is the audio value in both readings that matter, so it is not
mentioned. Each node is mentioned once per process; silence them all with
``warnings.filterwarnings("ignore", category=ReturnValueWarning)``.

Example:
    >>> import warnings
    >>> from daggr import FnNode
    >>> pair = FnNode(lambda: {"a": 1, "b": 2}, name="pair", outputs={"a": None, "b": None})
    >>> with warnings.catch_warnings(record=True) as seen:
    ...     warnings.simplefilter("always")
    ...     pair.test()
    {'a': 1, 'b': 2}
    >>> seen[0].category.__name__
    'ReturnValueWarning'
"""

from __future__ import annotations

import threading
import warnings
import weakref
from typing import Any

_lock = threading.Lock()
_told: dict[str, weakref.WeakSet] = {"dict": weakref.WeakSet(), "tuple": weakref.WeakSet()}


class ReturnValueWarning(UserWarning):
    """A return value maps onto ports differently than the original daggr mapped it."""


def _first_time(case: str, node: Any) -> bool:
    with _lock:
        if node in _told[case]:
            return False
        _told[case].add(node)
        return True


def note_dict_by_ports(node: Any, value: dict) -> None:
    """A dict keyed by port names went port by port."""
    if not _first_time("dict", node):
        return
    ports = node._output_ports
    warnings.warn(
        f"Node '{node.name}' returned a dict keyed by its output ports "
        f"({', '.join(map(str, value))}), so each port gets its value; the original daggr "
        f"put the whole dict on port '{ports[0]}'. To keep that, return (the_dict,). "
        "(Said once per node.)",
        ReturnValueWarning,
        stacklevel=2,
    )


def note_whole_tuple(node: Any, value: tuple) -> None:
    """A tuple is the whole value of a one-port node."""
    port = node._output_ports[0]
    component = node._output_components.get(port)
    # Audio and annotated images are tuples by nature: (rate, samples), (image, annotations).
    if getattr(component, "kind", None) in ("audio", "annotatedimage") or not _first_time(
        "tuple", node
    ):
        return
    warnings.warn(
        f"Node '{node.name}' returned a {len(value)}-tuple to its one output port '{port}', "
        "so the whole tuple is the value; the original daggr kept only its first element. "
        "To keep that, return the first element, or declare one output port per element. "
        "(Said once per node.)",
        ReturnValueWarning,
        stacklevel=2,
    )
