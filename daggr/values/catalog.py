"""Every value kind daggr knows, registered in the order they are tried: specific kinds
(a link on an image port, a chat on a Chatbot port) before general ones (text, JSON).

Example:
    >>> from daggr.values import KINDS
    >>> [k.name for k in KINDS][:4]
    ['none', 'url', 'file', 'annotated']
"""

from __future__ import annotations

from daggr.values import kinds, structured, visual
from daggr.values.registry import register

for _kind in (
    kinds.NoneKind(),
    kinds.UrlKind(),
    kinds.FileKind(),
    visual.AnnotatedKind(),
    kinds.ImageKind(),
    visual.PlotKind(),
    kinds.AudioKind(),
    visual.GalleryKind(),
    *structured.structured_kinds(),
    kinds.BytesKind(),
    kinds.BoolKind(),
    kinds.NumberKind(),
    kinds.TextKind(),
    kinds.ArrayKind(),
    kinds.JsonKind(),
):
    register(_kind)
