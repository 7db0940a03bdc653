"""The original daggr's module name for the server: ``from daggr.server import DaggrServer``
(imports starlette on first use).

Example:
    >>> from daggr.server import DaggrServer
    >>> DaggrServer.__module__
    'daggr.app.daggr_server'
"""

from daggr.app.daggr_server import DaggrServer

__all__ = ["DaggrServer"]
