"""The registry of value kinds, and the operations every view asks of it.

A kind recognises its values (given the value and the port's component) and knows how to
show them: as bytes + a MIME type for the canvas, as JSON (media as fetchable file URLs)
for the REST API, as a small bounded preview for node state, and as a thumbnail for the
static drawing. Kinds are tried in order; the first that recognises a value wins, and a
value no kind recognises is described by its type.

Adding a kind is adding one entry::

    class Audio(ValueKind):
        name = "audio"
        def recognises(self, value, component): ...
        def to_bytes(self, value, component): ...

    register(Audio(), before="json")

Example:
    >>> kind_of("hello").name, kind_of(1.5).name, kind_of({"a": 1}).name
    ('text', 'number', 'json')
    >>> preview("hello")
    {'type': 'text', 'text': 'hello'}
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from daggr.values.files import DisplayError
from daggr.values.limits import MAX_VALUE_BYTES, PREVIEW_DEPTH, PREVIEW_PORTS

FILE_KINDS = frozenset({"image", "audio", "video", "file", "gallery", "model3d"})
MAX_PLAIN_DEPTH = 50


class FileSink(Protocol):
    """Where the REST API puts files: returns the URL a client fetches them from."""

    def file_url(self, path: str) -> str: ...

    def bytes_url(self, data: bytes, ext: str) -> str: ...


def component_name(component: Any) -> str | None:
    """A component's class name (``"Chatbot"``, ``"Image"``, ...), given the component or
    its ``to_dict()`` description."""
    if component is None or isinstance(component, str):
        return None
    if isinstance(component, dict):
        return component.get("component")
    return getattr(component, "component", None)


def component_kind(component: Any) -> str | None:
    """A component's kind (``"image"``, ``"number"``, ...), given the component, its
    ``to_dict()`` description, or the kind itself."""
    if component is None or isinstance(component, str):
        return component
    if isinstance(component, dict):
        return component.get("kind")
    return getattr(component, "kind", None)


class ValueKind:
    """One kind of value. Subclasses override what differs from a generic object."""

    name = "object"

    def recognises(self, value: Any, component: Any) -> bool:
        return False

    def to_bytes(self, value: Any, component: Any) -> tuple[bytes, str, str]:
        """(bytes, MIME type, display name) the canvas renders."""
        return json_bytes(self.plain(value, component, 0)), "application/json", ""

    def to_rest(self, value: Any, component: Any, sink: FileSink) -> Any:
        """A JSON-safe value for the REST API; media become file URLs from ``sink``."""
        return {"type": type(value).__name__, "repr": repr(value)[:1000]}

    def plain(self, value: Any, component: Any, depth: int) -> Any:
        """A JSON-safe form of the value inside a JSON document the canvas shows."""
        return str(value)

    def preview(self, value: Any, component: Any) -> dict[str, Any]:
        """A bounded, JSON-safe description for a card (node state is saved with notebooks)."""
        return {"type": "object", "name": describe(value), "hint": UNSHOWN_HINT}

    def sample(self, value: Any, depth: int) -> Any:
        """A short JSON-safe stand-in for the value inside a sampled container preview."""
        return f"<{type(value).__name__}>"

    def thumbnail(self, value: Any, component: Any) -> bytes | None:
        """A small PNG for the static drawing, if the value is a picture."""
        return None

    def item(self, value: Any, index: int, component: Any) -> tuple[Any, Any]:
        """Item ``index`` of a value made of items (a gallery's picture, a chat's file),
        and the component to show it with."""
        raise DisplayError(f"No item {index} in this value.")

    def __repr__(self) -> str:
        return f"<value kind {self.name!r}>"


UNSHOWN_HINT = (
    "daggr has no viewer for it: return text, numbers, a list or dict, a picture (PIL, "
    "numpy), (rate, samples) audio or a file path to see it here. The value itself is "
    "kept: read it in code, e.g. graph.history(node)[-1].outputs[port]."
)


def describe(value: Any) -> str:
    """What a value is, in a few words: its type (with module) and shape or size."""
    t = type(value)
    qualname = t.__qualname__.rsplit("<locals>.", 1)[-1]  # a class defined in a function
    name = qualname if t.__module__ == "builtins" else f"{t.__module__}.{qualname}"
    shape = getattr(value, "shape", None)
    if isinstance(shape, tuple):
        name += f" {tuple(shape)}"
    return name if len(name) <= 120 else name[:119] + "…"


KINDS: list[ValueKind] = []
FALLBACK = ValueKind()  # anything no kind recognises: described by its type


def register(kind: ValueKind, before: str | None = None) -> ValueKind:
    """Add a kind (replacing one of the same name), tried before the kind named ``before``
    or else after every kind registered so far."""
    for i, existing in enumerate(KINDS):
        if existing.name == kind.name:
            del KINDS[i]
            break
    names = [k.name for k in KINDS]
    KINDS.insert(names.index(before) if before in names else len(KINDS), kind)
    return kind


def kind_of(value: Any, component: Any = None) -> ValueKind:
    """The kind of ``value`` on a port with ``component`` (None: no component)."""
    for kind in KINDS:
        if kind.recognises(value, component):
            return kind
    return FALLBACK


# -- what views ask ------------------------------------------------------------------------
def encode(value: Any, component: Any = None, item: int | None = None) -> tuple[bytes, str, str]:
    """(bytes, MIME type, display name) of a value for the canvas; ``item``: one item of
    a gallery or a list of files."""
    if item is not None:
        value, component = kind_of(value, component).item(value, item, component)
    return kind_of(value, component).to_bytes(value, component)


def to_rest(value: Any, component: Any, sink: FileSink) -> Any:
    """A JSON-safe value for the REST API, media as file URLs."""
    return kind_of(value, component).to_rest(value, component, sink)


def plain(value: Any, component: Any = None, depth: int = 0) -> Any:
    if depth > MAX_PLAIN_DEPTH:
        return "…"
    return kind_of(value, component).plain(value, component, depth)


def preview(value: Any, component: Any = None) -> dict[str, Any]:
    """A bounded, JSON-safe description of one value."""
    return kind_of(value, component).preview(value, component)


def previews(outputs: dict[str, Any], components: dict[str, Any] | None = None) -> dict[str, Any]:
    """Previews of a node's outputs (the first few ports)."""
    components = components or {}
    return {
        port: preview(v, components.get(port)) for port, v in list(outputs.items())[:PREVIEW_PORTS]
    }


def sample(value: Any, depth: int = PREVIEW_DEPTH) -> Any:
    return kind_of(value).sample(value, depth)


def thumbnail(value: Any, component: Any = None) -> bytes | None:
    """A small PNG of a picture value (for the static drawing), else None."""
    return kind_of(value, component).thumbnail(value, component)


def json_bytes(tree: Any) -> bytes:
    # NaN and infinities stay what they are (the canvas reads them back as numbers).
    payload = json.dumps(tree, ensure_ascii=False, separators=(",", ":")).encode()
    if len(payload) > MAX_VALUE_BYTES:
        raise DisplayError(
            f"This value is {len(payload) / 2**20:.1f} MB as JSON, too large to show on the "
            "canvas; read it from code: graph.selected(node).outputs[port]."
        )
    return payload
